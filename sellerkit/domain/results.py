"""The fields of a scan result: one flat, typed schema behind RocketSource's product object.

A scan's results are stored as a table whose column names are the product object's dotted paths
(`financials.roi`, `dimensions.package_dimensions.length`), so a filter names a column, a sort
names a column, a CSV header is a column name, and `product_object()` only has to nest them.

Kinds decide units at the edge: `money` is stored in cents and filtered in dollars, `ratio` is
stored in basis points and filtered as a decimal (0.25 = 25%), as the reference's Filters notes say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from enum import StrEnum
from typing import Any

import polars as pl


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    MONEY = "money"  # cents
    RATIO = "ratio"  # basis points
    BOOL = "bool"
    TEXTS = "texts"  # a list of strings


K = Kind
PERIODS = ("d30", "d60", "d90", "d180")
_DIMS = {f"{part}": K.FLOAT for part in ("length", "width", "height", "weight")}
_IDS = ("upc", "ean", "isbn", "gtin", "jan")

PRODUCT_FIELDS: dict[str, Kind] = {
    "id": K.INT,
    "asin": K.TEXT,
    "amazon_title": K.TEXT,
    "brand": K.TEXT,
    "color": K.TEXT,
    "size_name": K.TEXT,
    "category": K.TEXT,
    "rank": K.INT,
    "buybox_price": K.MONEY,
    "list_price": K.MONEY,
    "lowest_price_new_fba": K.MONEY,
    "lowest_price_new_fbm": K.MONEY,
    "lowest_price_used_fba": K.MONEY,
    "lowest_price_used_fbm": K.MONEY,
    "amazon_pack_quantity": K.INT,
    "size_tier": K.TEXT,
    "competitive_sellers": K.INT,
    "new_fba_offers_count": K.INT,
    "new_fbm_offers_count": K.INT,
    "total_offers_count": K.INT,
    "number_of_variations": K.INT,
    "parent_asin": K.TEXT,
    "sold_by_amazon": K.BOOL,
    "is_hazmat": K.BOOL,
    "is_meltable": K.BOOL,
    "is_adult": K.BOOL,
    "is_brand_blocklisted": K.BOOL,
    "small_and_light_eligible": K.BOOL,
    "units_per_month": K.INT,
    "sales_per_month": K.MONEY,
    "profit_per_month": K.MONEY,
    "sales_estimate_method": K.TEXT,
    "inputs.line": K.INT,
    "inputs.identifier": K.TEXT,
    "inputs.cost": K.MONEY,
    "inputs.stock": K.INT,
    "inputs.map": K.MONEY,
    "inputs.supplier_title": K.TEXT,
    "inputs.supplier_sku": K.TEXT,
    "inputs.supplier_image": K.TEXT,
    "inputs.supplier_pack_quantity": K.INT,
    "inputs.discount_cost": K.MONEY,
    "inputs.total_cogs": K.MONEY,
    "inputs.custom_columns": K.TEXTS,
    "financials.sale_price": K.MONEY,
    "financials.profit": K.MONEY,
    "financials.margin": K.RATIO,
    "financials.roi": K.RATIO,
    "financials.net_revenue": K.MONEY,
    "financials.prep_cost": K.MONEY,
    "financials.inbound_shipping": K.MONEY,
    "financials.fba_storage_fees": K.MONEY,
    "amazon_fees.referral_fee": K.MONEY,
    "amazon_fees.fba_fees": K.MONEY,
    "amazon_fees.per_item_fee": K.MONEY,
    "amazon_fees.variable_closing_fee": K.MONEY,
    "amazon_fees.inbound_placement_fee": K.MONEY,
    "amazon_fees.total": K.MONEY,
    "amazon_fees.error": K.TEXT,
    **{f"dimensions.package_dimensions.{k}": v for k, v in _DIMS.items()},
    **{f"dimensions.item_dimensions.{k}": v for k, v in _DIMS.items()},
    **{f"identifiers.{family}": K.TEXTS for family in _IDS},
    "inbound_eligibility.eligible": K.BOOL,
    "inbound_eligibility.updated_at": K.INT,
    "inbound_eligibility.ineligible_codes": K.TEXTS,
    "images": K.TEXTS,
    "flags": K.TEXTS,
    "errors": K.TEXTS,
    # live data (docs/providers.md), after the reference's fields so their order never changes:
    # the marketplace's own fee estimate beside the local figure (`amazon_fees.total` without the
    # inbound placement fee, which the estimate does not include), and listing restrictions
    "fees.amazon_total": K.MONEY,
    "fees.amazon_difference_percent": K.FLOAT,
    "fees.amazon_mismatch": K.BOOL,
    "restricted": K.BOOL,
    "restriction_reasons": K.TEXTS,
    # which of Small and Light's tests a product passes (null: fees unknown), for the official client
    "small_and_light_eligible_reasons.low_price": K.BOOL,
    "small_and_light_eligible_reasons.small_size": K.BOOL,
    "small_and_light_eligible_reasons.light_weight": K.BOOL,
}
FEE_MISMATCH_PERCENT = 1.0  # `fees.amazon_mismatch` above this difference
# Only in the results of a scan that had live data (so one without has today's columns exactly)
LIVE_FIELDS = ("fees.amazon_total", "fees.amazon_difference_percent", "fees.amazon_mismatch", "restricted",
               "restriction_reasons")

HISTORICAL_FIELDS: dict[str, Kind] = {
    f"historical.{stat}.{period}": kind
    for stat, kind in (("bsr", K.INT), ("price", K.MONEY), ("amazon_in_stock_rate", K.RATIO),
                       ("sales_rank_drops", K.INT))
    for period in PERIODS
}

ERROR_FIELDS: dict[str, Kind] = {
    "id": K.INT,
    "line": K.INT,
    "identifier": K.TEXT,
    "cost": K.TEXT,
    "reason": K.TEXT,
}

# Short names the reference uses (`profit`, `roi`): every dotted field whose last segment no other
# field shares, plus a few spellings of its own.
_EXTRA_ALIASES = {"title": "amazon_title", "fba_fee": "amazon_fees.fba_fees",
                  "bsr": "rank", "sales_rank": "rank", "upc": "identifiers.upc", "ean": "identifiers.ean"}


def _aliases(fields: Iterable[str]) -> dict[str, str]:
    by_last: dict[str, list[str]] = {}
    for name in fields:
        if "." in name:
            by_last.setdefault(name.rsplit(".", 1)[1], []).append(name)
    out = {last: names[0] for last, names in by_last.items() if len(names) == 1}
    out.update(_EXTRA_ALIASES)
    return {short: full for short, full in out.items() if short not in fields}


ALL_PRODUCT_FIELDS: dict[str, Kind] = {**PRODUCT_FIELDS, **HISTORICAL_FIELDS}


def dtype(kind: Kind) -> pl.DataType:
    """The polars type a field of this kind is stored as."""
    return {Kind.TEXT: pl.String, Kind.INT: pl.Int64, Kind.MONEY: pl.Int64, Kind.RATIO: pl.Int64,
            Kind.FLOAT: pl.Float64, Kind.BOOL: pl.Boolean, Kind.TEXTS: pl.List(pl.String)}[kind]


def empty_table(table: str = "products") -> pl.DataFrame:
    """A table with no rows yet (a scan that has written nothing), every field typed."""
    fields = PRODUCT_FIELDS if table == "products" else ERROR_FIELDS
    return pl.DataFrame(schema={name: dtype(kind) for name, kind in fields.items()})
PRODUCT_ALIASES = _aliases(ALL_PRODUCT_FIELDS)


def resolve(name: str, table: str = "products") -> tuple[str, Kind]:
    """A field name as a client writes it (dotted or short, any case) -> (column, kind).

    Raises KeyError with the name when no column answers to it."""
    fields = ALL_PRODUCT_FIELDS if table == "products" else ERROR_FIELDS
    key = name.strip().lower()
    if key in fields:
        return key, fields[key]
    if table == "products" and key in PRODUCT_ALIASES:
        full = PRODUCT_ALIASES[key]
        return full, fields[full]
    raise KeyError(name)


# Product fields whose sum over many rows means something (a money total, units a month, stock):
# prices and fees per unit are summed too, as a seller adds up a buy list's cost and profit.
SUMMABLE_KINDS = (Kind.MONEY,)
SUMMABLE_EXTRA = ("units_per_month", "inputs.stock")


def summable(columns: Iterable[str]) -> list[str]:
    """The columns among these a results table totals."""
    return [c for c in columns if c in SUMMABLE_EXTRA or ALL_PRODUCT_FIELDS.get(c) in SUMMABLE_KINDS]


_UNITS = {Kind.MONEY: "cents", Kind.RATIO: "basis_points"}


def column_definitions(columns: Iterable[str], table: str = "products") -> dict[str, dict[str, str]]:
    """`{column: {type[, unit]}}` of a page's columns (the client's `ColumnDefinitions`): what a
    filter, a sort or a CSV header may name, and in which units its values are."""
    fields = ALL_PRODUCT_FIELDS if table == "products" else ERROR_FIELDS
    return {c: {"type": fields[c].value, **({"unit": _UNITS[fields[c]]} if fields[c] in _UNITS else {})}
            for c in columns if c in fields}


def product_object(row: Mapping[str, Any], historical: bool = False) -> dict[str, Any]:
    """A flat result row (dotted names) as the reference's nested product object."""
    return object_builder(tuple(row), historical)(row)


