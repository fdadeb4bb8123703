"""ASINScope's product look-up: what a query may ask, and a catalog record as its `items` entry.

Pure: the catalog service reads the records, the router shapes the reply around these.
"""

from __future__ import annotations

from dataclasses import dataclass

from sellerkit.domain import identifiers as ids
from sellerkit.domain.marketplaces import ASINSCOPE_DOMAINS, Marketplace, marketplace
from sellerkit.domain.quoting import quote

MAX_CODES = 10
MAX_QUERY_CHARS = MAX_CODES * (ids.MAX_CODE_CHARS + 1)  # the codes and their commas
FAMILIES = ("asin", "upc", "ean")


class InvalidLookup(ValueError):
    """A look-up query the reference refuses (400); the message names the parameter at fault."""


@dataclass(frozen=True, slots=True)
class LookupQuery:
    family: str  # asin, upc or ean: the parameter used
    marketplace: Marketplace
    codes: tuple[str, ...]  # distinct, normalised: ASINs, or the 14-digit GTIN keys of UPC/EAN

    @property
    def cost(self) -> int:
        """Tokens: one per identifier asked for (the same code twice is asked for once)."""
        return len(self.codes)


def parse_query(asin: str | None, upc: str | None, ean: str | None, domain: str | None) -> LookupQuery:
    given = {name: value for name, value in (("asin", asin), ("upc", upc), ("ean", ean)) if value is not None}
    if not given:
        raise InvalidLookup("asin, upc or ean: one is required, a comma-separated list of 1 to 10 codes")
    if len(given) > 1:
        raise InvalidLookup(f"{' and '.join(given)}: send one identifier type per request, not {len(given)}")
    (family, raw), = given.items()
    market = resolve_domain(domain)
    if len(raw) > MAX_QUERY_CHARS:
        raise InvalidLookup(f"{family}: {len(raw):,} characters; send at most {MAX_CODES} codes of at most "
                            f"{ids.MAX_CODE_CHARS} characters ({MAX_QUERY_CHARS} in all)")
    parts = [p.strip() for p in raw.split(",")]
    parts = [p for p in parts if p]
    if not parts:
        raise InvalidLookup(f"{family}: no codes given; send 1 to {MAX_CODES} comma-separated codes")
    if len(parts) > MAX_CODES:
        raise InvalidLookup(f"{family}: {len(parts)} codes given; send at most {MAX_CODES} per request")
    codes: list[str] = []
    canonical = ids.CANONICAL_ASIN.match if family == "asin" else None  # most ASINs: nothing to normalise
    for i, part in enumerate(parts):
        if len(part) > ids.MAX_CODE_CHARS:
            raise InvalidLookup(f"{family}: code {i + 1} is {len(part):,} characters; a code has at most "
                                f"{ids.MAX_CODE_CHARS}")
        code = part if canonical is not None and canonical(part) else _normalise(family, part)
        if code not in codes:
            codes.append(code)
    return LookupQuery(family, market, tuple(codes))


def resolve_domain(domain: str | None) -> Marketplace:
    value = "com" if domain is None or not domain.strip() else domain.strip().lower()
    found = _DOMAINS.get(value)
    if found is None:
        raise InvalidLookup(f"domain: unknown domain {quote(domain)}; expected one of {', '.join(ASINSCOPE_DOMAINS)}")
    return found


_DOMAINS = {domain: marketplace(domain) for domain in ASINSCOPE_DOMAINS}


def _normalise(family: str, code: str) -> str:
    try:
        if family == "asin":
            return ids.parse_asin(code)
        ident = ids.parse(code, hint=family)
    except ids.InvalidIdentifier as exc:
        raise InvalidLookup(f"{family}: {exc}") from None
    if ident.also is not None:  # digits valid as an ISBN-10 and as a UPC without its zeros: asked as a UPC
        return ident.also
    if ident.kind in (ids.IdKind.ASIN, ids.IdKind.ISBN_10) and family != "asin":
        raise InvalidLookup(f"{family}: {quote(code)} is an ASIN or ISBN-10; send it as asin=")
    return ident.key


# ---- a catalog record as an `items` entry --------------------------------------------------------


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _new_price(rec: dict) -> int | None:
    """Lowest new offer (FBA or merchant), else the Buy Box price; cents."""
    offers = [p for p in (rec.get("lowest_price_new_fba"), rec.get("lowest_price_new_fbm")) if p is not None]
    return min(offers) if offers else rec.get("buybox_price")


def _offers(rec: dict) -> int | None:
    fba, fbm = rec.get("new_fba_offers_count"), rec.get("new_fbm_offers_count")
    if fba is None and fbm is None:
        return rec.get("total_offers_count")
    return (fba or 0) + (fbm or 0)


def item(rec: dict, market: Marketplace) -> dict:
    """The reference's item, field for field, from a catalog-format record. Prices are in the
    marketplace's currency (`lowestNewPrice` a number, `lowestFormattedPrice` as Amazon writes
    it); dimensions in the catalog's inches and pounds; unknown values are null."""
    codes = rec.get("identifiers") or {}
    upcs, eans = list(codes.get("upc") or ()), list(codes.get("ean") or ()) + list(codes.get("jan") or ())
    # The reference lists a UPC-A under both (as its EAN-13 with a leading 0) and back.
    upc_list = _distinct(upcs + [e[1:] for e in eans if len(e) == 13 and e[0] == "0"])
    ean_list = _distinct(eans + ["0" + u for u in upcs if len(u) == 12])
    price = _new_price(rec)
    dims = rec.get("package_dimensions") or None
    images = list(rec.get("images") or ())
    return {
        "asin": rec["asin"],
        "ean": ean_list[0] if ean_list else None,
        "upc": upc_list[0] if upc_list else None,
        "mpn": rec.get("mpn") or rec.get("part_number"),
        "bsr": rec.get("rank"),
        "category": rec.get("category"),
        "brand": rec.get("brand"),
        "title": rec.get("title"),
        "productGroup": rec.get("product_group"),
        "lowestNewPrice": None if price is None else market.major_units(price),
        "lowestFormattedPrice": None if price is None else market.format_money(price),
        "soldByAmazon": bool(rec.get("sold_by_amazon", False)),
        "packageDimensions": None if dims is None else {
            "height": dims.get("height"), "width": dims.get("width"),
            "length": dims.get("length"), "weight": dims.get("weight"),
        },
        "upcList": upc_list,
        "eanList": ean_list,
        "totalNew": _offers(rec),
        "smallImage": images[0] if images else None,
        "mediumImage": images[0] if images else None,
        "images": images,
    }
