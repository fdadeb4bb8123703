"""ASINScope product look-up: 1 to 10 ASINs, UPCs or EANs, paid in tokens, answered from the catalog."""

from __future__ import annotations

import orjson

from sellerkit.accounts.quotas import Quotas
from sellerkit.accounts.service import Principal
from sellerkit.catalog import repository as repo
from sellerkit.domain.lookup import InvalidLookup, LookupQuery, item, parse_query
from sellerkit.domain.quotas import Charge
from sellerkit.errors import Invalid
from sellerkit.kit.db import Reader


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

    def items(self, reader: Reader, query: LookupQuery) -> list[dict]:
        """Items of the codes found (none for codes the catalog does not have); a UPC or EAN
        that several ASINs carry gives each of them, in ASIN order."""
        return self.found(reader, query)[1]

    def found(self, reader: Reader, query: LookupQuery) -> tuple[list[str], list[dict]]:
        """The codes asked for that the catalog has (as normalised in the query), and the items:
        a code may give several items, so the two counts differ."""
        mp = query.marketplace.code
        if query.family == "asin":
            by_code = {code: [code] for code in query.codes}
        else:
            by_code: dict[str, list[str]] = {}
            for key, asin in repo.asins_for_keys(reader, mp, query.codes):
                by_code.setdefault(key, []).append(asin)
        asins = list(dict.fromkeys(a for code in query.codes for a in sorted(by_code.get(code, ()))))
        texts = repo.record_texts(reader, mp, asins)
        market = query.marketplace
        codes = [code for code in query.codes if any(a in texts for a in by_code.get(code, ()))]
        return codes, [item(orjson.loads(texts[a]), market) for a in asins if a in texts]


lookups = LookupService()