@lru_cache(maxsize=64)
def object_builder(columns: tuple[str, ...], historical: bool = False) -> Callable[[Mapping[str, Any]], dict]:
    """`product_object` for rows with these columns, planned once: pages build a hundred objects
    and exports a million, all of the same shape."""
    shown = [c for c in columns if not c.startswith("_") and (historical or not c.startswith("historical."))]
    return _nest([(c, c) for c in shown])


def _nest(items: list[tuple[str, str]]) -> Callable[[Mapping[str, Any]], dict]:
    """items: (column, path below this level) -> a builder of this level's dict."""
    plan: list[tuple[str, str | Callable]] = []  # (key, column) or (key, builder of a sub-object)
    groups: dict[str, list[tuple[str, str]]] = {}
    for column, path in items:
        head, _, rest = path.partition(".")
        if rest:
            if head not in groups:
                groups[head] = []
                plan.append((head, None))  # type: ignore[arg-type]  # placeholder keeps the order
            groups[head].append((column, rest))
        else:
            plan.append((head, column))
    steps = [(key, _nest(groups[key]) if source is None else source) for key, source in plan]

    def build(row: Mapping[str, Any]) -> dict:
        return {key: source(row) if callable(source) else row[source] for key, source in steps}

    return build


def product_columns(names: Iterable[str], historical: bool = False) -> list[pl.Expr]:
    """`product_object` for a whole frame: the same nesting, as struct columns, so polars writes
    a million objects itself in seconds instead of building a million dicts in Python."""

    def column(key: str, node: Any) -> pl.Expr:
        if isinstance(node, dict):
            return pl.struct([column(k, v) for k, v in node.items()]).alias(key)
        return pl.col(node).alias(key)

    nested = product_object({name: name for name in names}, historical=historical)
    return [column(key, node) for key, node in nested.items()]
