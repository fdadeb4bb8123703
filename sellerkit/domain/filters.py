"""Filters, sorts and pages over a scan's results, as one polars expression each.

A client sends RocketSource's filter items (`{name, operator, value}`, combined with AND; or the
official TypeScript client's object form, `{"cost": {">": 5}}`, read as the same items) and a
sort (`"-profit"` or `{field, direction}`); `parse_filters` and `parse_sort` check them against the
result schema (`results.py`) once and convert values to stored units at this edge: dollars to
cents, decimal ratios to basis points, text to lower case. `select_page` then answers a page of a
large frame with a partial sort instead of a full one.

Semantics worth knowing:
- Comparisons are false on a missing value (null, or NaN in a float column). Each negative
  operator (`!=`, `not_contains`, `not_in`, `is_not_empty`) is the exact complement of its
  positive, so it keeps those rows: a product with no brand *is* `!= "Sony"`, and `=` and `!=`
  together always cover every row.
- Text is compared case-insensitively, ordering comparisons and sorts included.
- A list field (`identifiers.upc`, `flags`) matches when some element does: `contains` = some
  element contains the text, `=` = some element equals it, `in` = some element is in the list.
  It cannot be ordered or sorted.
- `is_empty` matches null, "" and [].
- A known field the frame lacks (`historical.*` when no historical data was pulled) is an error,
  not an all-null column: silently treating it as empty would make `!=` and `is_empty` match
  every row and hide the real problem.
- Pages: the reference says `page` defaults to 0 in one place and to 1 in another, so 0 and 1
  both mean the first page and page n > 1 starts at row (n - 1) * per_page.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import polars as pl

from sellerkit.domain.money import BP
from sellerkit.domain.quoting import quote
from sellerkit.domain.results import (
    ALL_PRODUCT_FIELDS,
    ERROR_FIELDS,
    HISTORICAL_FIELDS,
    LIVE_FIELDS,
    PRODUCT_ALIASES,
    Kind,
    resolve,
)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100  # the reference's limit; the caller enforces it
MAX_PAGE = 1_000_000  # with 100 a page, 100 million rows: past any scan
# Caps on what a client sends, checked before any work (a 400 naming the field and the limit):
MAX_FILTERS = 50  # filter items in one query
MAX_NAME_CHARS = 100  # a field name, a sort, an operator
MAX_TEXT_CHARS = 1_000  # a text value (it becomes a search pattern)
MAX_VALUES = 1_000  # values of one `in` / `not_in` list

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "contains", "not_contains", "in", "not_in",
             "is_empty", "is_not_empty")
_OPERATOR_ALIASES = {
    "==": "=", "eq": "=", "equals": "=",
    "<>": "!=", "ne": "!=", "neq": "!=", "not_equals": "!=",
    "gt": ">", "gte": ">=", "ge": ">=", "lt": "<", "lte": "<=", "le": "<=",
    "does_not_contain": "not_contains", "nin": "not_in",
    "empty": "is_empty", "not_empty": "is_not_empty",
}
_NEGATIVE = {"!=": "=", "not_contains": "contains", "not_in": "in", "is_not_empty": "is_empty"}
_NO_VALUE = {"is_empty", "is_not_empty"}
_ITEM_KEYS = {"name", "field", "operator", "value"}  # `field`: the sort's word, accepted for the name
_LISTS = {"in", "not_in"}
_NUMBER_OPS = ("=", "!=", ">", ">=", "<", "<=", "in", "not_in", "is_empty", "is_not_empty")
ALLOWED: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: OPERATORS,
    Kind.INT: _NUMBER_OPS,
    Kind.FLOAT: _NUMBER_OPS,
    Kind.MONEY: _NUMBER_OPS,
    Kind.RATIO: _NUMBER_OPS,
    Kind.BOOL: ("=", "!=", "is_empty", "is_not_empty"),
    Kind.TEXTS: ("=", "!=", "contains", "not_contains", "in", "not_in", "is_empty",
                 "is_not_empty"),
}
_KIND_WORDS = {Kind.TEXT: "a text", Kind.INT: "a whole-number", Kind.FLOAT: "a number",
               Kind.MONEY: "a money", Kind.RATIO: "a ratio", Kind.BOOL: "a true/false",
               Kind.TEXTS: "a list"}
_ASC = {"asc": False, "ascending": False, "desc": True, "descending": True}
_ROW = "__row"  # a frame's row position, while a page is chosen
_INT64 = 2**63


class FilterError(ValueError):
    """A filter, sort or page the client sent that cannot be applied; the message says where."""


@dataclass(frozen=True)
class Filter:
    """One checked filter item: a column, a canonical operator and a value in stored units."""

    column: str
    kind: Kind
    operator: str
    value: object = None  # cents, basis points, int, float, bool, lower-case str, or a tuple
    position: int = 0
    where: str = "filter"  # the body key the client sent its filters under (`filter`, `filters`)

    def expr(self) -> pl.Expr:
        """True where the row passes; never null, so filters combine and negate safely."""
        positive = _NEGATIVE.get(self.operator, self.operator)
        match = _predicate(pl.col(self.column), self.kind, positive, self.value).fill_null(False)
        return ~match if self.operator in _NEGATIVE else match


@dataclass(frozen=True)
class Sort:
    """A checked sort: missing values always come last, ties go by `id` ascending."""

    column: str
    kind: Kind
    descending: bool = False
    where: str = "sort"  # the body path the client sent it under

    def key(self) -> pl.Expr:
        return _comparable(pl.col(self.column), self.kind)


# --------------------------------------------------------------------------- parsing


def parse_filters(items: object, table: str = "products",
                  columns: Collection[str] | None = None, key: str = "filter") -> list[Filter]:
    """The client's filter array -> checked filters (AND). `columns`: the frame's, when known;
    `key`: the body key the array came under, so messages name the path the client wrote."""
    if items is None:
        return []
    if isinstance(items, Mapping) and not items.keys() & {"name", "field"}:
        return [parse_filter(item, i, table, columns, key, where)
                for i, (item, where) in enumerate(object_form(items, key))]
    if isinstance(items, Mapping):
        items = [items]
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise FilterError(f"{key}: expected a list of filter objects, got {quote(items)}")
    if len(items) > MAX_FILTERS:
        raise FilterError(f"{key}: {len(items)} filters; send at most {MAX_FILTERS}")
    return [parse_filter(item, i, table, columns, key) for i, item in enumerate(items)]


def object_form(filters: Mapping, key: str = "filters") -> list[tuple[dict, str]]:
    """The official client's object form -> (filter item, where it was written) pairs, with the
    meaning of the same items in the reference's list form: `{"cost": {">": 5, "<": 10}}` is two
    items (AND), `{"brand": "Acme"}` is `=`, `{"brand": ["A", "B"]}` is `in`, `{"brand": null}`
    is `is_empty`."""
    if len(filters) > MAX_FILTERS:
        raise FilterError(f"{key}: {len(filters)} fields; send at most {MAX_FILTERS}")
    out: list[tuple[dict, str]] = []
    for name, spec in filters.items():
        shown = name if isinstance(name, str) and len(name) <= 40 else quote(name)
        where = f"{key}.{shown}"
        if isinstance(spec, Mapping):
            if not spec:
                raise FilterError(f"{where}: expected operators and values, e.g. {{\">\": 5}}, got {{}}")
            for operator, value in spec.items():
                op = operator if isinstance(operator, str) and len(operator) <= 20 else quote(operator)
                out.append(({"name": name, "operator": operator, "value": value}, f"{where}.{op}"))
        elif spec is None:
            out.append(({"name": name, "operator": "is_empty"}, where))
        elif isinstance(spec, (list, tuple)):
            out.append(({"name": name, "operator": "in", "value": spec}, where))
        else:
            out.append(({"name": name, "operator": "=", "value": spec}, where))
    if len(out) > MAX_FILTERS:
        raise FilterError(f"{key}: {len(out)} filters; send at most {MAX_FILTERS}")
    return out


def parse_filter(item: object, position: int = 0, table: str = "products",
                 columns: Collection[str] | None = None, key: str = "filter", where: str | None = None) -> Filter:
    """One `{name, operator, value}` item; `position` is its index and `where` (by default
    `key[position]`) the path the client wrote it at, for the messages."""
    where = where or f"{key}[{position}]"
    if not isinstance(item, Mapping):
        raise FilterError(f"{where}: expected an object with name, operator and value, "
                          f"got {quote(item)}")
    for key_sent in item:
        if key_sent not in _ITEM_KEYS:
            shown = key_sent if len(str(key_sent)) <= 40 else quote(key_sent)
            raise FilterError(f"{where}.{shown}: unknown field; a filter takes name, operator and value")
    column, kind = _field(item.get("name", item.get("field")), f"{where}.name", table, columns)
    operator = _operator(item.get("operator"), f"{where}.operator")
    if operator not in ALLOWED[kind]:
        raise FilterError(f"{where}.operator: {operator} does not apply to {column}, "
                          f"{_KIND_WORDS[kind]} field; use one of {', '.join(ALLOWED[kind])}")
    if operator in _NO_VALUE:
        return Filter(column, kind, operator, None, position, key)
    raw = item.get("value")
    if raw is None:
        raise FilterError(f"{where}.value: missing value for {column} {operator}; "
                          "to match rows without a value use is_empty")
    if operator in _LISTS:
        values = _as_list(raw, f"{where}.value")
        if len(values) > MAX_VALUES:
            raise FilterError(f"{where}.value: {len(values):,} values; send at most {MAX_VALUES:,}")
        value: object = tuple(_convert(v, kind, column, f"{where}.value[{i}]")
                              for i, v in enumerate(values))
    else:
        if isinstance(raw, (list, tuple)):
            raise FilterError(f"{where}.value: expected a single value for {column} {operator}, "
                              f"got a list; use in for a list")
        value = _convert(raw, kind, column, f"{where}.value")
    return Filter(column, kind, operator, value, position, key)


def parse_sort(sort: object, table: str = "products",
               columns: Collection[str] | None = None, key: str = "sort") -> Sort | None:
    """`"profit"`, `"-profit"` or `{field, direction}` -> a checked sort; None for no sort.
    `key`: the body key it came under (`sort`, or the client's `sorting`), for the messages."""
    if sort is None or sort == "":
        return None
    if isinstance(sort, str):
        name = sort.strip()
        descending = name.startswith("-")
        name = name.lstrip("+-")
        where = key
    elif isinstance(sort, Mapping):
        name = sort.get("field", sort.get("name"))
        direction = sort.get("direction") or "asc"
        if not isinstance(direction, str) or direction.strip().lower() not in _ASC:
            raise FilterError(f"{key}.direction: expected asc or desc, got {quote(direction)}")
        descending = _ASC[direction.strip().lower()]
        where = f"{key}.field"
    else:
        raise FilterError(f"{key}: expected a field name or {{field, direction}}, got {quote(sort)}")
    column, kind = _field(name, where, table, columns)
    if kind is Kind.TEXTS:
        raise FilterError(f"{where}: {column} is a list field and cannot be sorted")
    return Sort(column, kind, descending, where)


def _field(name: object, where: str, table: str,
           columns: Collection[str] | None) -> tuple[str, Kind]:
    if name is None or name == "":
        raise FilterError(f"{where}: missing field name")
    if not isinstance(name, str) or not name.strip():
        raise FilterError(f"{where}: expected a field name, got {quote(name)}")
    if len(name) > MAX_NAME_CHARS:
        raise FilterError(f"{where}: {quote(name)} is longer than any field name "
                          f"(at most {MAX_NAME_CHARS} characters)")
    try:
        column, kind = resolve(name, table)
    except KeyError:
        raise FilterError(f"{where}: unknown field {quote(name)}{_suggest(name, table)}") from None
    if columns is not None:
        _require(column, columns, where)
    return column, kind


def _require(column: str, columns: Collection[str], where: str) -> None:
    if column in columns:
        return
    hint = "; rerun with pull_historical_data" if column in HISTORICAL_FIELDS else \
        "; it comes with live data (SP-API, Keepa: docs/providers.md)" if column in LIVE_FIELDS else ""
    raise FilterError(f"{where}: field {column} is not in this scan's results{hint}")


def _suggest(name: str, table: str) -> str:
    names = [*ALL_PRODUCT_FIELDS, *PRODUCT_ALIASES] if table == "products" else [*ERROR_FIELDS]
    close = difflib.get_close_matches(name.strip().lower(), names, n=1)
    return f"; did you mean {quote(close[0])}?" if close else ""


def _operator(raw: object, where: str) -> str:
    if raw is None or raw == "":
        raise FilterError(f"{where}: missing operator; use one of {', '.join(OPERATORS)}")
    if not isinstance(raw, str) or len(raw) > MAX_NAME_CHARS:
        raise FilterError(f"{where}: expected an operator, got {quote(raw)}; "
                          f"use one of {', '.join(OPERATORS)}")
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    key = _OPERATOR_ALIASES.get(key, key)
    if key not in OPERATORS:
        raise FilterError(f"{where}: unknown operator {quote(raw)}; "
                          f"use one of {', '.join(OPERATORS)}")
    return key


def _as_list(raw: object, where: str) -> list:
    if isinstance(raw, str) and len(raw) > MAX_TEXT_CHARS:
        raise FilterError(f"{where}: {len(raw):,} characters; a value has at most {MAX_TEXT_CHARS:,}")
    if isinstance(raw, str):
        values: list = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, (list, tuple)):
        values = list(raw)
    else:
        values = [raw]
    if not values:
        raise FilterError(f"{where}: expected at least one value")
    return values


