"""Scan results as one flat table for spreadsheets: one plain value per cell, safe to open.

CSV, XLSX and Google Sheets exports share these rules, so a column reads the same in each:
lists are joined with `|`, each custom column gets its own header, money stays integer cents and
ratios basis points (as the reference's outputs), NaN is empty, and text that a spreadsheet would
run as a formula is prefixed with `'` (OWASP's advice against CSV injection). Numbers are never
text, so a negative profit stays -150.

Everything here is a polars expression, so a million rows are prepared in vectorised passes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import polars as pl

LIST_SEPARATOR = "|"
CUSTOM_COLUMNS = "inputs.custom_columns"
# OWASP CSV injection: a cell starting with one of these is a formula to Excel and its kin.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER = r"^[=+\-@\t\r]"
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"  # two UTF-16 units each; Excel counts UTF-16 units

EXCEL_MAX_ROWS = 1_048_576  # header included
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CHARS = 32_767
EXCEL_SHEET_NAME_CHARS = 31
SHEETS_MAX_CHARS = 50_000  # Google Sheets, per cell
SHEETS_MAX_CELLS = 10_000_000  # Google Sheets, per spreadsheet
TRUNCATED_NOTE = " [truncated: longer than a spreadsheet cell holds]"


def neutralise(text: pl.Expr) -> pl.Expr:
    """Text that starts like a formula, prefixed with `'` so spreadsheets show it as text."""
    return pl.when(text.str.contains(_TRIGGER)).then("'" + text).otherwise(text)


def neutralise_text(text: str) -> str:
    """`neutralise` for one string (headers from the seller's own file)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def clip(text: pl.Expr, limit: int) -> pl.Expr:
    """Text longer than `limit` UTF-16 units, cut to fit with a note saying so.

    Keeping `budget - astral` code points, or `budget // 2`, is always within budget: at most
    `astral` of them take two units, and none takes more."""
    astral = text.str.count_matches(_ASTRAL).cast(pl.Int64)
    budget = max(limit - len(TRUNCATED_NOTE), 0)
    keep = pl.max_horizontal(pl.lit(budget, pl.Int64) - astral, pl.lit(budget // 2, pl.Int64))
    cut = text.str.slice(0, keep) + TRUNCATED_NOTE
    return pl.when(text.str.len_chars() + astral > limit).then(cut).otherwise(text)


def custom_headers(
    names: Sequence[str | None], count: int, taken: Collection[str] = ()
) -> list[str]:
    """Headers of the first `count` custom columns: the scan's names where it has them,
    `custom_<n>` otherwise, never one already in `taken` or used twice (`name_2`). The names
    come from the seller's file, so they are neutralised like any text."""
    used = set(taken)
    out = []
    for i in range(count):
        given = names[i] if i < len(names) else None
        base = neutralise_text(given.strip()) if given and given.strip() else f"custom_{i + 1}"
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out.append(name)
    return out


def tabular_columns(
    frame: pl.DataFrame,
    custom_names: Sequence[str | None] = (),
    *,
    max_chars: int | None = None,
) -> list[pl.Expr]:
    """Expressions that turn result rows (any subset of the result or error columns) into the
    exported table; build them once for the whole frame, then `select` them chunk by chunk.

    Columns named `_...` are internal and left out, as `results.product_object` does."""
    schema = frame.schema
    visible = [name for name in schema if not name.startswith("_")]
    exprs: list[pl.Expr] = []
    for name in visible:
        dtype = schema[name]
        col = pl.col(name)
        if name == CUSTOM_COLUMNS and isinstance(dtype, pl.List):
            longest = frame.get_column(name).list.len().max() or 0
            headers = custom_headers(custom_names, max(len(custom_names), int(longest)),
                                     taken=[n for n in visible if n != name])
            values = col.cast(pl.List(pl.String))
            exprs += [_text(values.list.get(i, null_on_oob=True), max_chars).alias(header)
                      for i, header in enumerate(headers)]
        elif isinstance(dtype, pl.List):
            joined = col.cast(pl.List(pl.String)).list.join(LIST_SEPARATOR)
            exprs.append(_text(joined, max_chars).alias(name))
        elif dtype == pl.String:
            exprs.append(_text(col, max_chars).alias(name))
        elif dtype.is_float():
            exprs.append(col.fill_nan(None))
        else:
            exprs.append(col)
    return exprs


def _text(text: pl.Expr, max_chars: int | None) -> pl.Expr:
    safe = neutralise(text)
    return safe if max_chars is None else clip(safe, max_chars)


def excel_sheet_name(name: str, suffix: str = "") -> str:
    """A name Excel accepts for a sheet: at most 31 characters (suffix included), none of
    `[]:*?/\\` nor a control character, no apostrophe at either end, not blank, not the reserved
    `History`."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in name if ch >= " ").strip().strip("'").strip()
    cleaned = cleaned or "Sheet"
    if cleaned.lower() == "history":
        cleaned = "History_"
    return cleaned[: EXCEL_SHEET_NAME_CHARS - len(suffix)].rstrip("'") + suffix
