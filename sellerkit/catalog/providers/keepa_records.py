"""Keepa's product object -> catalog-format records and observations (pure: no I/O).

The field reference is `shared/fixtures/external/keepa/keepa-product-object.md` (Keepa's own
javadoc). Keepa's conventions, and what this module makes of them:

- Time: Keepa minutes since 2011-01-01T00:00Z; `unix_ms = (t + 21564000) * 60000`, converted
  with integer arithmetic (no float seconds).
- Prices: integers in the marketplace's minor unit (cents, yen), as the catalog keeps money.
  `-1` is "no offer / no data" and `-2` "not available": never a value. Amazon's own price
  history (`csv[0]`) at -1 is what says Amazon was out of stock (`amazon_in_stock: false`).
- History (`csv[i]`): flat `[t, v, t, v, ...]`; the shipping-bearing types (`isWithShipping`,
  e.g. 18 BUY_BOX_SHIPPING) are `[t, price, shipping, ...]` triples. The catalog's prices are
  what the buyer pays (price + shipping), as the Buy Box competes on it.
- `stats` (asked with `stats=<days>`): `current`, `avg30`, `avg90`, `avg180` and `avg` (the
  asked interval: 60 days, so it gives the d60 figures) by csv index; rank drops and out of
  stock percentages. They become `keepa_stats`, the `historical.*` figures of scan results as
  Keepa computed them (time-weighted over Keepa's full history, which a catalog's sampled
  observations cannot match).
- Dimensions: millimetres and grams -> inches and pounds, by the exact factors (25.4 mm and
  453.59237 g) in Decimal arithmetic, rounded half-even to 6 (inches) and 9 (pounds) decimal
  places: finer than any fee boundary (1/100 in, 1/10000 lb) and written exactly by a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from sellerkit.domain import identifiers as ids

KEEPA_START_MINUTE = 21_564_000  # 2011-01-01T00:00Z in Unix minutes
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROVIDER = "keepa"
OPERATION = "product"
IMAGE_BASE = "https://m.media-amazon.com/images/I/"
MM_PER_INCH = Decimal("25.4")
G_PER_POUND = Decimal("453.59237")
INCH_PLACES = Decimal("0.000001")
POUND_PLACES = Decimal("0.000000001")

# Keepa domain ids (AmazonLocale) by catalog marketplace code; 7 (cn) is not an Amazon
# marketplace the catalog knows.
DOMAINS: dict[str, int] = {"US": 1, "UK": 2, "DE": 3, "FR": 4, "JP": 5, "CA": 6, "IT": 8, "ES": 9,
                           "IN": 10, "MX": 11, "BR": 12}
MARKETPLACE_OF: dict[int, str] = {domain: code for code, domain in DOMAINS.items()}

# csv / stats indices (Product.CsvType)
AMAZON, NEW, USED, SALES, LISTPRICE = 0, 1, 2, 3, 4
NEW_FBM_SHIPPING, NEW_FBA, COUNT_NEW, COUNT_USED = 7, 10, 11, 12
BUY_BOX_SHIPPING, BUY_BOX_USED_SHIPPING, COUNT_NEW_FBA, COUNT_NEW_FBM = 18, 32, 34, 35
WITH_SHIPPING = frozenset({7, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 32})
# stats averages -> the period of scan results they give (`avg` is the asked interval)
AVERAGES = {"avg30": "d30", "avg90": "d90", "avg180": "d180"}


class UnsupportedMarketplace(ValueError):
    """A marketplace Keepa does not track."""

    def __init__(self, code: str) -> None:
        super().__init__(f"Keepa has no data for marketplace {code} (it covers "
                         f"{', '.join(DOMAINS)})")
        self.code = code


def domain_id(marketplace: str) -> int:
    try:
        return DOMAINS[marketplace]
    except KeyError:
        raise UnsupportedMarketplace(marketplace) from None


def keepa_time(minute: int) -> datetime:
    """A Keepa minute as an aware UTC datetime, exactly."""
    return _EPOCH + timedelta(minutes=int(minute) + KEEPA_START_MINUTE)


def unix_ms(minute: int) -> int:
    return (int(minute) + KEEPA_START_MINUTE) * 60_000


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(v: Any) -> int | None:
    """A Keepa integer that is data: not null, not -1 ("no data") nor -2 ("not available")."""
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        return None
    return v


def _landed(price: Any, shipping: Any) -> int | None:
    price, shipping = _value(price), _value(shipping)
    return price + shipping if price is not None and shipping is not None else None


# ---- histories ---------------------------------------------------------------------------------


def history(csv: list | None, index: int) -> list[tuple[int, int | None]]:
    """`(keepa_minute, value)` of one csv type, in Keepa's order; the value is None where Keepa
    says -1 (no offer, no data) or -2. A shipping-bearing type is read as triples and its value
    is price + shipping. A truncated last point is left out."""
    if not csv or index >= len(csv) or not csv[index]:
        return []
    series = csv[index]
    step = 3 if index in WITH_SHIPPING else 2
    out = []
    for i in range(0, len(series) - step + 1, step):
        t = series[i]
        value = _landed(series[i + 1], series[i + 2]) if step == 3 else _value(series[i + 1])
        out.append((int(t), value))
    return out


def _last(csv: list | None, index: int) -> int | None:
    points = history(csv, index)
    return points[-1][1] if points else None


def observations(product: Mapping[str, Any], marketplace: str | None = None) -> list[dict]:
    """Catalog-format observation records from a product's histories, one per Keepa minute at
    which any of them changed: Buy Box price (landed), sales rank, Amazon in stock, new offer
    count and monthly sold. A figure Keepa had no data for at that minute is absent."""
    mp = marketplace or MARKETPLACE_OF.get(product.get("domainId"))  # type: ignore[arg-type]
    asin = product.get("asin")
    if mp is None or not asin:
        return []
    csv = product.get("csv")
    points: dict[int, dict[str, Any]] = {}

    def put(t: int, name: str, value: Any) -> None:
        points.setdefault(t, {})[name] = value

    for t, v in history(csv, BUY_BOX_SHIPPING):
        if v is not None:
            put(t, "buybox_price", v)
    for t, v in history(csv, SALES):
        if v is not None:
            put(t, "rank", v)
    if csv and len(csv) > AMAZON and csv[AMAZON]:
        series = csv[AMAZON]
        for i in range(0, len(series) - 1, 2):
            if series[i + 1] == -1 or _value(series[i + 1]) is not None:  # -2: not known
                put(int(series[i]), "amazon_in_stock", series[i + 1] != -1)
    for t, v in history(csv, COUNT_NEW):
        if v is not None:
            put(t, "new_offers_count", v)
    sold = product.get("monthlySoldHistory") or []
    for i in range(0, len(sold) - 1, 2):
        if _value(sold[i + 1]) is not None:
            put(int(sold[i]), "monthly_sold", sold[i + 1])
    return [{"type": "observation", "marketplace": mp, "asin": asin,
             "observed_at": _stamp(keepa_time(t)), **fields}
            for t, fields in sorted(points.items())]


# ---- stats -------------------------------------------------------------------------------------


def _at(values: Any, index: int) -> int | None:
    if isinstance(values, list) and index < len(values):
        return _value(values[index])
    return None


def _stock_rate_bp(out_of_stock: Any) -> int | None:
    """Keepa's out-of-stock percentage of Amazon's offer -> in-stock share in basis points."""
    pct = _at(out_of_stock, AMAZON)
    return None if pct is None or pct > 100 else (100 - pct) * 100


def keepa_stats(stats: Mapping[str, Any] | None, observed_at: datetime,
                interval_days: int | None = 60) -> dict[str, Any] | None:
    """The `historical` figures of scan results as Keepa computed them:
    `{"observed_at", "bsr": {"d30": ...}, "price": {...}, "amazon_in_stock_rate": {...},
    "sales_rank_drops": {...}}` (price: the Buy Box's landed price; in-stock rate in basis
    points). A figure Keepa does not give (-1, or no such period) is absent. `avg` and the
    in-interval out-of-stock share count as the period `d<interval_days>` when that is one of
    the results' periods."""
    if not stats:
        return None
    periods = dict(AVERAGES)
    if interval_days is not None and f"d{interval_days}" in ("d30", "d60", "d90", "d180"):
        periods["avg"] = f"d{interval_days}"
    out: dict[str, dict[str, int]] = {"bsr": {}, "price": {}, "amazon_in_stock_rate": {}, "sales_rank_drops": {}}
    for name, period in periods.items():
        if (rank := _at(stats.get(name), SALES)) is not None:
            out["bsr"][period] = rank
        if (price := _at(stats.get(name), BUY_BOX_SHIPPING)) is not None:
            out["price"][period] = price
    stock = {"d30": stats.get("outOfStockPercentage30"), "d90": stats.get("outOfStockPercentage90")}
    if "avg" in periods:
        stock[periods["avg"]] = stats.get("outOfStockPercentageInInterval")
    for period, values in stock.items():
        if (rate := _stock_rate_bp(values)) is not None:
            out["amazon_in_stock_rate"][period] = rate
    for days in (30, 90, 180):
        if (drops := _value(stats.get(f"salesRankDrops{days}"))) is not None:
            out["sales_rank_drops"][f"d{days}"] = drops
    figures = {k: dict(sorted(v.items(), key=lambda kv: int(kv[0][1:]))) for k, v in out.items() if v}
    return {"observed_at": _stamp(observed_at), **figures} if figures else None


