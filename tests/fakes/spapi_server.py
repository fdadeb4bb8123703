"""A fake Amazon SP-API: a real HTTP server on 127.0.0.1 in this process, for tests and benches.

    with FakeSpApi(products=500, seed=1, fault_rate=0.05) as amazon:
        provider = SpApiProvider(creds, account_id=1, budgets=budgets,
                                 endpoint=amazon.url, token_url=amazon.token_url)
        ... amazon.calls["searchCatalogItems"], amazon.throttled, amazon.products ...

What it answers (the operations `sellerkit.catalog.providers.spapi` calls, at their paths):
- `POST /auth/o2/token`: Login with Amazon, refresh token -> access token (3,600 s).
- `GET /catalog/2022-04-01/items` (searchCatalogItems: identifiers by UPC/EAN/GTIN/ISBN/JAN/ASIN,
  includedData, pageSize 10 by default and 20 at most, pageToken pagination);
- `GET /products/pricing/v0/competitivePrice` (getCompetitivePricing, ItemType Asin);
- `POST /batches/products/pricing/v0/itemOffers` (getItemOffersBatch);
- `POST /products/fees/v0/feesEstimate` (getMyFeesEstimates);
- `GET /listings/2021-08-01/restrictions` (getListingsRestrictions);
- `GET /fba/inbound/v1/eligibility/itemPreview` (getItemEligibilityPreview);
- Orders v0 (getOrders, getOrderItems, confirmShipment): tests/fakes/spapi_orders.py.

Bodies are built from the official model examples in
../shared/fixtures/external/sp-api-models/examples/ (read in place; `MISSING` says why a
checkout without ../shared cannot start the fake): each reply is the example with the ASIN,
identifiers, title, dimensions, prices and counts of one product of the fake's universe
(`products`), which is generated deterministically from `seed` (or given as a list of
`FakeProduct`). Codes and ASINs outside the universe are answered as Amazon does: no item,
ClientError, an invalid-ASIN batch response, ASIN_NOT_FOUND, FBA_INB_0017.

Rate limits: every operation has the usage plan its model documents (`DOCUMENTED_LIMITS`:
rate per second and burst), enforced as a token bucket per operation and per seller (the refresh
token an access token was issued for, so renewing a token does not reset it): a call over the
limit gets Amazon's 429 QuotaExceeded. `limits` replaces plans by operation, `rate_scale`
multiplies every rate (a bench at 100x runs a 20-minute scan in 12 s), `tolerance` lets a call
arrive that many seconds early (the jitter of threads and sockets; Amazon has some too). Every
SP-API reply carries `x-amzn-RateLimit-Limit` with the (scaled) rate.

Faults: with probability `fault_rate` a call that passed the limit gets a 429 or a 500/503
anyway (seeded, so a run repeats). `revoke_tokens()` makes every access token issued so far
answer 401 (a revoked or expired token); `revoke_refresh_token()` makes LWA refuse a seller.

Counters: `calls[operation]` (every request, refused ones too), `seller_calls[(refresh token,
operation)]` (those with a valid token), `throttled` (429s sent, limit and faults), `failed` (5xx
sent), `tokens_issued`, `log` (every request answered: operation, query, body, seller) and
`answered(operation)` (how many of those).

Listings Items 2021-08-01 (put, patch, get and delete `/listings/2021-08-01/items/{sellerId}/{sku}`,
each seller's listings kept in `listings`): tests/fakes/spapi_listings.py.
"""

from __future__ import annotations

import copy
import json
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from sellerkit.domain import identifiers as ids
from sellerkit.domain.marketplaces import MARKETPLACES
from tests.fakes.spapi_orders import ORDERS_LIMITS, ORDERS_ROUTES, OrdersV0
from tests.fakes.spapi_listings import LISTINGS_LIMITS, LISTINGS_ROUTES, ListingsItems

SHARED = Path(os.environ.get("SELLERKIT_TEST_SHARED") or Path(__file__).resolve().parents[3] / "shared")
SP_API = SHARED / "fixtures" / "external" / "sp-api-models"
EXAMPLES = SP_API / "examples"
MISSING = f"SP-API model examples not found at {EXAMPLES} (../shared next to the checkout, or SELLERKIT_TEST_SHARED)"

# The usage plans in the models' operation descriptions (rate per second, burst).
DOCUMENTED_LIMITS: dict[str, tuple[float, float]] = {
    "searchCatalogItems": (2.0, 2),
    "getCompetitivePricing": (0.5, 1),
    "getItemOffersBatch": (0.1, 1),
    "getMyFeesEstimates": (0.5, 1),
    "getListingsRestrictions": (5.0, 10),
    "getItemEligibilityPreview": (1.0, 1),
    **ORDERS_LIMITS,
    **LISTINGS_LIMITS,
}
ROUTES = {
    ("GET", "/catalog/2022-04-01/items"): "searchCatalogItems",
    ("GET", "/products/pricing/v0/competitivePrice"): "getCompetitivePricing",
    ("POST", "/batches/products/pricing/v0/itemOffers"): "getItemOffersBatch",
    ("POST", "/products/fees/v0/feesEstimate"): "getMyFeesEstimates",
    ("GET", "/listings/2021-08-01/restrictions"): "getListingsRestrictions",
    ("GET", "/fba/inbound/v1/eligibility/itemPreview"): "getItemEligibilityPreview",
}
PATTERN_ROUTES = [*ORDERS_ROUTES, *LISTINGS_ROUTES]  # (method, path pattern, operation): path parameters join the query
TOKEN_PATH = "/auth/o2/token"
INCLUDED_DATA = {"attributes", "classifications", "dimensions", "identifiers", "images", "productTypes",
                 "relationships", "salesRanks", "summaries", "vendorDetails"}