def _convert(raw: object, kind: Kind, column: str, where: str) -> object:
    """A client's value -> the column's stored units, or a FilterError naming what was expected."""
    if isinstance(raw, str) and len(raw) > MAX_TEXT_CHARS:
        raise FilterError(f"{where}: {len(raw):,} characters; a value has at most {MAX_TEXT_CHARS:,}")
    if kind in (Kind.TEXT, Kind.TEXTS):
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise FilterError(f"{where}: expected text for {column}, got {quote(raw)}")
        return (raw if isinstance(raw, str) else str(raw)).lower()
    if kind is Kind.BOOL:
        flag = _boolean(raw)
        if flag is None:
            raise FilterError(f"{where}: expected true or false for {column}, got {quote(raw)}")
        return flag
    expected = {Kind.MONEY: "a number of dollars", Kind.RATIO: "a decimal ratio (0.25 = 25%)",
                Kind.INT: "a whole number", Kind.FLOAT: "a number"}[kind]
    number = _decimal(raw)
    if number is None:
        raise FilterError(f"{where}: expected {expected} for {column}, got {quote(raw)}")
    if kind is Kind.FLOAT:
        if not math.isfinite(float(number)):
            raise FilterError(f"{where}: {quote(raw)} is out of range for {column}")
        return float(number)
    scale = {Kind.MONEY: 100, Kind.RATIO: BP, Kind.INT: 1}[kind]
    units = number * scale
    if kind is Kind.INT and units != units.to_integral_value():
        raise FilterError(f"{where}: expected {expected} for {column}, got {quote(raw)}")
    if abs(units) >= _INT64:
        raise FilterError(f"{where}: {quote(raw)} is out of range for {column}")
    return int(units.quantize(Decimal(1), rounding=ROUND_HALF_UP))  # half away from zero


