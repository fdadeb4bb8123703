"""ASINScope product look-up: 1 to 10 ASINs, UPCs or EANs, paid in tokens, answered from the catalog.

When the account has live data for the marketplace, codes the catalog lacks (or holds stale) are
fetched first (`refresh`: match and prices through LiveData) within a time budget, and written
to the catalog, so this answer and every later one has them. Without live data it answers from
the catalog as it is.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import orjson

from sellerkit.accounts.quotas import Quotas
from sellerkit.accounts.service import Principal
from sellerkit.catalog import repository as repo
from sellerkit.catalog.cache import RevisionCache
from sellerkit.catalog.prepared_items import item_files
from sellerkit.catalog.providers.budget import budgets_for
from sellerkit.catalog.providers.registry import is_shared, providers_for, serving
from sellerkit.catalog.providers.service import LiveData
from sellerkit.domain import identifiers as ids
from sellerkit.domain.lookup import InvalidLookup, LookupQuery, item, parse_query
from sellerkit.domain.quotas import Charge
from sellerkit.errors import Invalid
from sellerkit.kit.db import Database, Reader

log = logging.getLogger("sellerkit.catalog")
LIVE_KINDS = ("catalog", "pricing")  # what a look-up's item shows: product data, prices, offers, rank


def _identifier(family: str, key: str) -> ids.Identifier:
    """A query's code (a 14-digit key) as the identifier it was asked as: a UPC-A, else an EAN."""
    if family == "upc" and key.startswith("00"):
        return ids.parse(key[2:], hint="upc")
    if key.startswith("0"):
        return ids.parse(key[1:], hint="ean")
    return ids.parse(key)


class LookupService:
    def lookup(
        self, reader: Reader, quotas: Quotas, who: Principal, *, asin: str | None = None,
        upc: str | None = None, ean: str | None = None, domain: str | None = None,
    ) -> tuple[Charge, list[dict]]:
        """Check the query (400), the account's plan (403) and pay its tokens (429), in that
        order, so a refused request costs nothing; then the items found, in the order asked."""
        query = self.query(asin, upc, ean, domain)
        charge = quotas.charge(who, query.cost)
        return charge, self.items(reader, query)

    @staticmethod
    def query(asin: str | None, upc: str | None, ean: str | None, domain: str | None) -> LookupQuery:
        try:
            return parse_query(asin, upc, ean, domain)
        except InvalidLookup as exc:
            raise Invalid(str(exc)) from None

    async def refresh(self, db: Database, settings, account_id: int, query: LookupQuery,
                      time_budget: float | None = None) -> None:
        """Fetch what the catalog lacks or holds stale for the query through the account's
        providers, for at most `time_budget` seconds (SELLERKIT_SPAPI_TIME_BUDGET): what
        arrives in time is written and in this answer; what did not, a later look-up fetches.
        Nothing happens without providers."""
        mp = query.marketplace.code
        budgets = budgets_for(settings)
        providers = providers_for(db, settings, budgets, account_id)  # a query at most every CONNECTIONS_TTL s
        asked = serving(providers, mp)
        try:
            if not asked:
                return
            live = LiveData(db, settings, asked, account_id, mp, budgets=budgets)
            if query.family == "asin":
                work = live.ensure(asins=query.codes, kinds=LIVE_KINDS)
            else:
                work = live.ensure([_identifier(query.family, key) for key in query.codes], kinds=LIVE_KINDS)
            budget = settings.spapi_time_budget if time_budget is None else time_budget
            try:
                await asyncio.wait_for(work, timeout=budget)
            except TimeoutError:
                log.info("look-up %s %s: live data not complete within %g s; answered from the catalog",
                         mp, ",".join(query.codes), budget)
        finally:  # the server's loop lives on: a shared provider keeps its client and token
            for provider in providers:
                if not is_shared(provider):
                    await provider.aclose()

    def items(self, reader: Reader, query: LookupQuery, as_json: bool = False,
              data_dir: Path | None = None) -> list[dict] | list[bytes]:
        """Items of the codes found (none for codes the catalog does not have); a UPC or EAN
        that several ASINs carry gives each of them, in ASIN order. `as_json`: each item as its
        JSON text, as the route sends it (prepared once per catalog revision). `data_dir`: where
        the items files the sweep prepares are (`prepared_items`), if this process may read them."""
        if as_json and query.family == "asin":  # the route's case: one item per ASIN, no codes to report
            items = self._items(reader, query, query.codes, data_dir)
            return [one for one in map(items.__getitem__, query.codes) if one is not None]
        return self.prepared(reader, query, data_dir)[1] if as_json else self.found(reader, query, data_dir)[1]

    def found(self, reader: Reader, query: LookupQuery,
              data_dir: Path | None = None) -> tuple[list[str], list[dict]]:
        """The codes asked for that the catalog has (as normalised in the query), and the items:
        a code may give several items, so the two counts differ."""
        codes, prepared = self.prepared(reader, query, data_dir)
        return codes, [orjson.loads(one) for one in prepared]

    def prepared(self, reader: Reader, query: LookupQuery,
                 data_dir: Path | None = None) -> tuple[list[str], list[bytes]]:
        """`found`, each item as its JSON text: what the route sends, with nothing decoded or
        built again while the marketplace's catalog is unchanged (`catalog.cache`)."""
        mp = query.marketplace.code
        if query.family == "asin":
            by_code = {code: (code,) for code in query.codes}
        else:
            by_code = _ASINS_BY_KEY.get_many(reader, mp, query.codes, lambda keys: _asins_by_key(reader, mp, keys))
        asins = list(dict.fromkeys(a for code in query.codes for a in by_code.get(code) or ()))

        items = self._items(reader, query, asins, data_dir)
        codes = [code for code in query.codes if any(items.get(a) is not None for a in by_code.get(code) or ())]
        return codes, [items[a] for a in asins if items[a] is not None]

    def _items(self, reader: Reader, query: LookupQuery, asins: list[str],
               data_dir: Path | None) -> dict[str, bytes | None]:
        """Each ASIN's item JSON (None: not in the catalog): from the revision's items file when
        there is one, else built from the catalog and held (`catalog.cache`)."""
        mp = query.marketplace.code
        ready = item_files.current(reader, data_dir, mp) if data_dir is not None else None
        if ready is not None:
            return ready.get_many(asins)
        return _ITEMS.get_many(reader, mp, asins, self._builder(reader, query))

    @staticmethod
    def _builder(reader: Reader, query: LookupQuery):
        """Each missing ASIN's item as JSON, from its catalog record (none for ASINs it lacks)."""
        mp, market = query.marketplace.code, query.marketplace

        def build(missing: list[str]) -> dict[str, bytes]:
            texts = repo.record_texts(reader, mp, missing)
            return {a: orjson.dumps(item(orjson.loads(text), market)) for a, text in texts.items()}

        return build


def _asins_by_key(reader: Reader, mp: str, keys: list[str]) -> dict[str, tuple[str, ...]]:
    """Each identifier key's ASINs, in ASIN order."""
    found: dict[str, list[str]] = {}
    for key, asin in repo.asins_for_keys(reader, mp, keys):
        found.setdefault(key, []).append(asin)
    return {key: tuple(sorted(asins)) for key, asins in found.items()}


# Items are about 1 KB of JSON: at most some 20 MB a marketplace in each server process.
_ITEMS: RevisionCache[bytes] = RevisionCache(capacity=20_000)
_ASINS_BY_KEY: RevisionCache[tuple[str, ...]] = RevisionCache(capacity=50_000)


lookups = LookupService()