AMAZON_US = "ATVPDKIKX0DER"  # Amazon's own seller id in the US (also the marketplace id)
_MARKETPLACE_IDS = {m.marketplace_id: m for m in MARKETPLACES.values()}

# ---- the universe ------------------------------------------------------------------------------

_BRANDS = ("Aldervale", "Brightwick", "Cobaltine", "Dunmore", "Everleaf", "Foxglen", "Granite & Co",
           "Hollowell", "Ivorytide", "Juniper Lane", "Kestrel", "Larkspur")
_NOUNS = ("Jigsaw Puzzle", "Water Bottle", "Desk Lamp", "Yoga Mat", "Bluetooth Speaker", "Chef Knife",
          "Board Game", "Throw Pillow", "Phone Stand", "Garden Hose", "Travel Mug", "Drawing Set")
_EXTRAS = ("1000 Piece", "Stainless Steel", "LED", "Non-Slip", "Portable", "8-Inch", "Family Edition",
           "Set of 2", "Adjustable", "50 ft", "16 oz", "48 Colors")
_COLORS = ("Black", "White", "Navy", "Sage Green", "Red", "Natural")
# (root category, display group id, display group name, sub-category, classification id)
_CATEGORIES = (
    ("Toys & Games", "toy_display_on_website", "Toy", "Puzzles", "166359011"),
    ("Home & Kitchen", "home_display_on_website", "Home", "Kitchen & Dining", "284507"),
    ("Electronics", "ce_display_on_website", "Electronics", "Portable Audio", "172623"),
    ("Sports & Outdoors", "sports_display_on_website", "Sports", "Yoga", "3422251"),
    ("Patio, Lawn & Garden", "lawn_and_garden_display_on_website", "Lawn & Patio", "Hoses", "553798"),
)
_BOOKS = ("Books", "book_display_on_website", "Book", "Cookbooks", "6")
# Units a reply states dimensions in, by product: conversions back must be exact.
_UNITS = (("inches", "pounds"), ("centimeters", "kilograms"), ("millimeters", "grams"), ("inches", "ounces"))
_TO_UNIT = {"inches": Decimal(1), "centimeters": Decimal("2.54"), "millimeters": Decimal("25.4"),
            "pounds": Decimal(1), "kilograms": Decimal("0.45359237"), "grams": Decimal("453.59237"),
            "ounces": Decimal(16)}


UPC_BASE = 64_200_000_000  # fake UPCs are 642...: realistic-looking, far from the fixtures' codes
UNKNOWN_OFFSET = 5_000_000  # unknown_codes() start this far past the universe (of fewer products)