# ---- units -------------------------------------------------------------------------------------


def inches(mm: Any) -> float | None:
    """Millimetres -> inches, exactly to 6 decimal places; None for Keepa's 0 or -1."""
    if _value(mm) in (None, 0):
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        return float((Decimal(mm) / MM_PER_INCH).quantize(INCH_PLACES, rounding=ROUND_HALF_EVEN))


def pounds(grams: Any) -> float | None:
    """Grams -> pounds, exactly to 9 decimal places; None for Keepa's 0 or -1."""
    if _value(grams) in (None, 0):
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        return float((Decimal(grams) / G_PER_POUND).quantize(POUND_PLACES, rounding=ROUND_HALF_EVEN))


def _dimensions(product: Mapping[str, Any], prefix: str) -> dict[str, float]:
    dims = {"length": inches(product.get(f"{prefix}Length")), "width": inches(product.get(f"{prefix}Width")),
            "height": inches(product.get(f"{prefix}Height")), "weight": pounds(product.get(f"{prefix}Weight"))}
    return {k: v for k, v in dims.items() if v is not None}


def release_date(value: Any) -> tuple[str | None, str | None]:
    """Keepa's YYYY / YYYYMM / YYYYMMDD -> (catalog date YYYY-MM-DD when the day is known,
    the period as far as it is known)."""
    if _value(value) in (None, 0):
        return None, None
    text = str(value)
    if len(text) == 8:
        try:
            day = datetime.strptime(text, "%Y%m%d").date().isoformat()
        except ValueError:
            return None, None
        return day, day
    if len(text) == 6 and 1 <= int(text[4:]) <= 12:
        return None, f"{text[:4]}-{text[4:]}"
    if len(text) == 4:
        return None, text
    return None, None


