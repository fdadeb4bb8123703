"""Amazon SP-API payloads -> catalog-format records (`specs/catalog-format.md`). Pure: no I/O.

Each mapper takes one piece of a reply (a Catalog Items `Item`, a `getCompetitivePricing`
`Price`, a `getItemOffers` payload, a `FeesEstimateResult`, a `RestrictionList`, an
`ItemEligibilityPreview`) and gives a partial product record: `marketplace`, `asin`, the fields
the operation observed, `updated_at` (the observed time) and `provenance: {kind: {...}}`.

Units are converted exactly, with `Decimal` and the exact definitions (1 lb = 0.45359237 kg,
1 in = 2.54 cm, 1 lb = 16 oz), and rounded once at the end: lengths to 1/10,000 inch and
weights to 1/10,000 pound (`PRECISION`), half up. That is finer than any fee tier step and
drops the float noise Amazon's own conversions carry (79.9999999184 in -> 80.0).

Money is taken as the decimal text Amazon wrote (the provider parses replies with
`parse_float=Decimal`; a float goes through its shortest repr, which is the same text) and
becomes integer minor units of its currency (cents; yen have none). An amount in another
currency than the marketplace's is left out rather than mixed in.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sellerkit.domain import identifiers as ids
from sellerkit.domain.marketplaces import Marketplace, marketplace

PROVIDER = "spapi"
PRECISION = Decimal("0.0001")  # inches and pounds are rounded to this, once, at the end

# Exact factors to pounds and to inches (definitions, not approximations).
_KG = Decimal("0.45359237")
POUNDS_PER: dict[str, Decimal] = {
    "pounds": Decimal(1),
    "kilograms": 1 / _KG,
    "grams": 1 / (_KG * 1000),
    "milligrams": 1 / (_KG * 1_000_000),
    "ounces": Decimal(1) / 16,
}
INCHES_PER: dict[str, Decimal] = {
    "inches": Decimal(1),
    "feet": Decimal(12),
    "centimeters": 1 / Decimal("2.54"),
    "millimeters": 1 / Decimal("25.4"),
    "meters": 1 / Decimal("0.0254"),
}
_UNIT_ALIASES = {
    "pound": "pounds", "lb": "pounds", "lbs": "pounds",
    "kilogram": "kilograms", "kg": "kilograms", "kilogrammes": "kilograms",
    "gram": "grams", "g": "grams", "grammes": "grams",
    "milligram": "milligrams", "mg": "milligrams",
    "ounce": "ounces", "oz": "ounces",
    "inch": "inches", "in": "inches",
    "foot": "feet", "ft": "feet",
    "centimeter": "centimeters", "centimetres": "centimeters", "centimetre": "centimeters", "cm": "centimeters",
    "millimeter": "millimeters", "millimetres": "millimeters", "millimetre": "millimeters", "mm": "millimeters",
    "meter": "meters", "metres": "meters", "metre": "meters", "m": "meters",
}
# Minor units per currency: 2 unless listed (ISO 4217 exponents).
CURRENCY_EXPONENT = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3}

# Amazon's identifierType -> catalog-format family.
ID_FAMILIES = {"UPC": "upc", "EAN": "ean", "GTIN": "gtin", "ISBN": "isbn", "JAN": "jan"}
# Amazon's own retail seller id per marketplace (an offer by it is "sold by Amazon").
AMAZON_SELLER_IDS = {
    "US": "ATVPDKIKX0DER", "CA": "A3DWYIK6Y9EEQB", "MX": "AVDBXBAVVSXLQ", "UK": "A3P5ROKL5A1OLE",
    "DE": "A3JWKAKR8XB7XF", "FR": "A1X6FK5RDHNB96", "IT": "A11IL2PNWYJU7H", "ES": "A1AT7YVPFBWXBL",
    "JP": "AN1VRQENFRJN5", "AU": "ANEGB3WVEVKZB",
}
# supplier_declared_dg_hz_regulation values that make an item a dangerous good.
HAZMAT_REGULATIONS = frozenset({"ghs", "storage", "transportation", "waste"})
COMPETITIVE_WITHIN = Decimal("0.02")  # an offer within 2% of the Buy Box competes for it

# getMyFeesEstimates FeeType -> amazon_fees part; any other type counts as `other`.
FEE_PARTS = {
    "ReferralFee": "referral",
    "FBAFees": "fba",
    "FBAPerUnitFulfillmentFee": "fba",
    "FBAPerOrderFulfillmentFee": "fba",
    "FBAWeightBasedFee": "fba",
    "FulfillmentFee": "fba",
    "VariableClosingFee": "closing",
    "FixedClosingFee": "closing",
    "ClosingFee": "closing",
    "PerItemFee": "per_item",
}
FEE_KEYS = ("referral", "fba", "closing", "per_item", "other")


# ---- numbers -----------------------------------------------------------------------------------


def decimal(value: Any) -> Decimal | None:
    """A JSON number (Decimal, int, float) or numeric text as an exact Decimal; None otherwise."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int | float | str):
        try:
            d = Decimal(str(value).strip())  # a float's shortest repr is the text it was read from
        except InvalidOperation:
            return None
    else:
        return None
    return d if d.is_finite() else None