def _base36(n: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")[-width:]


def _gtin(payload: str) -> str:
    return payload + ids.gtin_check_digit(payload)


def _round_cents(d: Decimal) -> int:
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class FakeOffer:
    seller_id: str
    fba: bool
    listing: int  # cents
    shipping: int  # cents
    condition: str = "new"

    @property
    def landed(self) -> int:
        return self.listing + self.shipping


@dataclass
class FakeProduct:
    """One product of the fake's catalog: what Amazon would answer about it, in every
    marketplace (money in the marketplace's currency, same numbers).

    `code` is the code a supplier's file lists (`family`: upc, ean, isbn, jan); `identifiers`
    all codes Amazon lists for the ASIN by identifierType. `length`/`width`/`height` are inches
    and `weight` pounds (exact decimals); replies state them in `units` (e.g. centimeters and
    kilograms), so mapping them back must give these exactly."""

    asin: str
    family: str
    code: str
    identifiers: dict[str, list[str]]
    title: str
    brand: str
    color: str
    category: tuple[str, str, str, str, str]
    rank: int
    price: int  # the new Buy Box, landed, in minor units
    list_price: int
    used_price: int | None
    offers: list[FakeOffer]
    used_offers: int
    length: Decimal
    width: Decimal
    height: Decimal
    weight: Decimal
    units: tuple[str, str] = ("inches", "pounds")
    restricted: bool = False
    hazmat: bool = False
    parent_asin: str | None = None
    other_fee: int = 0  # a fee type outside referral/FBA/closing/per-item (DigitalServicesFee)

    @property
    def key(self) -> str:
        return ids.parse(self.code, hint=self.family).key

    @property
    def upc(self) -> str | None:
        return (self.identifiers.get("UPC") or [None])[0]

    @property
    def ean(self) -> str | None:
        return (self.identifiers.get("EAN") or [None])[0]

    @property
    def sub_rank(self) -> int:
        return max(1, self.rank // 12)

    def new_offers(self, fba: bool | None = None) -> list[FakeOffer]:
        return [o for o in self.offers if o.condition == "new" and (fba is None or o.fba == fba)]

    def lowest_new(self, fba: bool) -> int | None:
        prices = [o.landed for o in self.new_offers(fba)]
        return min(prices) if prices else None

    @property
    def sold_by_amazon(self) -> bool:
        return any(o.seller_id == AMAZON_US for o in self.offers)

    @property
    def fba_fee(self) -> int:
        """The fake's FBA fulfilment fee: $3.22 up to half a pound, 40 cents a half pound more."""
        extra = max(Decimal(0), self.weight - Decimal("0.5"))
        steps = int((extra / Decimal("0.5")).to_integral_value(rounding="ROUND_CEILING"))
        return 322 + 40 * steps

    def fees(self, price: int, fba: bool) -> dict[str, int]:
        """Fee parts at `price` (minor units): referral 15% (at least 30), a $1.80 closing fee
        on books, the FBA fee when fulfilled by Amazon, and `other_fee`."""
        return {
            "referral": max(30, _round_cents(Decimal(price) * Decimal("0.15"))),
            "closing": 180 if self.category[0] == "Books" else 0,
            "per_item": 0,
            "fba": self.fba_fee if fba else 0,
            "other": self.other_fee,
        }


def make_products(n: int, seed: int = 1) -> list[FakeProduct]:
    """`n` products, the same for the same seed: 70% listed by UPC, 15% by EAN-13, 5% by JAN,
    10% books by ISBN; every 50th shares its code with the product before it (two ASINs for one
    barcode); every 7th is restricted, every 23rd hazmat, every 10th a variation child."""
    products: list[FakeProduct] = []
    for i in range(n):
        rng = random.Random(f"sellerkit-fake-spapi:{seed}:{i}")
        asin = "B0" + _base36(seed * 10_000_000 + i, 8)
        slot = i % 20
        if slot < 14:
            family, upc = "upc", _gtin(f"{(UPC_BASE + seed * 7_919 + i) % 10**11:011d}")
            code, identifiers = upc, {"UPC": [upc], "EAN": ["0" + upc], "GTIN": ["00" + upc]}
        elif slot < 17:
            family, code = "ean", _gtin(f"40{(seed * 131 + i) % 10**10:010d}")
            identifiers = {"EAN": [code], "GTIN": ["0" + code]}
        elif slot == 17:
            family, code = "jan", _gtin(f"49{(seed * 173 + i) % 10**10:010d}")
            identifiers = {"EAN": [code], "JAN": [code], "GTIN": ["0" + code]}
        else:
            payload = f"{(seed * 17 + i) % 10**9:09d}"
            isbn13 = _gtin("978" + payload)
            isbn10 = payload + ids.isbn10_check_digit(payload)
            family, code = "isbn", isbn13 if slot == 18 else isbn10
            identifiers = {"ISBN": [isbn10], "EAN": [isbn13], "GTIN": ["0" + isbn13]}
        if i % 50 == 49 and products:  # a second listing of the previous product's barcode
            prev = products[-1]
            family, code, identifiers = prev.family, prev.code, copy.deepcopy(prev.identifiers)
        category = _BOOKS if family == "isbn" else _CATEGORIES[rng.randrange(len(_CATEGORIES))]
        brand = _BRANDS[rng.randrange(len(_BRANDS))]
        noun = "Cookbook" if family == "isbn" else _NOUNS[rng.randrange(len(_NOUNS))]
        title = f"{brand} {noun}, {_EXTRAS[rng.randrange(len(_EXTRAS))]}"
        price = rng.randrange(799, 9999)
        fba_n, fbm_n = rng.randrange(0, 12), rng.randrange(0, 9)
        if i % 31 == 30:
            fba_n = fbm_n = 0  # no buyable offer
        offers: list[FakeOffer] = []
        for k in range(fba_n):
            seller = AMAZON_US if (k == 0 and rng.random() < 0.25) else f"A{_base36(seed * 977 + i * 37 + k, 12)}"
            offers.append(FakeOffer(seller, True, price + 37 * k, 0))
        for k in range(fbm_n):
            offers.append(FakeOffer(f"M{_base36(seed * 991 + i * 41 + k, 12)}", False,
                                    price - 120 + 53 * k, 499))
        used = rng.randrange(0, 5) if family == "isbn" or rng.random() < 0.3 else 0
        dims = sorted((Decimal(rng.randrange(100, 2400)) / 100 for _ in range(3)), reverse=True)
        products.append(FakeProduct(
            asin=asin, family=family, code=code, identifiers=identifiers, title=title, brand=brand,
            color=_COLORS[rng.randrange(len(_COLORS))], category=category,
            rank=int(10 ** (2 + 4 * rng.random())), price=price,
            list_price=_round_cents(Decimal(price) * Decimal("1.25")),
            used_price=_round_cents(Decimal(price) * Decimal("0.7")) if used else None,
            offers=offers[:20], used_offers=used,
            length=dims[0], width=dims[1], height=dims[2],
            weight=Decimal(rng.randrange(5, 4000)) / 100, units=_UNITS[i % len(_UNITS)],
            restricted=i % 7 == 3, hazmat=i % 23 == 11,
            parent_asin="B0" + _base36(seed * 10_000_000 + 9_000_000 + i // 10, 8) if i % 10 == 5 else None,
            other_fee=30 if i % 9 == 4 else 0,
        ))
    return products


def unknown_codes(n: int, seed: int = 1) -> list[str]:
    """Valid UPCs no fake product lists (rows Amazon does not know)."""
    return [_gtin(f"{(UPC_BASE + seed * 7_919 + UNKNOWN_OFFSET + i) % 10**11:011d}") for i in range(n)]


# ---- bodies built from the model examples ------------------------------------------------------


class _Examples:
    """The example bodies the replies are built from, read once."""

    def __init__(self) -> None:
        if not EXAMPLES.is_dir():
            raise FileNotFoundError(MISSING)

        def load(name: str) -> Any:
            return json.loads((EXAMPLES / name).read_text())

        self.catalog_item = load("catalogItems_2022-04-01/searchCatalogItems.200.example.json")["items"][0]
        self.catalog_page = load("catalogItems_2022-04-01/searchCatalogItems.200.example.json")
        self.pricing = load("productPricingV0/getCompetitivePricing.200.sandbox-static-0.json")["response"]["payload"][0]
        self.offers = load("productPricingV0/getItemOffersBatch.200.sandbox-static-0.json")["response"]["responses"][0]
        self.fees = load("productFeesV0/getMyFeesEstimates.200.sandbox-static-0.json")["response"][0]
        recorded = json.loads((SP_API / "recorded/python-amazon-sp-api_fees.json").read_text())
        self.fee_detail = recorded["payload"]["FeesEstimateResult"]["FeesEstimate"]["FeeDetailList"][0]
        self.restriction = load("listingsRestrictions_2021-08-01/getListingsRestrictions.200.example.json")
        self.eligibility = load("fbaInbound/getItemEligibilityPreview.200.example-ItemEligibilityPreview.json")
        self.errors = {status: load(f"fbaInbound/getItemEligibilityPreview.{status}.sandbox-static-0.json")["response"]
                       for status in (400, 401, 403, 404, 429, 500, 503)}


_examples: _Examples | None = None
_examples_lock = threading.Lock()


def examples() -> _Examples:
    global _examples
    with _examples_lock:
        if _examples is None:
            _examples = _Examples()
        return _examples


def _money(cents: int, currency: str) -> dict:
    amount: float | int = cents if currency == "JPY" else float(Decimal(cents) / 100)
    return {"CurrencyCode": currency, "Amount": amount}


def _measure(value: Decimal, unit: str) -> float:
    """A length (inches) or weight (pounds) stated in `unit`: an exact decimal, sent as its
    shortest float (Amazon's numbers are floats on the wire too)."""
    return float(value * _TO_UNIT[unit])


def _dims(p: FakeProduct, scale: Decimal = Decimal(1)) -> dict:
    length_unit, weight_unit = p.units
    return {
        "length": {"unit": length_unit, "value": _measure(p.length * scale, length_unit)},
        "width": {"unit": length_unit, "value": _measure(p.width * scale, length_unit)},
        "height": {"unit": length_unit, "value": _measure(p.height * scale, length_unit)},
        "weight": {"unit": weight_unit, "value": _measure(p.weight * scale, weight_unit)},
    }


ITEM_SCALE = Decimal("0.9")  # the item is 90% of its package in every measure


def catalog_item(p: FakeProduct, mp_id: str, currency: str) -> dict:
    """The searchCatalogItems example item, made this product's."""
    ex = examples()
    item = copy.deepcopy(ex.catalog_item)
    root, group_id, group_name, sub, sub_id = p.category
    item["asin"] = p.asin
    keep = {"item_type_name", "number_of_items", "batteries_required", "style", "product_site_launch_date"}
    attrs = {k: v for k, v in item["attributes"].items() if k in keep}
    for values in attrs.values():
        for v in values:
            v["marketplace_id"] = mp_id
    package, inner = _dims(p), _dims(p, ITEM_SCALE)

    def attr(value: Any, **extra: Any) -> list[dict]:
        return [{"value": value, "marketplace_id": mp_id, **extra}]

    attrs.update(
        item_name=attr(p.title, language_tag="en_US"),
        brand=attr(p.brand, language_tag="en_US"),
        manufacturer=attr(f"{p.brand} Manufacturing", language_tag="en_US"),
        color=attr(p.color, language_tag="en_US"),
        part_number=attr(f"{p.asin[2:]}-PN"),
        model_number=attr(f"{p.asin[2:]}-M"),
        bullet_point=[{"value": f"{p.title.upper()}: made to last", "language_tag": "en_US", "marketplace_id": mp_id},
                      {"value": f"Sold by {p.brand}", "language_tag": "en_US", "marketplace_id": mp_id}],
        list_price=[{"currency": currency, "value": _money(p.list_price, currency)["Amount"], "marketplace_id": mp_id}],
        supplier_declared_dg_hz_regulation=attr("ghs" if p.hazmat else "not_applicable"),
        item_dimensions=[{**{k: inner[k] for k in ("length", "width", "height")}, "marketplace_id": mp_id}],
        item_weight=[{**inner["weight"], "marketplace_id": mp_id}],
        item_package_dimensions=[{**{k: package[k] for k in ("length", "width", "height")}, "marketplace_id": mp_id}],
        item_package_weight=[{**package["weight"], "marketplace_id": mp_id}],
    )
    item["attributes"] = attrs
    item["classifications"] = [{"marketplaceId": mp_id, "classifications": [{
        "displayName": sub, "classificationId": sub_id,
        "parent": {"displayName": root, "classificationId": f"{sub_id}0"}}]}]
    item["dimensions"] = [{"marketplaceId": mp_id, "item": inner, "package": package}]
    item["identifiers"] = [{"marketplaceId": mp_id, "identifiers": [
        {"identifier": code, "identifierType": kind} for kind, codes in p.identifiers.items() for code in codes]}]
    item["images"] = [{"marketplaceId": mp_id, "images": [
        {"variant": variant, "link": f"https://m.media-amazon.com/images/I/{p.asin}{variant}{size}.jpg",
         "height": size, "width": size}
        for variant in ("MAIN", "PT01", "PT02") for size in (1000, 500)]}]
    item["productTypes"] = [{"marketplaceId": mp_id, "productType": "ABIS_BOOK" if root == "Books" else "PRODUCT"}]
    item["salesRanks"] = [{"marketplaceId": mp_id,
                           "classificationRanks": [{"classificationId": sub_id, "title": sub,
                                                    "link": f"http://www.amazon.com/gp/bestsellers/{sub_id}",
                                                    "rank": p.sub_rank}],
                           "displayGroupRanks": [{"websiteDisplayGroup": group_id, "title": root,
                                                  "link": "http://www.amazon.com/gp/bestsellers", "rank": p.rank}]}]
    summary = dict(item["summaries"][0])
    summary.update(marketplaceId=mp_id, brand=p.brand, itemName=p.title, color=p.color,
                   manufacturer=f"{p.brand} Manufacturing", modelNumber=f"{p.asin[2:]}-M",
                   partNumber=f"{p.asin[2:]}-PN", packageQuantity=1, size="One Size", style="Standard",
                   browseClassification={"displayName": sub, "classificationId": sub_id},
                   websiteDisplayGroup=group_id, websiteDisplayGroupName=group_name,
                   itemClassification="BASE_PRODUCT")
    item["summaries"] = [summary]
    relationships = []
    if p.parent_asin:
        relationships.append({"type": "VARIATION", "parentAsins": [p.parent_asin],
                              "variationTheme": {"attributes": ["color"], "theme": "COLOR_NAME"}})
    item["relationships"] = [{"marketplaceId": mp_id, "relationships": relationships}]
    item.pop("vendorDetails", None)
    return item


def competitive_price(p: FakeProduct | None, asin: str, mp_id: str, currency: str) -> dict:
    entry = copy.deepcopy(examples().pricing)
    entry["ASIN"] = asin
    entry["Product"]["Identifiers"] = {"MarketplaceASIN": {"MarketplaceId": mp_id, "ASIN": asin}}
    if p is None:
        entry["status"] = "ClientError"
        del entry["Product"]["CompetitivePricing"], entry["Product"]["SalesRankings"]
        return entry
    prices = []
    if p.new_offers():
        prices.append({"CompetitivePriceId": "1", "Price": {
            "LandedPrice": _money(p.price, currency), "ListingPrice": _money(p.price, currency),
            "Shipping": _money(0, currency)}, "condition": "New", "belongsToRequester": False})
    if p.used_price is not None:
        prices.append({"CompetitivePriceId": "2", "Price": {
            "LandedPrice": _money(p.used_price + 399, currency), "ListingPrice": _money(p.used_price, currency),
            "Shipping": _money(399, currency)}, "condition": "Used", "belongsToRequester": False})
    new = len(p.new_offers())
    competitive = entry["Product"]["CompetitivePricing"]
    competitive["CompetitivePrices"] = prices
    competitive["NumberOfOfferListings"] = [{"Count": new, "condition": "New"},
                                            {"Count": p.used_offers, "condition": "Used"},
                                            {"Count": new + p.used_offers, "condition": "Any"}]
    competitive.pop("TradeInValue", None)
    entry["Product"]["SalesRankings"] = [{"ProductCategoryId": p.category[1], "Rank": p.rank},
                                         {"ProductCategoryId": p.category[4], "Rank": p.sub_rank}]
    return entry


def item_offers(p: FakeProduct | None, asin: str, mp_id: str, currency: str, request: dict) -> dict:
    """One response of a getItemOffersBatch reply."""
    resp = copy.deepcopy(examples().offers)
    resp["request"] = {"MarketplaceId": mp_id, "Asin": asin, "CustomerType": request.get("CustomerType", "Consumer"),
                       "ItemCondition": request.get("ItemCondition", "New")}
    if p is None:
        resp["status"] = {"statusCode": 400, "reasonPhrase": "Bad Request"}
        resp["body"] = {"errors": [{"code": "InvalidInput", "message": f"Invalid ASIN {asin} for marketplace {mp_id}",
                                    "details": ""}]}
        return resp
    payload = resp["body"]["payload"]
    payload.update(ASIN=asin, marketplaceId=mp_id, status="Success" if p.new_offers() else "NoBuyableOffers")
    payload["Identifier"] = {"MarketplaceId": mp_id, "ItemCondition": "New", "ASIN": asin}
    offers = sorted(p.new_offers(), key=lambda o: o.landed)
    summary: dict[str, Any] = {"TotalOfferCount": len(offers)}
    if offers:
        lowest, counts = [], []
        for fba, channel in ((True, "Amazon"), (False, "Merchant")):
            mine = [o for o in offers if o.fba == fba]
            if mine:
                o = mine[0]
                lowest.append({"condition": "new", "fulfillmentChannel": channel,
                               "LandedPrice": _money(o.landed, currency), "ListingPrice": _money(o.listing, currency),
                               "Shipping": _money(o.shipping, currency)})
                counts.append({"condition": "new", "fulfillmentChannel": channel, "OfferCount": len(mine)})
        summary.update(
            LowestPrices=lowest, NumberOfOffers=counts, BuyBoxEligibleOffers=copy.deepcopy(counts),
            BuyBoxPrices=[{"condition": "new", "LandedPrice": _money(p.price, currency),
                           "ListingPrice": _money(p.price, currency), "Shipping": _money(0, currency)}],
            SalesRankings=[{"ProductCategoryId": p.category[1], "Rank": p.rank}],
            ListPrice=_money(p.list_price, currency))
    template = payload["Offers"][0]
    payload["Offers"] = []
    for o in offers:
        offer = copy.deepcopy(template)
        offer.update(SellerId=o.seller_id, IsFulfilledByAmazon=o.fba, SubCondition="new",
                     IsBuyBoxWinner=o.fba and o.listing == p.price, ListingPrice=_money(o.listing, currency),
                     Shipping=_money(o.shipping, currency))
        payload["Offers"].append(offer)
    payload["Summary"] = summary
    return resp


def fees_result(p: FakeProduct | None, request: dict, seller_id: str) -> dict:
    ex = examples()
    estimate_request = request.get("FeesEstimateRequest") or {}
    price = estimate_request.get("PriceToEstimateFees") or {}
    listing = price.get("ListingPrice") or {}
    currency = listing.get("CurrencyCode", "USD")
    exponent = 0 if currency == "JPY" else 2
    cents = _round_cents(Decimal(str(listing.get("Amount", 0))).scaleb(exponent))
    fba = bool(estimate_request.get("IsAmazonFulfilled"))
    result = copy.deepcopy(ex.fees)
    result["FeesEstimateIdentifier"] = {
        "MarketplaceId": estimate_request.get("MarketplaceId"), "IdType": request.get("IdType", "ASIN"),
        "SellerId": seller_id, "SellerInputIdentifier": estimate_request.get("Identifier"),
        "IsAmazonFulfilled": fba, "IdValue": request.get("IdValue"), "PriceToEstimateFees": price}
    if p is None:
        result["Status"] = "ClientError"
        result.pop("FeesEstimate", None)
        result["Error"] = {"Type": "Sender", "Code": "InvalidParameterValue",
                           "Message": f"The item {request.get('IdValue')} is not in the catalog of this marketplace.",
                           "Detail": []}
        return result
    parts = p.fees(cents, fba)

    def detail(fee_type: str, amount: int) -> dict:
        d = copy.deepcopy(ex.fee_detail)
        d.update(FeeType=fee_type, FeeAmount=_money(amount, currency), FinalFee=_money(amount, currency),
                 FeePromotion=_money(0, currency))
        return d

    details = [detail("ReferralFee", parts["referral"]), detail("VariableClosingFee", parts["closing"]),
               detail("PerItemFee", parts["per_item"])]
    if fba:
        fba_fees = detail("FBAFees", parts["fba"])
        fba_fees["IncludedFeeDetailList"] = [detail("FBAPerUnitFulfillmentFee", parts["fba"])]
        details.append(fba_fees)
    if parts["other"]:
        details.append(detail("DigitalServicesFee", parts["other"]))
    result["FeesEstimate"] = {"TimeOfFeesEstimation": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                              "TotalFeesEstimate": _money(sum(parts.values()), currency),
                              "FeeDetailList": details}
    result["Status"] = "Success"
    return result


def restrictions(p: FakeProduct | None, asin: str, mp_id: str, condition: str) -> dict:
    if p is not None and not p.restricted:
        return {"restrictions": []}
    body = copy.deepcopy(examples().restriction)
    restriction = body["restrictions"][0]
    restriction.update(marketplaceId=mp_id, conditionType=condition)
    reason = restriction["reasons"][0]
    if p is None:
        restriction["reasons"] = [{"message": f"ASIN {asin} was not found in the Amazon catalog.",
                                   "reasonCode": "ASIN_NOT_FOUND"}]
    else:
        reason["reasonCode"] = "APPROVAL_REQUIRED"
        reason["message"] = "You need approval to list in this brand."
        for link in reason.get("links") or []:
            link["resource"] = link["resource"].replace("B0000ASIN1", asin)
    return body


def eligibility(p: FakeProduct | None, asin: str, mp_id: str, program: str) -> dict:
    body = copy.deepcopy(examples().eligibility)
    payload = body["payload"]
    payload.update(asin=asin, marketplaceId=mp_id, program=program)
    codes = ["FBA_INB_0017"] if p is None else ["FBA_INB_0016"] if p.hazmat else []
    payload["isEligibleForProgram"] = not codes
    if codes:
        payload["ineligibilityReasonList"] = codes
    return body


# ---- the server --------------------------------------------------------------------------------


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def _invalid(message: str) -> _Reply:
    return _Reply(400, {"errors": [{"code": "InvalidInput", "message": message, "details": ""}]})


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class FakeSpApi(OrdersV0, ListingsItems):
    """See the module docstring. `products`: a count (generated from `seed`) or a list of
    `FakeProduct`. `limits`: `{operation: (rate, burst)}` replacing DOCUMENTED_LIMITS entries
    (None: the documented plans). `seller_id`: the merchant token fee replies carry."""

    products: int | list[FakeProduct] = 100
    seed: int = 1
    fault_rate: float = 0.0
    limits: dict[str, tuple[float, float]] | None = None
    rate_scale: float = 1.0
    tolerance: float = 0.01
    seller_id: str = "A2FAKESELLER01"
    calls: Counter = field(default_factory=Counter)
    seller_calls: Counter = field(default_factory=Counter)
    throttled: int = 0
    failed: int = 0
    tokens_issued: int = 0
    log: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        examples()  # fails now, saying why, when the model examples are missing
        if isinstance(self.products, int):
            self.products = make_products(self.products, self.seed)
        self.by_asin = {p.asin: p for p in self.products}
        self.by_key: dict[str, list[FakeProduct]] = {}
        for p in self.products:
            keys = {ids.parse(c, hint=t.lower()).key for t, codes in p.identifiers.items() for c in codes}
            for key in keys:
                self.by_key.setdefault(key, []).append(p)
        plans = {**DOCUMENTED_LIMITS, **(self.limits or {})}
        self.plans = {op: (rate * self.rate_scale, burst) for op, (rate, burst) in plans.items()}
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults:{self.seed}")
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._tokens: dict[str, str] = {}  # access token -> refresh token (the seller)
        self._revoked: set[str] = set()
        self._refused: set[str] = set()
        self._items: dict[tuple[str, str], dict] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeSpApi:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-spapi", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSpApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first (use it as a context manager)"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    # ---- controls ------------------------------------------------------------------------------

    def revoke_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on."""
        with self._lock:
            self._revoked.update(self._tokens)

    def revoke_refresh_token(self, refresh_token: str) -> None:
        """LWA refuses this refresh token (invalid_grant) from now on."""
        with self._lock:
            self._refused.add(refresh_token)

    def seed_budgets(self, budgets, account_id: int) -> None:
        """Tell `budgets` this fake's (scaled) plans for `account_id`, as the first replies'
        x-amzn-RateLimit-Limit headers would: benches start at the fake's pace."""
        for op, (rate, burst) in self.plans.items():
            budgets.follow("spapi", op, account_id, rate, burst)

    def answered(self, operation: str) -> int:
        """Requests of `operation` that got past the token check, the limit and the faults."""
        with self._lock:
            return sum(1 for entry in self.log if entry["operation"] == operation)

    def minimum_seconds(self, operation: str, calls: int) -> float:
        """The least time `calls` calls of `operation` take by one seller under its plan."""
        rate, burst = self.plans[operation]
        return max(0.0, (calls - burst) / rate)

    # ---- request handling (server threads) -----------------------------------------------------

    def _seller(self, token: str | None) -> str:
        with self._lock:
            if token in self._revoked:
                raise _Reply(401, examples().errors[401])
            seller = self._tokens.get(token or "")
        if seller is None:
            raise _Reply(403, examples().errors[403])
        return seller

    def _admit(self, seller: str, operation: str) -> None:
        rate, burst = self.plans[operation]
        limit = {"x-amzn-RateLimit-Limit": f"{rate:g}"}
        now = time.monotonic()
        with self._lock:
            self.seller_calls[(seller, operation)] += 1
            bucket = self._buckets.setdefault((seller, operation), _Bucket(burst, now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens + self.tolerance * rate < 1:
                self.throttled += 1
                raise _Reply(429, examples().errors[429], limit)
            bucket.tokens = max(0.0, bucket.tokens - 1)
            fault = self._rng.random() < self.fault_rate
            kind = self._rng.choice((429, 500, 503)) if fault else None
            if kind == 429:
                self.throttled += 1
            elif kind:
                self.failed += 1
        if kind:
            raise _Reply(kind, examples().errors[kind], limit)

    def token(self, form: dict[str, list[str]]) -> _Reply:
        grant = (form.get("grant_type") or [""])[0]
        refresh = (form.get("refresh_token") or [""])[0]
        if grant != "refresh_token" or not refresh or not (form.get("client_id") or [""])[0]:
            return _Reply(400, {"error": "invalid_request", "error_description": "The request is missing a required parameter"})
        with self._lock:
            if refresh in self._refused:
                return _Reply(400, {"error": "invalid_grant",
                                    "error_description": "The request has an invalid grant parameter : refresh_token"})
            self.tokens_issued += 1
            token = f"Atza|fake-{self.tokens_issued}"
            self._tokens[token] = refresh
        return _Reply(200, {"access_token": token, "refresh_token": refresh, "token_type": "bearer", "expires_in": 3600})

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any, token: str | None) -> _Reply:
        operation = ROUTES.get((method, path))
        for verb, pattern, name in PATTERN_ROUTES if operation is None else ():  # paths with parameters
            if verb == method and (match := pattern.fullmatch(path)):
                operation, query = name, {**query, **{k: [v] for k, v in match.groupdict().items()}}
                break
        if operation is None:
            return _Reply(404, {"errors": [{"code": "NotFound", "message": f"No operation at {method} {path}"}]})
        with self._lock:
            self.calls[operation] += 1
        seller = self._seller(token)
        self._admit(seller, operation)
        with self._lock:
            self.log.append({"operation": operation, "query": query, "body": body, "seller": seller})
        rate = self.plans[operation][0]
        reply = getattr(self, "_" + operation)(query, body)
        reply.headers.setdefault("x-amzn-RateLimit-Limit", f"{rate:g}")
        return reply

    @staticmethod
    def _one(query: dict, name: str, required: bool = True) -> str | None:
        values = query.get(name)
        if not values or not values[0]:
            if required:
                raise _invalid(f"Missing required parameter '{name}'.")
            return None
        return values[0]

    @staticmethod
    def _csv(query: dict, name: str) -> list[str]:
        return [v for value in query.get(name, []) for v in value.split(",") if v]

    def _marketplace(self, mp_id: str | None) -> tuple[str, str]:
        mp = _MARKETPLACE_IDS.get(mp_id or "")
        if mp is None:
            raise _Reply(400, {"errors": [{"code": "InvalidInput", "message": "Invalid Marketplace identifier.",
                                           "details": str(mp_id)}]})
        return mp.marketplace_id, mp.currency

    def _searchCatalogItems(self, query: dict, body: Any) -> _Reply:  # noqa: N802 - operation name
        mp_ids = self._csv(query, "marketplaceIds")
        if len(mp_ids) != 1:
            raise _invalid("marketplaceIds: give exactly one marketplace.")
        mp_id, currency = self._marketplace(mp_ids[0])
        codes = self._csv(query, "identifiers")
        if not codes or len(codes) > 20:
            raise _invalid(f"identifiers: give 1 to 20 identifiers, not {len(codes)}.")
        id_type = self._one(query, "identifiersType")
        if id_type not in ("ASIN", "EAN", "GTIN", "ISBN", "JAN", "MINSAN", "SKU", "UPC"):
            raise _invalid(f"Invalid identifiersType {id_type}.")
        included = set(self._csv(query, "includedData")) or {"summaries"}
        if included - INCLUDED_DATA:
            raise _invalid(f"Invalid includedData {sorted(included - INCLUDED_DATA)}.")
        size = int(self._one(query, "pageSize", required=False) or 10)
        if not 1 <= size <= 20:
            raise _invalid("pageSize: 1 to 20.")
        found: list[FakeProduct] = []
        for code in codes:
            if id_type == "ASIN":
                hits = [self.by_asin[code]] if code in self.by_asin else []
            else:
                try:
                    key = ids.parse(code, hint={"GTIN": "gtin", "UPC": "upc", "EAN": "ean", "ISBN": "isbn",
                                                "JAN": "jan"}.get(id_type)).key
                except (ids.InvalidIdentifier, TypeError):
                    continue
                hits = [p for p in self.by_key.get(key, ()) if id_type in p.identifiers]
            found += [p for p in hits if p not in found]
        offset = int((self._one(query, "pageToken", required=False) or "page-0").removeprefix("page-") or 0)
        page = found[offset:offset + size]
        items = []
        for p in page:
            full = self._items.get((p.asin, mp_id))
            if full is None:  # built once per product and marketplace: replies are only read
                full = self._items[(p.asin, mp_id)] = catalog_item(p, mp_id, currency)
            items.append({"asin": p.asin, **{k: v for k, v in full.items() if k in included}})
        reply: dict[str, Any] = {"numberOfResults": len(found), "items": items,
                                 "refinements": {"brands": [], "classifications": []}}
        if offset + size < len(found):
            reply["pagination"] = {"nextToken": f"page-{offset + size}"}
        return _Reply(200, reply)

    def _getCompetitivePricing(self, query: dict, body: Any) -> _Reply:  # noqa: N802
        mp_id, currency = self._marketplace(self._one(query, "MarketplaceId"))
        if self._one(query, "ItemType") != "Asin":
            raise _invalid("ItemType: only Asin is served by this fake.")
        asins = self._csv(query, "Asins")
        if not asins or len(asins) > 20:
            raise _invalid(f"Asins: give 1 to 20 ASINs, not {len(asins)}.")
        return _Reply(200, {"payload": [competitive_price(self.by_asin.get(a), a, mp_id, currency) for a in asins]})

    def _getItemOffersBatch(self, query: dict, body: Any) -> _Reply:  # noqa: N802
        requests = (body or {}).get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not 1 <= len(requests) <= 20:
            raise _invalid("requests: give 1 to 20 getItemOffers requests.")
        out = []
        for r in requests:
            uri = str(r.get("uri", ""))
            if not (uri.startswith("/products/pricing/v0/items/") and uri.endswith("/offers")) or r.get("method") != "GET":
                raise _invalid(f"Invalid batch request uri {uri!r} or method.")
            mp_id, currency = self._marketplace(r.get("MarketplaceId"))
            asin = uri.split("/")[5]
            out.append(item_offers(self.by_asin.get(asin), asin, mp_id, currency, r))
        return _Reply(200, {"responses": out})

    def _getMyFeesEstimates(self, query: dict, body: Any) -> _Reply:  # noqa: N802
        if not isinstance(body, list) or not 1 <= len(body) <= 20:
            raise _invalid("Give 1 to 20 FeesEstimateByIdRequest.")
        out = []
        for r in body:
            req = r.get("FeesEstimateRequest") or {}
            self._marketplace(req.get("MarketplaceId"))
            if r.get("IdType") != "ASIN":
                raise _invalid("IdType: only ASIN is served by this fake.")
            out.append(fees_result(self.by_asin.get(str(r.get("IdValue"))), r, self.seller_id))
        return _Reply(200, out)

    def _getListingsRestrictions(self, query: dict, body: Any) -> _Reply:  # noqa: N802
        asin = self._one(query, "asin")
        self._one(query, "sellerId")
        mp_id, _ = self._marketplace(self._one(query, "marketplaceIds"))
        condition = self._one(query, "conditionType", required=False) or "new_new"
        try:
            ids.parse_asin(asin)
        except ids.InvalidIdentifier:
            return _Reply(400, [{"code": "BAD_REQUEST", "message": "Invalid 'asin' provided."}])
        return _Reply(200, restrictions(self.by_asin.get(asin), asin, mp_id, condition))

    def _getItemEligibilityPreview(self, query: dict, body: Any) -> _Reply:  # noqa: N802
        asin = self._one(query, "asin")
        program = self._one(query, "program")
        if program not in ("INBOUND", "COMMINGLING"):
            raise _invalid(f"Invalid program {program}.")
        mp_id, _ = self._marketplace(self._one(query, "marketplaceIds"))
        return _Reply(200, eligibility(self.by_asin.get(asin), asin, mp_id, program))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Amazon's endpoints
    fake: FakeSpApi

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _reply(self, reply: _Reply) -> None:
        data = b"" if reply.status == 204 else orjson.dumps(reply.body)
        self.send_response(reply.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-amzn-RequestId", f"fake-{id(reply):x}")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            if method == "POST" and url.path == TOKEN_PATH:
                reply = self.fake.token(parse_qs(raw.decode()))
            else:
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    raise _invalid("The request body is not JSON.") from None
                reply = self.fake.handle(method, url.path, parse_qs(url.query), body,
                                         self.headers.get("x-amz-access-token"))
        except _Reply as r:
            reply = r
        self._reply(reply)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._serve("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")