def _boolean(raw: object) -> bool | None:
    """true/false, "true"/"false" (any case), 1/0 or "1"/"0"; None for anything else."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return {1: True, 0: False}.get(raw)
    if isinstance(raw, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(raw.strip().lower())
    return None


def _decimal(raw: object) -> Decimal | None:
    """A JSON number or numeric string as an exact decimal; floats through their shortest repr."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        return None
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None




# --------------------------------------------------------------------------- expressions


def filter_expr(filters: Iterable[Filter]) -> pl.Expr:
    """All filters ANDed into one expression, for `frame.filter(...)` eager or lazy."""
    exprs = [f.expr() for f in filters]
    return pl.all_horizontal(exprs) if exprs else pl.lit(True)


def _comparable(col: pl.Expr, kind: Kind) -> pl.Expr:
    """The column as filters and sorts compare it: text lower-cased, NaN as missing."""
    if kind is Kind.TEXT:
        return col.str.to_lowercase()
    if kind is Kind.FLOAT:
        return col.fill_nan(None)
    return col


def _predicate(col: pl.Expr, kind: Kind, operator: str, value: object) -> pl.Expr:
    """A positive operator's test; may be null on missing values (the caller fills False)."""
    if kind is Kind.TEXTS:
        if operator == "is_empty":
            return col.is_null() | (col.list.len() == 0)
        element = _predicate(pl.element(), Kind.TEXT, operator, value).fill_null(False)
        return col.list.eval(element).list.any()
    if operator == "is_empty":
        if kind is Kind.TEXT:
            return col.is_null() | (col == "")
        if kind is Kind.FLOAT:
            return col.is_null() | col.is_nan()
        return col.is_null()
    if kind is Kind.TEXT and operator in ("=", "in", "contains"):
        # A case-insensitive regex rather than to_lowercase(): anchored (= and in) it rejects
        # most rows at their first character, about ten times faster than lower-casing a
        # million titles; for contains it is no slower.
        texts = value if operator == "in" else (value,)
        pattern = "|".join(pl.escape_regex(str(text)) for text in texts)  # type: ignore[union-attr]
        if operator != "contains":
            pattern = rf"\A(?:{pattern})\z"
        return col.str.contains(f"(?i){pattern}")
    col = _comparable(col, kind)
    if operator == "=":
        return col == value
    if operator == ">":
        return col > value
    if operator == ">=":
        return col >= value
    if operator == "<":
        return col < value
    if operator == "<=":
        return col <= value
    if operator == "in":
        return col.is_in(list(value))  # type: ignore[call-overload]
    raise AssertionError(operator)