def _unit(name: Any) -> str | None:
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    return _UNIT_ALIASES.get(key, key)


def _rounded(d: Decimal) -> float:
    return float(d.quantize(PRECISION, rounding=ROUND_HALF_UP))


def to_pounds(value: Any, unit: Any) -> float | None:
    """A weight in pounds, rounded to PRECISION; None for an unknown unit or no number."""
    factor, d = POUNDS_PER.get(_unit(unit) or ""), decimal(value)
    return None if factor is None or d is None or d < 0 else _rounded(d * factor)


def to_inches(value: Any, unit: Any) -> float | None:
    """A length in inches, rounded to PRECISION; None for an unknown unit or no number."""
    factor, d = INCHES_PER.get(_unit(unit) or ""), decimal(value)
    return None if factor is None or d is None or d < 0 else _rounded(d * factor)


def minor_units(amount: Any, currency: str) -> int | None:
    """An amount of `currency` in its minor units (cents; yen as they are), exactly; a fraction
    of a minor unit (never seen from Amazon) rounds half up."""
    d = decimal(amount)
    if d is None:
        return None
    scaled = d.scaleb(CURRENCY_EXPONENT.get(currency.upper(), 2))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def major_units(cents: int, currency: str) -> Decimal:
    """Minor units back to the currency's unit (for request bodies): 1999 USD -> 19.99."""
    return Decimal(cents).scaleb(-CURRENCY_EXPONENT.get(currency.upper(), 2))


def money(obj: Any, currency: str) -> int | None:
    """`{CurrencyCode, Amount}` (Product Pricing, Fees) or `{currency, value}` (Catalog
    attributes) in minor units, when it is in `currency` (the marketplace's)."""
    if not isinstance(obj, dict):
        return None
    code = obj.get("CurrencyCode", obj.get("currency", obj.get("currencyCode")))
    amount = obj.get("Amount", obj.get("amount"))
    if amount is None:
        amount = obj.get("value_with_tax", obj.get("value"))
    if not isinstance(code, str) or code.upper() != currency:
        return None
    return minor_units(amount, currency)


# ---- shared ------------------------------------------------------------------------------------


def provenance(kind: str, operation: str, observed_at: datetime) -> dict[str, dict[str, str]]:
    from sellerkit.catalog.providers.base import Provenance

    return {kind: Provenance(PROVIDER, operation, observed_at).as_dict()}


def _stamp(record: dict, kind: str, operation: str, observed_at: datetime) -> dict:
    from sellerkit.catalog.records import format_timestamp

    record["updated_at"] = format_timestamp(observed_at)
    record["provenance"] = provenance(kind, operation, observed_at)
    return record


