"""Numbers as suppliers write them, read by the file's decimal separator: one rule, two paths.

`decimal` is the file's decimal separator, `.` (US, UK, JP ...) or `,` (DE, FR, IT ...); the other
one groups thousands. After currency signs and spaces are gone, a cell is read as:

| form (decimal `,` shown; swap `.` and `,` for decimal `.`) | reads as |
|---|---|
| `1234`, `1234,5`, `,5` | the number |
| `1.234`, `1.234.567`, `1.234,50` (groups of exactly three digits) | thousands grouped: 1234, 1234567, 1234.50 |
| `12.5`, `3.99`, `1234.5678` (the other separator once, not before exactly three digits) | that separator is the decimal one: 12.5, 3.99 (what Excel's numbers and mixed files hold) |
| anything else (`1,234.50` under `,`, `12.34.5`, `1.23,4.5`) | not a number |

One case is ambiguous and never guessed: under decimal `.`, one comma before exactly three digits
and no decimal point (`1,234`, `-2,500`) is 1234 to a US file and 1.234 to a German one. It is
refused with a reason that says so. Under decimal `,` the same shape (`2.500`) is thousands: a
file whose locale writes decimal commas writes 2.5 as `2,5`.

`parse` reads one value (the catalog import, anything reading a single cell); `normalised` is the
same rule as polars expressions over a whole column (scans). Property tests hold them equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import polars as pl

DECIMALS = (".", ",")
MAX_WHOLE_DIGITS = 15  # past a trillion dollars a cell is not a price; Int64 cents stay exact


class NumberError(ValueError):
    """A cell that is not a number under the file's decimal separator."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(reason)
        self.text = text
        self.reason = reason


def other(decimal: str) -> str:
    if decimal not in DECIMALS:
        raise ValueError(f"decimal: expected '.' or ',', got {decimal!r}")
    return "," if decimal == "." else "."


def _patterns(decimal: str) -> dict[str, str | None]:
    d, g = re.escape(decimal), re.escape(other(decimal))
    return {
        "plain": rf"^[-+]?(\d+({d}\d*)?|{d}\d+)([eE][-+]?\d+)?$",
        "ambiguous": rf"^[-+]?\d{{1,3}}{g}\d{{3}}$" if decimal == "." else None,
        "grouped": rf"^[-+]?\d{{1,3}}({g}\d{{3}})+({d}\d*)?$",
        "other": rf"^[-+]?\d*{g}\d+$",
    }


_COMPILED = {d: {k: re.compile(v) for k, v in _patterns(d).items() if v} for d in DECIMALS}
_TOO_LARGE = 10.0 ** MAX_WHOLE_DIGITS


def ambiguous_suffix(decimal: str) -> str:
    """What follows the cell in an ambiguous value's reason (only decimal `.` has them)."""
    return (f" is ambiguous with decimal '{decimal}' (thousands, or a decimal comma?); write it without "
            f"the comma or with decimals (1,234.00), or set the file's decimal to ','")


def ambiguous_reason(text: str, decimal: str) -> str:
    return f'"{text}"' + ambiguous_suffix(decimal)


def parse(text: str, decimal: str = ".") -> Decimal:
    """One cell (currency signs and spaces already removed) as a Decimal; NumberError when it is
    not a number or is ambiguous, with the reason."""
    g = other(decimal)
    p = _COMPILED[decimal]
    if p["plain"].match(text):
        canonical = text.replace(decimal, ".")
    elif "ambiguous" in p and p["ambiguous"].match(text):
        raise NumberError(text, ambiguous_reason(text, decimal))
    elif p["grouped"].match(text):
        canonical = text.replace(g, "").replace(decimal, ".")
    elif p["other"].match(text):
        canonical = text.replace(g, ".")
    else:
        raise NumberError(text, f"cannot read {text} as a number with decimal '{decimal}'")
    if "e" in canonical.lower():
        too_large = not abs(float(canonical)) < _TOO_LARGE
    else:
        too_large = len(canonical.lstrip("+-").split(".")[0]) > MAX_WHOLE_DIGITS
    if too_large:
        raise NumberError(text, f"{text} is too large: more than {MAX_WHOLE_DIGITS} digits before the decimals")
    return Decimal(canonical)