def totals(frame: pl.DataFrame | pl.LazyFrame, filters: Sequence[Filter], columns: Sequence[str]
           ) -> tuple[int, dict[str, int | float | None]]:
    """(rows the filters keep, the sum of each column over them): the footer of a results table.
    Only the filter and summed columns are read; a column the frame lacks is left out."""
    lazy = frame.lazy()
    present = set(lazy.collect_schema().names())
    summed = [c for c in columns if c in present]
    row = lazy.filter(filter_expr(filters)).select(
        pl.len().alias(_ROW), *[pl.col(c).sum().alias(c) for c in summed]).collect().row(0, named=True)
    return row.pop(_ROW), row


# --------------------------------------------------------------------------- pages


def first_row(page: int, per_page: int) -> int:
    """Pages 0 and 1 are both the first page (the reference documents both defaults)."""
    return (max(page, 1) - 1) * per_page


def select_page(frame: pl.DataFrame | pl.LazyFrame, filters: Sequence[Filter] = (),
                sort: Sort | None = None, page: int = 0,
                per_page: int = DEFAULT_PER_PAGE, after: int | None = None) -> tuple[int, pl.DataFrame]:
    """(rows matching the filters, the requested page of them in sort order).

    Only the filter and sort columns are scanned and the page is chosen by a partial sort on
    (key, id), so a first page of a million rows takes about 10-15 ms; a deep page (offset in
    the hundreds of thousands) costs nearly a full sort of the matching rows. per_page is not
    capped here: the caller holds it to MAX_PER_PAGE.

    `after` (keyset paging): the page that follows the row with this `id` in the same order,
    instead of `page`; any depth then costs what a first page does (the dashboard's next-page link).
    """
    check_page(page, per_page)
    count, rows = positions(frame, filters, sort, first_row(page, per_page), per_page, after)
    if isinstance(frame, pl.DataFrame):
        return count, take(frame, rows)
    lazy = frame.lazy()
    by, descending = _order(sort, lazy.collect_schema().names())
    fetched = lazy.with_row_index(_ROW).filter(pl.col(_ROW).is_in(rows.implode()))
    fetched = fetched.sort(by, descending=descending, nulls_last=True).drop(_ROW)
    return count, fetched.collect()