def _for_marketplace(entries: Any, mp: Marketplace) -> dict:
    """The entry of a per-marketplace list (`[{marketplaceId, ...}]`) for `mp`; {} if none."""
    if not isinstance(entries, list):
        return {}
    for entry in entries:
        if isinstance(entry, dict) and entry.get("marketplaceId", mp.marketplace_id) == mp.marketplace_id:
            return entry
    return {}


def _attr(attributes: Any, name: str, mp: Marketplace) -> list[dict]:
    """The values of one Catalog Items attribute for `mp` (values without marketplace_id apply
    everywhere)."""
    values = attributes.get(name) if isinstance(attributes, dict) else None
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, dict)
            and v.get("marketplace_id", mp.marketplace_id) == mp.marketplace_id]


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _first_text(*candidates: Any) -> str | None:
    for c in candidates:
        t = _text(c)
        if t is not None:
            return t
    return None


def _attr_text(attributes: Any, name: str, mp: Marketplace) -> str | None:
    for v in _attr(attributes, name, mp):
        t = _text(v.get("value"))
        if t is not None:
            return t
    return None


def _int(value: Any) -> int | None:
    d = decimal(value)
    if d is None or d != d.to_integral_value():
        return None
    return int(d)


def asin_of(value: Any) -> str | None:
    """The normalised ASIN in `value`, None if it is not one."""
    try:
        return ids.parse_asin(value)
    except (ids.InvalidIdentifier, TypeError):
        return None


# ---- Catalog Items 2022-04-01 ------------------------------------------------------------------


def item_identifiers(item: dict, mp: Marketplace) -> dict[str, list[str]]:
    """The item's valid UPC/EAN/GTIN/ISBN/JAN codes in `mp`, by catalog-format family (from
    `identifiers`, and the `externally_assigned_product_identifier` attribute)."""
    out: dict[str, list[str]] = {}
    found: list[tuple[str, Any]] = []
    for entry in _for_marketplace(item.get("identifiers"), mp).get("identifiers") or []:
        if isinstance(entry, dict):
            family = ID_FAMILIES.get(str(entry.get("identifierType", "")).upper())
            if family:
                found.append((family, entry.get("identifier")))
    for v in _attr(item.get("attributes"), "externally_assigned_product_identifier", mp):
        family = ID_FAMILIES.get(str(v.get("type", "")).upper())
        if family:
            found.append((family, v.get("value")))
    for family, code in found:
        try:
            ident = ids.parse(code, hint=family)
        except (ids.InvalidIdentifier, TypeError):
            continue
        if ident.kind is ids.IdKind.ASIN:
            continue
        codes = out.setdefault(family, [])
        if ident.value not in codes:
            codes.append(ident.value)
    return out


def identifier_keys(item: dict, mp: Marketplace) -> set[str]:
    """The identifier-index keys (`Identifier.key`) of every code the item lists in `mp`."""
    keys = set()
    for family, codes in item_identifiers(item, mp).items():
        for code in codes:
            keys.add(ids.parse(code, hint=family).key)
    return keys