# ---- the product record ------------------------------------------------------------------------


def _text(v: Any) -> str | None:
    return v.strip() if isinstance(v, str) and v.strip() else None


def _images(product: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for image in product.get("images") or []:
        if isinstance(image, Mapping) and (name := _text(image.get("l")) or _text(image.get("m"))):
            names.append(name)
    if not names and (csv := _text(product.get("imagesCSV"))):
        names = [n.strip() for n in csv.split(",") if n.strip()]
    return [IMAGE_BASE + n for n in dict.fromkeys(names)]


def _codes(values: Any) -> list[str]:
    return [v.strip() for v in values if isinstance(v, str) and v.strip()] if isinstance(values, list) else []


def observed_time(product: Mapping[str, Any], replied_at: datetime) -> datetime:
    """When the product's data was observed: Keepa's last update of it, never after the reply."""
    last = _value(product.get("lastUpdate"))
    return min(keepa_time(last), replied_at) if last else replied_at


def product_record(product: Mapping[str, Any], replied_at: datetime, *, marketplace: str | None = None,
                   kinds: Iterable[str] = ("catalog", "pricing"), stats_days: int | None = 60,
                   provider: str = PROVIDER, operation: str = OPERATION) -> dict[str, Any]:
    """A catalog-format product record of what the product object holds, with `updated_at`
    (Keepa's last update of it) and `provenance` for `kinds`. Fields Keepa leaves null, -1 or 0
    (for sizes) are absent, so merging never erases what another source gave."""
    mp = marketplace or MARKETPLACE_OF.get(product.get("domainId"))  # type: ignore[arg-type]
    observed = observed_time(product, replied_at)
    stamp = _stamp(observed)
    rec: dict[str, Any] = {"marketplace": mp, "asin": product.get("asin")}

    def put(name: str, value: Any) -> None:
        if value is not None and value != [] and value != {}:
            rec[name] = value

    put("title", _text(product.get("title")))
    put("brand", _text(product.get("brand")))
    put("manufacturer", _text(product.get("manufacturer")))
    put("color", _text(product.get("color")))
    put("size_name", _text(product.get("size")))
    put("model_number", _text(product.get("model")))
    put("part_number", _text(product.get("partNumber")))
    put("mpn", _text(product.get("partNumber")))
    put("product_group", _text(product.get("productGroup")))
    tree = [entry for entry in product.get("categoryTree") or []
            if isinstance(entry, Mapping) and _text(entry.get("name"))]
    if tree:
        put("category", _text(tree[0]["name"]))
        put("category_raw", ">".join(_text(e["name"]) for e in tree))  # type: ignore[misc]

    csv = product.get("csv")
    stats = product.get("stats") if isinstance(product.get("stats"), Mapping) else None
    current = stats.get("current") if stats else None

    def now(index: int) -> int | None:
        """The current value of a csv type: the stats' `current`, else the history's last point."""
        value = _at(current, index) if current is not None else None
        return value if value is not None else (_last(csv, index) if current is None else None)

    put("rank", now(SALES))
    names = {str(e.get("catId")): _text(e.get("name")) for e in tree}
    main = product.get("salesRankReference")
    sub_ranks = []
    for cat, series in (product.get("salesRanks") or {}).items():
        rank = _value(series[-1]) if isinstance(series, list) and len(series) >= 2 else None
        if rank is not None and str(cat) != str(main):
            sub_ranks.append({"rank": rank, "title": names.get(str(cat)) or str(cat)})
    put("sales_ranks", sub_ranks)
    put("buybox_price", now(BUY_BOX_SHIPPING))
    put("buybox_price_used", now(BUY_BOX_USED_SHIPPING))
    put("list_price", now(LISTPRICE))
    put("lowest_price_new_fba", now(NEW_FBA))
    put("lowest_price_new_fbm", now(NEW_FBM_SHIPPING))
    put("new_fba_offers_count", now(COUNT_NEW_FBA))
    put("new_fbm_offers_count", now(COUNT_NEW_FBM))
    put("new_offers_count", now(COUNT_NEW))  # extra field, as observations name it
    put("used_offers_count", now(COUNT_USED))  # extra field
    if stats:
        put("total_offers_count", _value(stats.get("totalOfferCount")))
    availability = product.get("availabilityAmazon")
    if isinstance(availability, int) and not isinstance(availability, bool) and availability >= -1:
        rec["sold_by_amazon"] = availability != -1  # -1: no Amazon offer exists
    elif current is not None and isinstance(current, list) and len(current) > AMAZON and current[AMAZON] != -2:
        rec["sold_by_amazon"] = current[AMAZON] != -1
    if product.get("offers") is not None:
        _offers(product, rec)

    put("parent_asin", _text(product.get("parentAsin")))
    children = [v.get("asin") for v in product.get("variations") or [] if isinstance(v, Mapping) and v.get("asin")]
    if not children and (text := _text(product.get("variationCSV"))):
        children = [a.strip() for a in text.split(",") if a.strip()]
    children = [a for a in dict.fromkeys(children) if a != rec["asin"]]
    if children:
        rec["variations_list"] = children
        rec["number_of_variations"] = len(children)
    put("package_dimensions", _dimensions(product, "package"))
    put("item_dimensions", _dimensions(product, "item"))
    put("identifiers", {family: codes for family, codes in
                        (("upc", _codes(product.get("upcList"))), ("ean", _codes(product.get("eanList"))),
                         ("gtin", _codes(product.get("gtinList")))) if codes})
    put("images", _images(product))
    hazmat = product.get("hazardousMaterials")
    if isinstance(hazmat, list):
        rec["is_hazmat"] = bool(hazmat)
    for name, field in (("is_meltable", "isHeatSensitive"), ("is_adult", "isAdultProduct")):
        if isinstance(product.get(field), bool):
            rec[name] = product[field]
    day, period = release_date(product.get("releaseDate"))
    put("release_date", day)
    if period and not day:
        rec["release_period"] = period  # extra: YYYY or YYYY-MM, as far as Keepa knows it
    put("bullet_points", [f.strip() for f in product.get("features") or [] if isinstance(f, str) and f.strip()])
    put("monthly_sold", _value(product.get("monthlySold")))
    fee = product.get("referralFeePercentage")
    if isinstance(fee, int | float) and not isinstance(fee, bool) and fee >= 0:
        rec["referral_fee_percent"] = fee  # extra: Keepa's percent (15 = 15%)
    put("keepa_stats", keepa_stats(stats, observed, stats_days))
    rec["updated_at"] = stamp
    rec["provenance"] = {kind: {"provider": provider, "operation": operation, "observed_at": stamp}
                         for kind in kinds}
    return rec


def _offers(product: Mapping[str, Any], rec: dict[str, Any]) -> None:
    """Lowest landed prices and counts of the live offers (asked with `offers=`): new and used,
    FBA and FBM. Amazon's own offer counts as FBA, as Amazon's FBA counts do."""
    offers = product.get("offers") or []
    live = product.get("liveOffersOrder")
    chosen = [offers[i] for i in dict.fromkeys(live) if isinstance(i, int) and 0 <= i < len(offers)] \
        if isinstance(live, list) else list(offers)
    lowest: dict[str, int] = {}
    counts = {"new_fba_offers_count": 0, "new_fbm_offers_count": 0}
    for offer in chosen:
        if not isinstance(offer, Mapping):
            continue
        series = offer.get("offerCSV") or []
        price = _landed(series[-2], series[-1]) if len(series) >= 3 else None
        condition = offer.get("condition")
        fba = bool(offer.get("isFBA") or offer.get("isAmazon"))
        if condition == 1:
            grade = "new"
            counts[f"new_{'fba' if fba else 'fbm'}_offers_count"] += 1
        elif condition in (2, 3, 4, 5):
            grade = "used"
        else:
            continue
        field = f"lowest_price_{grade}_{'fba' if fba else 'fbm'}"
        if price is not None and (field not in lowest or price < lowest[field]):
            lowest[field] = price
    rec.update(lowest)
    rec.update(counts)
    if (bb := _landed(product.get("buyBoxPrice"), product.get("buyBoxShipping"))) is not None:
        rec["buybox_price"] = bb
    if (used := _landed(product.get("buyBoxUsedPrice"), product.get("buyBoxUsedShipping"))) is not None:
        rec["buybox_price_used"] = used
    if isinstance(product.get("buyBoxIsAmazon"), bool) and product["buyBoxIsAmazon"]:
        rec["sold_by_amazon"] = True


def has_data(product: Mapping[str, Any]) -> bool:
    """Whether Keepa knows the product (an unknown or invalid ASIN comes back without a title
    or history, or with productType 4, INVALID)."""
    if product.get("productType") == 4:
        return False
    return bool(_text(product.get("title")) or product.get("csv"))


def code_keys(product: Mapping[str, Any]) -> set[str]:
    """Identifier-index keys of the codes Keepa lists for a product."""
    keys = set()
    for field, hint in (("upcList", "upc"), ("eanList", "ean"), ("gtinList", "gtin")):
        for code in _codes(product.get(field)):
            try:
                keys.add(ids.parse(code, hint=hint).key)
            except ids.InvalidIdentifier:
                continue
    return keys


def keepa_code(ident: ids.Identifier) -> str:
    """The spelling of a code Keepa's `code=` takes (UPC, EAN, ISBN-13): a UPC-A as its 12
    digits, an ISBN-10 or EAN as its EAN-13, a GTIN-14 as it is."""
    key = ident.key
    if ident.family == "upc" and key.startswith("00"):
        return key[2:]
    if ident.kind is ids.IdKind.EAN_8:
        return ident.value
    return key[1:] if key.startswith("0") else key