def check_page(page: int, per_page: int) -> None:
    if isinstance(page, bool) or not isinstance(page, int) or page < 0:
        raise FilterError(f"page: expected a whole number from 0, got {quote(page)}")
    if isinstance(per_page, bool) or not isinstance(per_page, int) or per_page < 1:
        raise FilterError(f"per_page: expected a whole number from 1, got {quote(per_page)}")


def positions(frame: pl.DataFrame | pl.LazyFrame, filters: Sequence[Filter], sort: Sort | None, start: int,
              length: int, after: int | None = None) -> tuple[int, pl.Series]:
    """(rows matching the filters, the positions in `frame` of `length` of them from `start` in
    sort order): `select_page`'s choice of rows, which `take` then fetches."""
    lazy = frame.lazy()
    columns = lazy.collect_schema().names()
    for f in filters:
        _require(f.column, columns, f"{f.where}[{f.position}].name")
    if sort is not None:
        _require(sort.column, columns, sort.where)
    by, descending = _order(sort, columns)
    matches = lazy.with_row_index(_ROW).filter(filter_expr(filters))
    later = matches
    if after is not None:
        start, later = 0, matches.filter(_after(lazy, sort, after))
    ordered = later.sort(by, descending=descending, nulls_last=True)
    # polars runs sort-then-slice as a partial sort, over just the filter and sort columns
    count, chosen = pl.collect_all([matches.select(pl.len()),
                                    ordered.slice(start, length).select(_ROW)])
    return count.item(), chosen[_ROW]