def _dimensions(raw: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    if not isinstance(raw, dict):
        return out
    for name in ("length", "width", "height"):
        d = raw.get(name)
        if isinstance(d, dict):
            inches = to_inches(d.get("value"), d.get("unit"))
            if inches is not None:
                out[name] = inches
    w = raw.get("weight")
    if isinstance(w, dict):
        pounds = to_pounds(w.get("value"), w.get("unit"))
        if pounds is not None:
            out["weight"] = pounds
    return out


def _attr_dimensions(attributes: Any, dims: str, weight: str, mp: Marketplace) -> dict[str, float]:
    raw: dict[str, Any] = {}
    for v in _attr(attributes, dims, mp)[:1]:
        raw.update({k: v.get(k) for k in ("length", "width", "height")})
    for v in _attr(attributes, weight, mp)[:1]:
        raw["weight"] = v
    return _dimensions(raw)


def _browse_path(node: Any) -> list[str]:
    """Display names from the root down to `node` (a classification with `parent` links)."""
    names: list[str] = []
    depth = 0
    while isinstance(node, dict) and depth < 50:
        name = _text(node.get("displayName"))
        if name:
            names.append(name)
        node, depth = node.get("parent"), depth + 1
    return names[::-1]


def _images(item: dict, mp: Marketplace) -> list[str]:
    """One link per image variant, the largest of its sizes; MAIN first, then as listed."""
    best: dict[str, tuple[int, str]] = {}
    order: list[str] = []
    for img in _for_marketplace(item.get("images"), mp).get("images") or []:
        if not isinstance(img, dict) or not _text(img.get("link")):
            continue
        variant = str(img.get("variant") or "")
        area = (_int(img.get("height")) or 0) * (_int(img.get("width")) or 0)
        if variant not in best:
            order.append(variant)
            best[variant] = (area, img["link"].strip())
        elif area > best[variant][0]:
            best[variant] = (area, img["link"].strip())
    order.sort(key=lambda v: v != "MAIN")  # stable: MAIN first, the rest as Amazon listed them
    return [best[v][1] for v in order]


def _date(*candidates: Any) -> str | None:
    for c in candidates:
        if isinstance(c, str) and len(c) >= 10:
            try:
                return date.fromisoformat(c[:10]).isoformat()
            except ValueError:
                continue
    return None


def _hazmat(attributes: Any, mp: Marketplace) -> bool | None:
    values = {str(v.get("value", "")).lower() for v in _attr(attributes, "supplier_declared_dg_hz_regulation", mp)}
    if values & HAZMAT_REGULATIONS:
        return True
    if values == {"not_applicable"}:
        return False
    return None


def catalog_item_record(item: dict, marketplace_code: str, observed_at: datetime,
                        operation: str = "searchCatalogItems") -> dict | None:
    """A Catalog Items 2022-04-01 `Item` as a catalog-format product record (kind `catalog`);
    None when it has no valid ASIN or no title (a record the catalog would reject)."""
    mp = marketplace(marketplace_code)
    asin = asin_of(item.get("asin"))
    if asin is None:
        return None
    attributes = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}
    summary = _for_marketplace(item.get("summaries"), mp)
    title = _first_text(summary.get("itemName"), _attr_text(attributes, "item_name", mp))
    if title is None:
        return None
    rec: dict[str, Any] = {"marketplace": mp.code, "asin": asin, "title": title}

    texts = {
        "brand": (summary.get("brand"), _attr_text(attributes, "brand", mp)),
        "manufacturer": (summary.get("manufacturer"), _attr_text(attributes, "manufacturer", mp)),
        "color": (summary.get("color"), _attr_text(attributes, "color", mp)),
        "size_name": (summary.get("size"), _attr_text(attributes, "size", mp)),
        "model_number": (summary.get("modelNumber"), _attr_text(attributes, "model_number", mp)),
        "part_number": (summary.get("partNumber"), _attr_text(attributes, "part_number", mp)),
    }
    for name, candidates in texts.items():
        value = _first_text(*candidates)
        if value is not None:
            rec[name] = value

    # Category and Best Sellers Rank: the display group's rank is the root-category rank.
    ranks = _for_marketplace(item.get("salesRanks"), mp)
    groups = [g for g in ranks.get("displayGroupRanks") or [] if isinstance(g, dict) and _int(g.get("rank"))]
    classes = [c for c in ranks.get("classificationRanks") or [] if isinstance(c, dict) and _int(c.get("rank"))]
    classification = _for_marketplace(item.get("classifications"), mp).get("classifications") or []
    path = _browse_path(classification[0]) if classification else []
    if groups:
        rec["rank"] = _int(groups[0]["rank"])
    category = _first_text(groups[0].get("title") if groups else None, path[0] if path else None,
                           summary.get("websiteDisplayGroupName"))
    if category:
        rec["category"] = category
    if path:
        rec["category_raw"] = ">".join(path)
    if classes:
        rec["sales_ranks"] = [{"rank": _int(c["rank"]), "title": _text(c.get("title")) or ""} for c in classes]
    group = _first_text(summary.get("websiteDisplayGroupName"),
                        _for_marketplace(item.get("vendorDetails"), mp).get("productGroup"))
    if group:
        rec["product_group"] = group

    pack = _int(summary.get("packageQuantity"))
    if pack and pack > 0:
        rec["amazon_pack_quantity"] = pack
    list_price = next((p for p in (money(v, mp.currency) for v in _attr(attributes, "list_price", mp))
                       if p is not None), None)
    if list_price is not None:
        rec["list_price"] = list_price

    for relationship in _for_marketplace(item.get("relationships"), mp).get("relationships") or []:
        if not isinstance(relationship, dict) or relationship.get("type", "VARIATION") != "VARIATION":
            continue
        parents = [a for a in map(asin_of, relationship.get("parentAsins") or []) if a]
        children = [a for a in map(asin_of, relationship.get("childAsins") or []) if a]
        if parents and "parent_asin" not in rec:
            rec["parent_asin"] = parents[0]
        for child in children:
            listed = rec.setdefault("variations_list", [])
            if child not in listed:
                listed.append(child)
    if rec.get("variations_list"):
        rec["number_of_variations"] = len(rec["variations_list"])

    dims = _for_marketplace(item.get("dimensions"), mp)
    item_dims = _dimensions(dims.get("item")) or _attr_dimensions(attributes, "item_dimensions", "item_weight", mp)
    package = _dimensions(dims.get("package")) or _attr_dimensions(
        attributes, "item_package_dimensions", "item_package_weight", mp)
    if item_dims:
        rec["item_dimensions"] = item_dims
    if package:
        rec["package_dimensions"] = package

    codes = item_identifiers(item, mp)
    if codes:
        rec["identifiers"] = codes
    images = _images(item, mp)
    if images:
        rec["images"] = images
    bullets = [t for t in (_text(v.get("value")) for v in _attr(attributes, "bullet_point", mp)) if t]
    if bullets:
        rec["bullet_points"] = bullets

    hazmat = _hazmat(attributes, mp)
    if hazmat is not None:
        rec["is_hazmat"] = hazmat
    if isinstance(summary.get("adultProduct"), bool):
        rec["is_adult"] = summary["adultProduct"]
    for v in _attr(attributes, "is_expiration_dated_product", mp)[:1]:
        if isinstance(v.get("value"), bool):
            rec["has_expiration"] = v["value"]
    released = _date(summary.get("releaseDate"),
                      *(v.get("value") for v in _attr(attributes, "release_date", mp)),
                      *(v.get("value") for v in _attr(attributes, "street_date", mp)))
    if released:
        rec["release_date"] = released
    return _stamp(rec, "catalog", operation, observed_at)


