"""A scan result as the official RocketSource TypeScript client types it (`PublicProduct`).

The results page sends the reference's product object (`results.product_object`) with what the
client's `src/types/scan.ts` adds beside it: `offers` built from the result's prices and offer
counts, `images` by marketplace, `small_and_light_eligible_reasons`, `favorited`, units on
dimensions, catalog fields the result does not store (`bullet_points`, `sales_ranks` ...), and the
client's numeric marketplace ids. The client's optional fields admit no null, so a field with no
value is left out; its required booleans say false when the catalog does not know (as the flags
do in filters: "not known to be"). Pure: the caller hands in the catalog record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sellerkit.domain import results

# The client's `MARKETPLACE_IDS` (src/types/marketplace.ts): its numeric marketplace ids.
CLIENT_MARKETPLACE_IDS = {code: n for n, code in enumerate(
    ("US", "CA", "MX", "UK", "DE", "FR", "IT", "ES", "NL", "SE", "PL", "EG", "TR", "IN", "JP", "AU", "SG"), start=1)}
IMAGE_VARIANTS = ("MAIN", "PT01", "PT02", "PT03", "PT04", "PT05", "PT06", "PT07", "PT08")  # the client's ImageVariant
REQUIRED_FLAGS = ("is_brand_blocklisted", "is_adult", "is_hazmat", "is_meltable", "small_and_light_eligible")
# catalog-format fields the result does not store, passed through as they are
CATALOG_FIELDS = ("category_raw", "variations_list", "buybox_price_used", "bullet_points", "has_expiration",
                  "release_date", "model_number", "part_number")
# what the client's product takes of a catalog record (`record_part`)
RECORD_FIELDS = (*CATALOG_FIELDS, "sales_ranks")
DIMENSION_UNITS = {"length_unit": "inches", "width_unit": "inches", "height_unit": "inches", "weight_unit": "pounds"}
_SIZE = re.compile(r"\._[A-Z_]*?(?:SL|SX|SY|UL|SS)(\d{2,5})_")  # Amazon's size token, e.g. `._SL500_.jpg`
_CONDITIONS = (("New", "new"), ("Used", "used"))
_CHANNELS = (("Amazon", "fba"), ("Merchant", "fbm"))
_LEAVES = frozenset({str, int, float, bool})  # the types of values that hold no null
_COUNTS = tuple((channel, f"new_{key}_offers_count") for channel, key in _CHANNELS)  # (channel, field)
_LOWEST = tuple((condition, channel, f"lowest_price_{c}_{key}")  # (condition, channel, field)
                for condition, c in _CONDITIONS for channel, key in _CHANNELS)


def public_product(obj: Mapping[str, Any], record: Mapping[str, Any] | None, marketplace: str,
                   amazon_marketplace_id: str, discount_supplier_bp: int | None = None,
                   discount_per_product_bp: int | None = None) -> dict[str, Any]:
    """`obj` (a result's product object) with the client's fields added and nulls left out.
    `record`: the product's catalog record (None when the catalog no longer has it)."""
    return without_nulls(_with_client_fields(dict(obj), record, marketplace, amazon_marketplace_id,
                                             discount_supplier_bp, discount_per_product_bp))


def record_part(record: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a catalog record `public_product` reads, without nulls: what a caller keeps
    of it, and the record `page_builder` takes."""
    return {name: without_nulls(record[name]) for name in RECORD_FIELDS if name in record}


def page_builder(columns: tuple[str, ...], historical: bool = False) -> Callable[..., dict[str, Any]]:
    """`public_product` for a page's rows given as tuples of `columns`' values (a frame's rows),
    planned once per shape: `build(row, record, marketplace, amazon_marketplace_id,
    discount_supplier_bp, discount_per_product_bp)`, `record` as `record_part` gives it. The same
    object, to the order of its keys, built without a dict of each row first, and with its
    sub-objects' nulls left out as they are built instead of by a walk of every value
    afterwards: what a page of 100 spent most on."""
    return _page_plan(columns, historical)


# Levels whose null members keep their places until the client's fields are set: the object's top
# (a flag, the images, the pack quantity set in place) and `inputs` (its custom columns, pack quantity).
_NULLS_KEPT = ("inputs",)


@lru_cache(maxsize=64)
def _page_plan(columns: tuple[str, ...], historical: bool) -> Callable[..., dict[str, Any]]:
    nest = _level(results.product_object({c: c for c in columns}, historical),
                  {c: i for i, c in enumerate(columns)}, keep_nulls=True)

    def build(row: Sequence[Any], record: Mapping[str, Any] | None, marketplace: str, amazon_marketplace_id: str,
              discount_supplier_bp: int | None = None, discount_per_product_bp: int | None = None) -> dict[str, Any]:
        out = _with_client_fields(nest(row), record, marketplace, amazon_marketplace_id, discount_supplier_bp,
                                  discount_per_product_bp)
        for name in _NULLS_KEPT:
            out[name] = {k: v for k, v in out[name].items() if v is not None}
        return {k: v for k, v in out.items() if v is not None}

    return build


def _level(shape: Mapping[str, Any], position: Mapping[str, int], keep_nulls: bool) -> Callable[[Sequence], dict]:
    """A builder of one level of the object (`shape`: its keys' columns, or sub-shapes) from a row
    tuple; its leaves are fetched in one `itemgetter` call. Sub-objects leave their nulls out,
    but for those `_NULLS_KEPT` names."""
    keys = tuple(shape)
    leaf_keys = tuple(key for key, node in shape.items() if not isinstance(node, dict))
    subs = [(key, _level(node, position, key in _NULLS_KEPT)) for key, node in shape.items() if isinstance(node, dict)]
    at = [position[shape[key]] for key in leaf_keys]
    get = itemgetter(*at) if len(at) > 1 else (lambda row: (row[at[0]],)) if at else (lambda row: ())
    if not subs:
        if keep_nulls:
            return lambda row: dict(zip(leaf_keys, get(row)))
        return lambda row: {k: v for k, v in zip(leaf_keys, get(row)) if v is not None}

    def build(row: Sequence[Any]) -> dict:
        out = dict.fromkeys(keys)
        out.update(zip(leaf_keys, get(row)))
        for key, sub in subs:
            out[key] = sub(row)
        return out if keep_nulls else {k: v for k, v in out.items() if v is not None}

    return build


def _with_client_fields(out: dict[str, Any], record: Mapping[str, Any] | None, marketplace: str,
                        amazon_marketplace_id: str, discount_supplier_bp: int | None,
                        discount_per_product_bp: int | None) -> dict[str, Any]:
    """The client's fields set on `out` (a product object of one's own to change), nulls kept;
    what it adds from `record` has the record's nulls (none from a `record_part`)."""
    record = record or {}
    get = out.get
    for name in REQUIRED_FLAGS:
        out[name] = bool(get(name))
    out["amazon_pack_quantity"] = get("amazon_pack_quantity") or 1
    out["favorited"] = bool(get("favorited"))
    out["small_and_light_eligible_reasons"] = get("small_and_light_eligible_reasons") or {}
    out["images"] = images_by_marketplace(get("images"), amazon_marketplace_id)
    out["offers"] = offers(out, record.get("buybox_price_used"))
    if get("buybox_price") is not None:
        out["buybox_price_new"] = out["buybox_price"]
    for name in CATALOG_FIELDS:
        if (value := record.get(name)) is not None:
            out[name] = value
    ranks = [{"rank": r["rank"], **({"title": r["title"], "raw_title": r["title"]} if r.get("title") else
                                     {"raw_title": ""})}
             for r in record.get("sales_ranks") or ()
             if (type(r) is dict or isinstance(r, Mapping)) and isinstance(r.get("rank"), int)]
    if ranks:
        out["sales_ranks"] = ranks
    if get("parent_asin"):
        out["parent_asins"] = [out["parent_asin"]]
    if marketplace in CLIENT_MARKETPLACE_IDS:
        out["marketplace_id"] = out["marketplace"] = CLIENT_MARKETPLACE_IDS[marketplace]
    inputs = dict(get("inputs") or {})
    inputs["custom_columns"] = ["" if v is None else v for v in inputs.get("custom_columns") or []]
    inputs["supplier_pack_quantity"] = inputs.get("supplier_pack_quantity") or 1
    if discount_per_product_bp:
        inputs["discount_per_product"] = discount_per_product_bp
    if discount_supplier_bp:
        inputs["discount_supplier"] = discount_supplier_bp
    out["inputs"] = inputs
    dims = dict(get("dimensions") or {})
    for which, values in dims.items():
        if (type(values) is dict or isinstance(values, Mapping)) and any(v is not None for v in values.values()):
            dims[which] = {**values, **DIMENSION_UNITS}
    out["dimensions"] = dims
    for name in ("amazon_fees", "financials"):
        out[name] = get(name) or {}
    return out


def offers(product: Mapping[str, Any], buybox_price_used: int | None = None) -> dict[str, Any]:
    """The client's `Offers` from the result's prices and counts. The catalog keeps one price per
    condition and channel (what a buyer pays), so it is both the landed and the listing price,
    with shipping 0."""
    get = product.get
    counts = [{"condition": "New", "fulfillment_channel": channel, "offer_count": count}
              for channel, field in _COUNTS if (count := get(field)) is not None]
    lowest = [{"condition": condition, "fulfillment_channel": channel,
               "landed_price": price, "listing_price": price, "shipping": 0}
              for condition, channel, field in _LOWEST if (price := get(field)) is not None]
    buy_box = [{"condition": condition, "landed_price": price, "listing_price": price, "shipping": 0}
               for condition, price in (("New", get("buybox_price")), ("Used", buybox_price_used))
               if price is not None]
    out = {"total_offers_count": get("total_offers_count"), "list_price": get("list_price"),
           "number_of_offers": counts, "lowest_prices": lowest, "buy_box_prices": buy_box}
    return {k: v for k, v in out.items() if v is not None}  # its lists hold no nulls


def images_by_marketplace(urls: list[str] | None, amazon_marketplace_id: str) -> list[dict[str, Any]]:
    """The result's image URLs (main first) as the client's `ImageByMarketplace[]`: an empty
    list when there are none. The client's variants name the main image and eight more, so the
    first nine are given; the size is read from Amazon's URL size token, else 0 (not known)."""
    urls = [u for u in urls or [] if u][:len(IMAGE_VARIANTS)]
    if not urls:
        return []
    return [{"marketplace_id": amazon_marketplace_id,
             "image": [{"link": url, "variant": variant, **_size(url)} for url, variant in zip(urls, IMAGE_VARIANTS)]}]


def _size(url: str) -> dict[str, int]:
    found = _SIZE.search(url)
    side = int(found.group(1)) if found else 0
    return {"height": side, "width": side}


def without_nulls(value: Any) -> Any:
    """Dicts (at any depth) without their null members. Leaves and plain dicts are told by their
    type first (an ABC check, `Mapping`, on each of a page's ~10,000 values was half its cost),
    and a leaf member is kept without a call for it (the calls were most of what remained)."""
    kind = type(value)
    if kind in _LEAVES:
        return value
    if kind is list:
        return [v if type(v) in _LEAVES else without_nulls(v) for v in value]
    if kind is dict or isinstance(value, Mapping):
        return {k: v if type(v) in _LEAVES else without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [v if type(v) in _LEAVES else without_nulls(v) for v in value]
    return value