def _valid_pattern(decimal: str) -> str:
    """Every readable shape in one regex (ambiguous ones included: they are told apart after)."""
    d, g = re.escape(decimal), re.escape(other(decimal))
    return (rf"^[-+]?(?:(?:\d+(?:{d}\d*)?|{d}\d+)(?:[eE][-+]?\d+)?"
            rf"|\d{{1,3}}(?:{g}\d{{3}})+(?:{d}\d*)?|\d*{g}\d+)$")


def normalised(text: pl.Expr, decimal: str = ".") -> tuple[pl.Expr, pl.Expr]:
    """`parse` over a String column: (the number as plain text with a decimal point, null where
    unreadable or ambiguous; true where ambiguous). Three regex passes over the column, the rest
    literal string operations: a scan reads a million cells in well under a second."""
    p = _patterns(decimal)
    g = other(decimal)
    valid = text.str.contains(_valid_pattern(decimal))
    ambiguous = (text.str.contains(p["ambiguous"]).fill_null(False) if p["ambiguous"] else pl.lit(False))
    has_g = text.str.contains(g, literal=True)
    grouped = has_g & text.str.contains(p["grouped"])
    # the other separator once, as the decimal one: no grouping and no decimal separator with it
    as_decimal = has_g & ~grouped & ~text.str.contains(decimal, literal=True)
    plain = text.str.replace_all(g, "", literal=True)
    if decimal != ".":
        plain = plain.str.replace(decimal, ".", literal=True)
    canonical = pl.when(valid & ~ambiguous).then(
        pl.when(as_decimal).then(text.str.replace(g, ".", literal=True)).otherwise(plain))
    exponent = canonical.str.contains("e", literal=True) | canonical.str.contains("E", literal=True)
    whole_digits = canonical.str.strip_chars_start("+-").str.split_exact(".", 1).struct.field("field_0") \
        .str.len_chars()
    fits = pl.when(exponent).then(canonical.cast(pl.Float64, strict=False).abs() < _TOO_LARGE) \
        .otherwise(whole_digits <= MAX_WHOLE_DIGITS)
    return pl.when(fits).then(canonical), ambiguous


def units(canonical: pl.Expr, digits: int) -> pl.Expr:
    """Plain decimal text (`-12.345`) as whole 10^-digits units, rounded half away from zero
    exactly on the text (as `Decimal.quantize(ROUND_HALF_UP)`); exponent forms go through a
    float, as Excel writes only tiny or huge numbers that way."""
    from sellerkit.domain.money import quantise_float

    negative = canonical.str.starts_with("-")
    parts = canonical.str.strip_chars_start("+-").str.split_exact(".", 1)
    whole_text = parts.struct.field("field_0")
    whole = pl.when(whole_text == "").then(0).otherwise(whole_text.cast(pl.Int64, strict=False))
    frac = parts.struct.field("field_1").fill_null("") + "0" * (digits + 1)
    kept = frac.str.slice(0, digits).cast(pl.Int64, strict=False) if digits else pl.lit(0, pl.Int64)
    up = (frac.str.slice(digits, 1) >= "5").cast(pl.Int64)
    magnitude = whole * 10 ** digits + kept + up
    exact = pl.when(negative).then(-magnitude).otherwise(magnitude)
    approx = quantise_float(canonical.cast(pl.Float64, strict=False), 10 ** digits)
    return pl.when(whole.is_not_null() & kept.is_not_null()).then(exact).otherwise(approx)


Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def read_cells(frame: Frame, column: str, decimal: str, outputs: dict[str, Callable[[pl.Expr], pl.Expr]],
               clean: Callable[[pl.Expr], pl.Expr] | None = None) -> Frame:
    """`frame` with, for its text `column`, `outputs` (name -> a function of the number's plain
    text, null where unreadable or ambiguous) and `{column}_ambiguous`. The rule runs once per
    distinct cell and is joined back: a supplier file repeats few prices over many rows. A lazy
    frame stays lazy (a scan's chunk is read in one plan)."""
    cells = frame.select(pl.col(column).unique().drop_nulls())
    text = clean(pl.col(column)) if clean else pl.col(column)
    canonical, ambiguous = normalised(pl.col("_text"), decimal)
    cells = cells.with_columns(text.alias("_text")) \
        .with_columns(canonical.alias("_number"), ambiguous.alias(f"{column}_ambiguous")) \
        .with_columns(make(pl.col("_number")).alias(name) for name, make in outputs.items()) \
        .drop("_text", "_number")
    return frame.join(cells, on=column, how="left", maintain_order="left") \
        .with_columns(pl.col(f"{column}_ambiguous").fill_null(False))