# ---- Product Pricing v0: getCompetitivePricing ------------------------------------------------


def _is_display_group(category_id: Any) -> bool:
    return isinstance(category_id, str) and not category_id.isdigit()


def _landed(price: Any, currency: str) -> int | None:
    """LandedPrice (listing + shipping - points), else ListingPrice + Shipping."""
    if not isinstance(price, dict):
        return None
    landed = money(price.get("LandedPrice"), currency)
    if landed is not None:
        return landed
    listing = money(price.get("ListingPrice"), currency)
    if listing is None:
        return None
    return listing + (money(price.get("Shipping"), currency) or 0)


def competitive_pricing_record(entry: dict, marketplace_code: str, observed_at: datetime
                               ) -> tuple[dict | None, dict | None]:
    """One `getCompetitivePricing` `Price` as (a product record of kind `pricing`, an
    observation record); (None, None) when its status is not Success.

    - `buybox_price` / `buybox_price_used`: CompetitivePriceId 1 (New Buy Box) / 2 (Used Buy
      Box; another id goes by its condition), landed, consumer (B2C) price without quantity
      tier;
    - `total_offers_count`: the `Any` offer-listing count, else the sum over conditions;
      `new_offers_count` (an extra field, and the observation's): the `New` count;
    - `rank`: the display group's sales rank (numeric ids are sub-categories, left to the
      catalog's titled `sales_ranks`).
    """
    mp = marketplace(marketplace_code)
    if not isinstance(entry, dict) or entry.get("status") != "Success":
        return None, None
    product = entry.get("Product") if isinstance(entry.get("Product"), dict) else {}
    asin = asin_of(entry.get("ASIN")) or asin_of(
        ((product.get("Identifiers") or {}).get("MarketplaceASIN") or {}).get("ASIN"))
    if asin is None:
        return None, None
    rec: dict[str, Any] = {"marketplace": mp.code, "asin": asin}
    competitive = product.get("CompetitivePricing") if isinstance(product.get("CompetitivePricing"), dict) else {}
    for price in competitive.get("CompetitivePrices") or []:
        if not isinstance(price, dict) or price.get("offerType", "B2C") != "B2C" or price.get("quantityTier"):
            continue
        field = {"1": "buybox_price", "2": "buybox_price_used"}.get(str(price.get("CompetitivePriceId")))
        if field is None:  # an id Amazon does not document (the sandbox's): go by the condition
            field = {"new": "buybox_price", "used": "buybox_price_used"}.get(str(price.get("condition", "")).lower())
        if field and field not in rec:
            landed = _landed(price.get("Price"), mp.currency)
            if landed is not None:
                rec[field] = landed
    counts: dict[str, int] = {}
    for listing in competitive.get("NumberOfOfferListings") or []:
        if isinstance(listing, dict) and _int(listing.get("Count")) is not None:
            cond = str(listing.get("condition", "")).lower()
            counts[cond] = counts.get(cond, 0) + _int(listing["Count"])
    if counts:
        rec["total_offers_count"] = counts["any"] if "any" in counts else sum(counts.values())
        if "new" in counts:
            rec["new_offers_count"] = counts["new"]
    for ranking in product.get("SalesRankings") or []:
        if isinstance(ranking, dict) and _is_display_group(ranking.get("ProductCategoryId")) and _int(ranking.get("Rank")):
            rec["rank"] = _int(ranking["Rank"])
            break
    _stamp(rec, "pricing", "getCompetitivePricing", observed_at)
    observation = {"type": "observation", "marketplace": mp.code, "asin": asin,
                   "observed_at": rec["updated_at"]}
    for name in ("buybox_price", "rank", "new_offers_count"):
        if name in rec:
            observation[name] = rec[name]
    return rec, observation