def _order(sort: Sort | None, columns: Sequence[str]) -> tuple[list[pl.Expr], list[bool]]:
    """The sort keys and directions: the sort's key, then ties by `id` (else row position)."""
    tie = pl.col("id") if "id" in columns else pl.col(_ROW)
    if sort is None:
        return [tie], [False]
    return [sort.key(), tie], [sort.descending, False]


def _after(lazy: pl.LazyFrame, sort: Sort | None, row_id: int) -> pl.Expr:
    """Rows that come after row `row_id` in the order `select_page` sorts by (missing keys last,
    ties by id)."""
    tie = pl.col("id")
    if sort is None:
        return tie > row_id
    key = sort.key()
    found = lazy.filter(tie == row_id).select(key).collect()
    if found.height == 0:
        raise FilterError(f"after: no row with id {row_id} in these results")
    last = found.item()
    if last is None:
        return key.is_null() & (tie > row_id)
    beyond = key < last if sort.descending else key > last
    return (beyond | ((key == last) & (tie > row_id))).fill_null(False) | key.is_null()


def take(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """The frame's rows at these positions, in this order.

    Gathering from a list column held in several chunks (as read from Parquet) copies the whole
    column, about 3 ms a column for a million rows, so such columns are sliced row by row. And
    no `frame.drop()` or `frame[rows]`: on columns chunked differently they rechunk every column
    (150-250 ms for a million rows), where a `select` of gathers does not. A frame in one chunk
    a column (as the results cache keeps it) is gathered whole, in half the time of the select.
    Rows that follow each other in order (every row of an unsorted download, a first page of
    rows in file order) are a slice: nothing copied (a 1M-row download gathered ~1 GB, 0.8-2 s)."""
    if rows.len() and rows.is_sorted() and rows[-1] - rows[0] + 1 == rows.len():  # positions are distinct
        return frame.slice(rows[0], rows.len())
    if max(frame.n_chunks("all"), default=1) == 1:
        return frame[rows]
    chunked = [c.name for c in frame.get_columns() if c.dtype == pl.List and c.n_chunks() > 1]
    taken = frame.select(pl.exclude(chunked).gather(rows))
    if not chunked:
        return taken
    positions = rows.to_list()
    lists = [pl.concat([frame[name].slice(i, 1) for i in positions]) if positions
             else frame[name].clear() for name in chunked]
    return taken.hstack(lists).select(frame.columns)
