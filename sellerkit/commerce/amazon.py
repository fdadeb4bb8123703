"""The Amazon channel: a seller's listings through SP-API Listings Items 2021-08-01.

Every call goes through the account's `SpApiProvider.call` (its LWA token, its per-operation
budget shared by every process, its 429/5xx retries), so a 5,000-listing manifest is sent at
the pace the usage plan allows (putListingsItem 5/s, burst 10) and never faster. Calls are made
`CONCURRENCY` at a time on one event loop so the reply time hides under the budget's pace;
`progress` receives the answers in batches, off the loop, so a database write never stalls it.

| what | operation | SP-API role |
|---|---|---|
| put a listing live (offer on an ASIN) | `putListingsItem` | Product Listing |
| price and quantity changes | `patchListingsItem` | Product Listing |
| status and issues read back | `getListingsItem` | Product Listing |
| end a listing | `deleteListingsItem` | Product Listing |
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as url_quote

from sellerkit.catalog.providers import spapi
from sellerkit.commerce.channels import Change, Listed, LocalChannel, Outcome, Published
from sellerkit.commerce.models import MarketplaceAccount
from sellerkit.domain import listings_items as li
from sellerkit.domain.marketplaces import Marketplace, marketplace

if TYPE_CHECKING:
    from sellerkit.config import Settings
    from sellerkit.kit.db import Database

log = logging.getLogger("sellerkit.channels")

PUT, PATCH, GET, DELETE = "putListingsItem", "patchListingsItem", "getListingsItem", "deleteListingsItem"
ITEM_PATH = "/listings/2021-08-01/items/{seller}/{sku}"
CONCURRENCY = 12  # calls in flight: enough to keep a 5/s budget busy at a few hundred ms a reply
PROGRESS_EVERY = 100  # answers handed to `progress` at a time
ROLE = "Product Listing"
CONNECT_HINT = ("connect the seller with `sellerkit providers connect amazon --seller-id S --marketplace M` "
                "(or SELLERKIT_SPAPI_REFRESH_TOKEN and SELLERKIT_SPAPI_SELLER_ID for the default account)")


def amazon_channel(channel: MarketplaceAccount, db: Database, settings: Settings):
    """The Amazon channel of an Amazon channel account, or the local one saying what is missing."""
    from sellerkit.catalog.providers.budget import budgets_for
    from sellerkit.catalog.providers.registry import providers_for

    code = channel.marketplace_id or "US"
    found = [p for p in providers_for(db, settings, budgets_for(settings), channel.account_id) if p.name == spapi.PROVIDER]
    if not found:
        return LocalChannel(f"no live amazon channel is connected (the account has no SP-API connection; {CONNECT_HINT})")
    provider = found[0]
    if code not in (getattr(provider, "marketplaces", None) or (code,)):
        return LocalChannel(f"no live amazon channel is connected for {code} (the SP-API connection serves "
                            f"{', '.join(sorted(provider.marketplaces))}; {CONNECT_HINT})")
    if not provider.seller_id:
        return LocalChannel(f"no live amazon channel is connected (the SP-API connection has no seller id, which "
                            f"Listings Items need; {CONNECT_HINT})")
    return AmazonChannel(provider, marketplace(code))


class AmazonChannel:
    live = True

    def __init__(self, provider: spapi.SpApiProvider, mp: Marketplace, concurrency: int = CONCURRENCY) -> None:
        self.provider = provider
        self.mp = mp
        self.concurrency = concurrency
        self.note = f"Amazon {mp.code} (seller {provider.seller_id})"

    def publish(self, channel: MarketplaceAccount, products: list) -> Published:
        """Listings are put live by a background job (channel_listings.publish_manifest)."""
        return Published("pending", f"{len(products):,} listings are being put live on Amazon {self.mp.code} "
                                    f"({PUT}) by a background job")

    # ---- listings ------------------------------------------------------------------------------

    def _path(self, sku: str) -> str:
        return ITEM_PATH.format(seller=url_quote(self.provider.seller_id or "", safe=""), sku=url_quote(sku, safe=""))

    def _params(self, **extra: str) -> dict[str, str]:
        return {"marketplaceIds": self.mp.marketplace_id, "issueLocale": "en_US", **extra}

    def _answer(self, product_id: int, reply: Any) -> Outcome:
        reply = reply if isinstance(reply, dict) else {}
        issues = [i for i in reply.get("issues") or [] if isinstance(i, dict)]
        return Outcome(product_id, li.submission_verdict(reply, self.mp.marketplace_id),
                       submission_status=reply.get("status"), submission_id=reply.get("submissionId"),
                       issues=_plain(issues))

    async def _put(self, x: Listed) -> Outcome:
        try:
            body = li.offer_body(x.offer, self.mp)
        except li.OfferRefused as exc:
            return Outcome(x.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, f"not sent to Amazon: {exc}"))
        try:
            reply = await self.provider.call(PUT, self.mp, "PUT", self._path(x.sku), params=self._params(), body=body)
        except spapi.SpApiInvalidInput as exc:  # 400: Amazon refused the request itself
            return Outcome(x.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, exc.message), error=exc.message)
        return self._answer(x.product_id, reply)

    async def _patch(self, c: Change) -> Outcome:
        body = li.patch_body(c.product_type, self.mp, price=c.price, quantity=c.quantity, fba=c.fba)
        if body is None:
            return Outcome(c.product_id, li.Verdict("active", li.OKAY, None))
        try:
            reply = await self.provider.call(PATCH, self.mp, "PATCH", self._path(c.sku), params=self._params(),
                                             body=body)
        except (spapi.SpApiInvalidInput, spapi.SpApiNotFound) as exc:
            return Outcome(c.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, exc.message), error=exc.message)
        return self._answer(c.product_id, reply)

    async def _delete(self, x: Listed) -> Outcome:
        try:
            reply = await self.provider.call(DELETE, self.mp, "DELETE", self._path(x.sku), params=self._params())
        except spapi.SpApiNotFound:  # already gone from Amazon: ended all the same
            return Outcome(x.product_id, li.Verdict("ended", li.OKAY, None), submission_status="NOT_FOUND")
        except spapi.SpApiInvalidInput as exc:
            return Outcome(x.product_id, li.Verdict("error", li.MARKETPLACE_ERROR, exc.message), error=exc.message)
        outcome = self._answer(x.product_id, reply)
        if outcome.verdict is not None and outcome.verdict.marketplace_status == "active":
            outcome = Outcome(x.product_id, li.Verdict("ended", li.OKAY, outcome.verdict.detail),
                              outcome.submission_status, outcome.submission_id, outcome.issues)
        return outcome

    async def _get(self, x: Listed) -> Outcome:
        try:
            item = await self.provider.call(GET, self.mp, "GET", self._path(x.sku),
                                            params=self._params(includedData="summaries,issues,offers,fulfillmentAvailability"))
        except spapi.SpApiNotFound:
            return Outcome(x.product_id, li.Verdict("inactive", li.MARKETPLACE_ERROR,
                                                    f"Amazon has no listing with SKU {x.sku} in {self.mp.code}"),
                           channel_status="NOT_FOUND")
        item = item if isinstance(item, dict) else {}
        summary = next((s for s in item.get("summaries") or [] if isinstance(s, dict)
                        and s.get("marketplaceId") == self.mp.marketplace_id), {})
        return Outcome(x.product_id, li.item_verdict(item, self.mp.marketplace_id),
                       issues=_plain([i for i in item.get("issues") or [] if isinstance(i, dict)]),
                       channel_status=",".join(summary.get("status") or []) or None)

    def put(self, channel, listings: list[Listed], progress: Callable[[list[Outcome]], None] | None = None
            ) -> list[Outcome]:
        return self._run(listings, self._put, progress)

    def update(self, channel, changes: list[Change]) -> list[Outcome]:
        return self._run(changes, self._patch, None)

    def end(self, channel, listings: list[Listed]) -> list[Outcome]:
        return self._run(listings, self._delete, None)

    def status(self, channel, listings: list[Listed]) -> list[Outcome]:
        return self._run(listings, self._get, None)

    # ---- running many calls ----------------------------------------------------------------------

    def _run(self, items: Sequence, work, progress) -> list[Outcome]:
        if not items:
            return []
        return asyncio.run(self._each(list(items), work, progress))

    async def _each(self, items: list, work, progress) -> list[Outcome]:
        """Each item through `work`, CONCURRENCY at a time. A failure Amazon may not have later
        (throttled or failing after the retries) leaves the item unanswered; one of the connection
        (refused credentials, a missing role) leaves it and everything after it unanswered."""
        results: list[Outcome] = []
        buffer: list[Outcome] = []
        flushing = asyncio.Lock()
        stopped: list[str] = []
        queue = list(reversed(items))

        async def flush(force: bool = False) -> None:
            if progress is None or not buffer or (not force and len(buffer) < PROGRESS_EVERY):
                return
            async with flushing:
                batch = buffer[:]
                del buffer[:]
                if batch:
                    await asyncio.to_thread(progress, batch)

        async def worker() -> None:
            while queue:
                item = queue.pop()
                if stopped:
                    outcome = Outcome(item.product_id, None, error=stopped[0])
                else:
                    try:
                        outcome = await work(item)
                    except spapi.FATAL as exc:
                        stopped.append(f"{exc.message} (Listings Items need the {ROLE} role)")
                        outcome = Outcome(item.product_id, None, error=stopped[0])
                    except spapi.SpApiError as exc:  # throttled or failing still: try again later
                        log.warning("Amazon listing %s: %s", getattr(item, "sku", "?"), exc.message)
                        outcome = Outcome(item.product_id, None, error=exc.message)
                results.append(outcome)
                buffer.append(outcome)
                await flush()

        try:
            await asyncio.gather(*(worker() for _ in range(max(1, min(self.concurrency, len(items))))))
            await flush(force=True)
        finally:
            await self.provider.aclose()
        return results


def _plain(value: Any) -> Any:
    """Amazon's JSON (decimals as Decimal) as plain JSON values, to be stored."""
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