# ---- Product Pricing v0: getItemOffers (getItemOffersBatch) -----------------------------------


def item_offers_record(payload: dict, marketplace_code: str, observed_at: datetime) -> dict | None:
    """One `getItemOffers` payload (a `getItemOffersBatch` response body's `payload`) as a
    product record of kind `offers`:

    - `lowest_price_{new,used}_{fba,fbm}`: Summary.LowestPrices (landed) by condition and
      channel (Amazon = FBA, Merchant = FBM);
    - `new_fba_offers_count`, `new_fbm_offers_count`: Summary.NumberOfOffers (new);
      `total_offers_count`: Summary.TotalOfferCount;
    - `sold_by_amazon`: Amazon's own seller id among the offers returned (the 20 lowest);
    - `competitive_sellers`: sellers of a new offer within 2% of the new Buy Box price.
    A payload with status NoBuyableOffers is a record of zero offers."""
    mp = marketplace(marketplace_code)
    if not isinstance(payload, dict):
        return None
    asin = asin_of(payload.get("ASIN")) or asin_of((payload.get("Identifier") or {}).get("ASIN"))
    if asin is None:
        return None
    rec: dict[str, Any] = {"marketplace": mp.code, "asin": asin}
    summary = payload.get("Summary") if isinstance(payload.get("Summary"), dict) else {}
    for low in summary.get("LowestPrices") or []:
        if not isinstance(low, dict) or low.get("offerType", "B2C") != "B2C" or low.get("quantityTier"):
            continue
        cond = str(low.get("condition", "")).lower()
        channel = {"amazon": "fba", "merchant": "fbm"}.get(str(low.get("fulfillmentChannel", "")).lower())
        if cond not in ("new", "used") or channel is None:
            continue
        price = _landed(low, mp.currency)
        field = f"lowest_price_{cond}_{channel}"
        if price is not None and (field not in rec or price < rec[field]):
            rec[field] = price
    counts = {"fba": 0, "fbm": 0}
    counted = False
    for n in summary.get("NumberOfOffers") or []:
        if not isinstance(n, dict) or str(n.get("condition", "")).lower() != "new":
            continue
        channel = {"amazon": "fba", "merchant": "fbm"}.get(str(n.get("fulfillmentChannel", "")).lower())
        if channel and _int(n.get("OfferCount")) is not None:
            counts[channel] += _int(n["OfferCount"])
            counted = True
    if counted or payload.get("status") == "NoBuyableOffers":
        rec["new_fba_offers_count"], rec["new_fbm_offers_count"] = counts["fba"], counts["fbm"]
    total = _int(summary.get("TotalOfferCount"))
    if total is not None:
        rec["total_offers_count"] = total
    elif payload.get("status") == "NoBuyableOffers":
        rec["total_offers_count"] = 0

    offers = [o for o in payload.get("Offers") or [] if isinstance(o, dict)]
    amazon = AMAZON_SELLER_IDS.get(mp.code)
    if amazon is not None and (offers or payload.get("status") == "NoBuyableOffers"):
        rec["sold_by_amazon"] = any(o.get("SellerId") == amazon for o in offers)
    buybox = next((_landed(b, mp.currency) for b in summary.get("BuyBoxPrices") or []
                   if isinstance(b, dict) and str(b.get("condition", "")).lower() == "new"
                   and b.get("offerType", "B2C") == "B2C" and not b.get("quantityTier")), None)
    if buybox is not None and offers:
        ceiling = Decimal(buybox) * (1 + COMPETITIVE_WITHIN)
        sellers = {o.get("SellerId") or f"#{i}" for i, o in enumerate(offers)
                   if str(o.get("SubCondition", "new")).lower() == "new"
                   and (p := _landed(o, mp.currency)) is not None and p <= ceiling}
        rec["competitive_sellers"] = len(sellers)
    return _stamp(rec, "offers", "getItemOffersBatch", observed_at)


