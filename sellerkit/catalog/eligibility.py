"""FBA inbound eligibility of ASINs: Amazon's answer when it can be had, else an estimate.

Each ASIN is answered from the first of:
1. `cache`: an SP-API answer stored less than `ttl` ago (`inbound_eligibility` table);
2. `sp-api`: Amazon's `getItemEligibilityPreview`, asked now (when SP-API is configured, within
   the request's time budget) and stored;
3. `rules`: `domain.eligibility`'s estimate from the catalog record, never stored. When SP-API is
   configured but did not answer for the ASIN, `sp_api_error` says why.

Answers are the RocketSource `inbound_eligibility` object (`eligible`, `updated_at` in unix
seconds, `ineligible_codes`) plus `source`; the route sends them as the official client's array
(`as_list`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sellerkit.catalog import repository as repo
from sellerkit.catalog.repository import StoredEligibility
from sellerkit.catalog.providers.spapi import SpApiError, SpApiInvalidInput, SpApiNotFound, SpApiProvider
from sellerkit.domain import identifiers as ids
from sellerkit.domain.eligibility import inbound_eligibility as estimate
from sellerkit.domain.eligibility import reason_texts
from sellerkit.domain.marketplaces import Marketplace, UnknownMarketplace, marketplace
from sellerkit.domain.quoting import quote
from sellerkit.errors import Invalid
from sellerkit.kit.db import Reader, utcnow

log = logging.getLogger("sellerkit.catalog")

MAX_ASINS = 100
DEFAULT_TTL = timedelta(days=7)
DEFAULT_BUDGET = 20.0  # seconds of SP-API calls per request
SPAPI, CACHE, RULES = "sp-api", "cache", "rules"


def _answer(eligible: bool, at: datetime, codes: Sequence[str], source: str) -> dict:
    return {"eligible": eligible, "updated_at": int(at.timestamp()),
            "ineligible_codes": list(codes), "source": source}


class EligibilityService:
    def parse_asins(self, raw: Sequence[str]) -> list[str]:
        """1 to MAX_ASINS ASINs, normalised, duplicates dropped; empty items are ignored (a
        trailing comma), a malformed one is an error naming its position."""
        out: list[str] = []
        count = 0
        for i, item in enumerate(raw):
            item = item.strip()
            if not item:
                continue
            count += 1
            if len(item) > ids.MAX_CODE_CHARS:
                raise Invalid(f"asins[{i}]: {len(item):,} characters; an ASIN has 10 (at most "
                              f"{ids.MAX_CODE_CHARS} as written)")
            try:
                asin = ids.parse_asin(item)
            except ids.InvalidIdentifier as exc:
                raise Invalid(f"asins[{i}]: {quote(item)} is not an ASIN: {exc.reason}") from None
            if asin not in out:
                out.append(asin)
        if not 1 <= count <= MAX_ASINS:
            raise Invalid(f"asins: give 1 to {MAX_ASINS} comma-separated ASINs, not {count}")
        return out

    async def inbound_eligibility(
        self,
        session: Session,
        reader: Reader,
        spapi: SpApiProvider,
        marketplace_code: str,
        asins: Sequence[str],
        *,
        ttl: timedelta = DEFAULT_TTL,
        budget: float = DEFAULT_BUDGET,
        now: datetime | None = None,
    ) -> dict[str, dict]:
        """`{asin: {eligible, updated_at, ineligible_codes, source[, sp_api_error]}}` in the
        order asked. Stores new SP-API answers through `session` (the caller commits)."""
        try:
            mp = marketplace(marketplace_code)
        except UnknownMarketplace as exc:
            raise Invalid(str(exc)) from None
        wanted = self.parse_asins(asins)
        now = now or utcnow()
        out: dict[str, dict] = {}
        for asin, stored in repo.stored_eligibility(reader, mp.code, wanted).items():
            if now - stored.checked_at < ttl:
                out[asin] = _answer(
                    stored.eligible, stored.checked_at, stored.ineligible_codes, CACHE)
        errors: dict[str, str] = {}
        if spapi.configured:
            pending = [a for a in wanted if a not in out]
            fresh, errors = await self._ask_amazon(spapi, mp, pending, budget, now)
            repo.store_eligibility(session, mp.code, fresh)
            for answer in fresh:
                out[answer.asin] = _answer(answer.eligible, now, answer.ineligible_codes, SPAPI)
        remaining = [a for a in wanted if a not in out]
        records = repo.product_records(reader, mp.code, remaining)
        for asin in remaining:
            rules = estimate(records.get(asin), on=now.date(), marketplace=mp.code)
            out[asin] = _answer(rules.eligible, now, rules.ineligible_codes, RULES)
            if asin in errors:
                out[asin]["sp_api_error"] = errors[asin]
        return {asin: out[asin] for asin in wanted}

    @staticmethod
    def as_list(answers: dict[str, dict]) -> list[dict]:
        """The answers as the official client reads them (`InboundEligibility[]`): one object per
        ASIN, in the order asked, with `asin`, and for an ineligible one the codes' meanings
        (`restrictions`, and joined as `reason`)."""
        out = []
        for asin, answer in answers.items():
            texts = reason_texts(answer["ineligible_codes"])
            out.append({"asin": asin, **answer, **({"reason": " ".join(texts), "restrictions": texts} if texts else {})})
        return out

    async def _ask_amazon(
        self, spapi: SpApiProvider, mp: Marketplace, asins: list[str], budget: float, now: datetime
    ) -> tuple[list[StoredEligibility], dict[str, str]]:
        """Amazon's answers for as many of `asins` as the budget allows, and why the others
        have none. A failure that is not about one ASIN (credentials, throttling, an outage)
        stops the asking: the rest would fail the same way, slowly."""
        answers: list[StoredEligibility] = []
        errors: dict[str, str] = {}
        deadline = spapi.clock() + budget
        stopped: str | None = None
        for asin in asins:
            if stopped is None and spapi.clock() >= deadline:
                stopped = (f"not asked: this request's SP-API time budget ({budget:g} s) ran out; "
                           f"ask again and Amazon's answers fill in")
            if stopped is not None:
                errors[asin] = stopped
                continue
            try:
                got = await spapi.item_eligibility_preview(asin, mp.code)
            except (SpApiInvalidInput, SpApiNotFound) as exc:
                errors[asin] = exc.message
            except SpApiError as exc:
                log.warning("SP-API eligibility for %s %s failed: %s", mp.code, asin, exc.message)
                errors[asin] = exc.message
                stopped = f"not asked after an earlier failure: {exc.message}"
            else:
                answers.append(StoredEligibility(
                    asin, got.eligible, list(got.ineligible_codes), now, SPAPI))
        return answers, errors


eligibility = EligibilityService()