# ---- Product Fees v0: getMyFeesEstimates -------------------------------------------------------


def fees_record(result: dict, marketplace_code: str, observed_at: datetime, *, asin: str | None = None,
                price: int | None = None, fulfilment: str | None = None) -> dict | None:
    """One `FeesEstimateResult` with Status Success as a product record of kind `fees`:
    `amazon_fees = {price, currency, fulfilment, total, referral, fba, closing, per_item,
    other}`, all integers in minor units. Each FeeDetail counts at its FinalFee (after
    promotions); FeeTypes not in FEE_PARTS, and any difference between the parts and Amazon's
    total, are `other`, so the parts always add up to `total`. `price` and `fulfilment` are
    what was asked, and `asin` the ASIN it was asked for (default: what the reply's identifier
    says). None for another status."""
    mp = marketplace(marketplace_code)
    if not isinstance(result, dict) or result.get("Status") != "Success":
        return None
    ident = result.get("FeesEstimateIdentifier") if isinstance(result.get("FeesEstimateIdentifier"), dict) else {}
    estimate = result.get("FeesEstimate") if isinstance(result.get("FeesEstimate"), dict) else {}
    if asin is None:
        asin = asin_of(ident.get("IdValue")) if ident.get("IdType", "ASIN") == "ASIN" else None
    if asin is None:
        return None
    total = money(estimate.get("TotalFeesEstimate"), mp.currency)
    if total is None:
        return None
    if price is None:
        asked = (ident.get("PriceToEstimateFees") or {})
        price = _landed({"ListingPrice": asked.get("ListingPrice"), "Shipping": asked.get("Shipping")}, mp.currency)
    if fulfilment is None:
        fulfilment = "FBA" if ident.get("IsAmazonFulfilled") else "FBM"
    parts = dict.fromkeys(FEE_KEYS, 0)
    for detail in estimate.get("FeeDetailList") or []:
        if not isinstance(detail, dict):
            continue
        amount = money(detail.get("FinalFee"), mp.currency)
        if amount is None:
            amount = money(detail.get("FeeAmount"), mp.currency) or 0
        parts[FEE_PARTS.get(str(detail.get("FeeType")), "other")] += amount
    parts["other"] += total - sum(parts.values())
    fees = {"price": price, "currency": mp.currency, "fulfilment": fulfilment, "total": total, **parts}
    rec = {"marketplace": mp.code, "asin": asin, "amazon_fees": fees}
    return _stamp(rec, "fees", "getMyFeesEstimates", observed_at)


def fees_error(result: dict) -> tuple[str, str]:
    """(status, message) of a FeesEstimateResult that is not a Success."""
    error = result.get("Error") if isinstance(result.get("Error"), dict) else {}
    message = " ".join(str(error.get(k)) for k in ("Code", "Message") if error.get(k))
    return str(result.get("Status") or "no status"), message or "no message"


# ---- Listings Restrictions 2021-08-01 ----------------------------------------------------------


def restrictions_record(body: dict, asin: str, marketplace_code: str, observed_at: datetime,
                        condition: str = "new_new") -> dict:
    """A `RestrictionList` for one ASIN as a product record of kind `restrictions`:
    `restrictions = {condition, restricted, reasons: [{code, message[, link]}]}`. A restriction
    applies when it names `condition` or no condition at all; `link` is Amazon's "request
    approval" link when it gives one."""
    mp = marketplace(marketplace_code)
    reasons: list[dict[str, Any]] = []
    restricted = False
    for r in body.get("restrictions") or [] if isinstance(body, dict) else []:
        if not isinstance(r, dict):
            continue
        if r.get("marketplaceId", mp.marketplace_id) != mp.marketplace_id:
            continue
        if r.get("conditionType") not in (None, condition):
            continue
        restricted = True
        for reason in r.get("reasons") or []:
            if not isinstance(reason, dict):
                continue
            entry: dict[str, Any] = {"code": reason.get("reasonCode"), "message": _text(reason.get("message")) or ""}
            link = next((lk.get("resource") for lk in reason.get("links") or []
                         if isinstance(lk, dict) and _text(lk.get("resource"))), None)
            if link:
                entry["link"] = link
            reasons.append(entry)
    rec = {"marketplace": mp.code, "asin": ids.parse_asin(asin),
           "restrictions": {"condition": condition, "restricted": restricted, "reasons": reasons}}
    return _stamp(rec, "restrictions", "getListingsRestrictions", observed_at)


# ---- FBA Inbound Eligibility v1 ----------------------------------------------------------------


def eligibility_record(payload: dict, asin: str, marketplace_code: str, observed_at: datetime) -> dict | None:
    """An `ItemEligibilityPreview` as a product record of kind `eligibility`:
    `inbound_eligibility = {program, eligible, ineligible_codes}` (the field of RocketSource's
    inbound_eligibility answers). None without `isEligibleForProgram`."""
    mp = marketplace(marketplace_code)
    if not isinstance(payload, dict) or not isinstance(payload.get("isEligibleForProgram"), bool):
        return None
    codes = [str(c) for c in payload.get("ineligibilityReasonList") or []]
    rec = {"marketplace": mp.code, "asin": asin_of(payload.get("asin")) or ids.parse_asin(asin),
           "inbound_eligibility": {"program": str(payload.get("program") or "INBOUND"),
                                   "eligible": payload["isEligibleForProgram"], "ineligible_codes": codes}}
    return _stamp(rec, "eligibility", "getItemEligibilityPreview", observed_at)

