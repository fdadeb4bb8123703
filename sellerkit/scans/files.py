"""Supplier price lists as they really arrive: CSV with any common delimiter, TSV/TXT, XLSX.

Every cell is read as text (identifiers must keep their leading zeros; costs are parsed by the
pipeline with their currency signs), columns are numbered from 0 as the mapping numbers them,
and each row keeps its spreadsheet line number for the errors table.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from sellerkit.domain import identifiers as ids
from sellerkit.domain.money import quantise_float
from sellerkit.errors import Invalid

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_ZIP = b"PK\x03\x04"
SNIFF_BYTES = 64 * 1024


class SourceError(Invalid):
    """A file that cannot be scanned at all (answered 400 at upload)."""


def file_format(name: str, head: bytes) -> str:
    """`csv` or `xlsx`, by content first (a renamed file is still what it is)."""
    if head.startswith(_ZIP):
        return "xlsx"
    suffix = Path(name).suffix.lower()
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE2 container of Excel 97-2003
        raise SourceError(f"file: {name} is an Excel 97-2003 workbook (.xls); save it as XLSX or CSV")
    if FORMATS.get(suffix) == "xlsx":
        raise SourceError(f"file: {name} is named like an XLSX workbook but is not one")
    if b"\x00" in head[:8192]:
        raise SourceError(f"file: {name} is not a spreadsheet (binary content); send CSV, TSV, TXT or XLSX")
    return "csv"


def _encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            return "cp1252"  # what Excel writes on Windows
    return "utf-8"


def _separator(head: bytes, name: str) -> str:
    if Path(name).suffix.lower() == ".tsv":
        return "\t"
    first = head.split(b"\n", 1)[0]
    counts = {sep: first.count(sep.encode()) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)  # type: ignore[arg-type]
    return best if counts[best] else ","


def read(path: Path, fmt: str, n_rows: int | None = None) -> pl.DataFrame:
    """The file as text columns `c0`, `c1`, ... (all rows, header included)."""
    if fmt == "xlsx":
        return _read_xlsx(path, n_rows)
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    source: Path | io.BytesIO = path
    if _encoding(head) == "cp1252":
        source = io.BytesIO(path.read_bytes().decode("cp1252").encode("utf-8"))
    try:
        frame = pl.read_csv(source, has_header=False, infer_schema=False, separator=_separator(head, path.name),
                            truncate_ragged_lines=True, n_rows=n_rows,
                            raise_if_empty=False)
    except pl.exceptions.ComputeError as exc:
        raise SourceError(f"file: cannot be read as CSV ({str(exc).splitlines()[0]})") from None
    if frame.width and frame.height and frame.columns[0] == "column_1":
        first = frame.get_column("column_1")
        if first.dtype == pl.String:  # a UTF-8 byte-order mark Excel puts first
            frame = frame.with_columns(first.str.strip_prefix("\ufeff"))
    return frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})


def _read_xlsx(path: Path, n_rows: int | None) -> pl.DataFrame:
    import fastexcel

    try:
        reader = fastexcel.read_excel(path.read_bytes())  # by content: uploads have no .xlsx name
        sheet = reader.load_sheet(0, header_row=None, dtypes="string", n_rows=n_rows)
        frame = sheet.to_polars()
    except Exception as exc:  # noqa: BLE001 - calamine's errors are many; all mean "unreadable"
        raise SourceError(f"file: cannot be read as XLSX ({exc})") from None
    return frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})


def looks_like_header(frame: pl.DataFrame, id_col: int, cost_col: int) -> bool:
    """Row 1 is a header when neither its identifier nor its cost cell reads as data."""
    if frame.height == 0:
        return False
    row = frame.row(0)
    ident = row[id_col] if id_col < len(row) else None
    cost = row[cost_col] if cost_col < len(row) else None
    try:
        ids.parse(ident)
        return False
    except ids.InvalidIdentifier:
        pass
    return cost is not None and parse_costs(pl.Series([cost]))[0] is None


def check_mapping(frame: pl.DataFrame, columns: dict[str, int], header: bool, name: str) -> None:
    """Fail the upload now, with the reason, if the scan could not read anything."""
    data_rows = frame.height - (1 if header else 0)
    if frame.width == 0 or data_rows <= 0:
        raise SourceError(f"file: {name} has no data rows" + (" after its header" if header and frame.height else ""))
    for field, col in columns.items():
        if col >= frame.width:
            label = f"mapping.{field}" if not field.startswith("custom_") else \
                f"mapping.custom_columns[{field.removeprefix('custom_')}]"
            raise SourceError(f"{label}: column {col} is out of range; the file has {frame.width} "
                              f"column{'s' if frame.width != 1 else ''} (0 to {frame.width - 1})")


_MONEY_JUNK = r"[\s$£€¥￥]|^(USD|GBP|EUR|CAD|JPY)|(USD|GBP|EUR|CAD|JPY)$"


def money_cents(text: pl.Expr) -> pl.Expr:
    """Money cells (`$12.50`, `1,234.50`, `12,5`, ` 3 `) -> cents; null where unreadable.

    A comma is a decimal separator only when it is the one separator and two digits or fewer
    follow it (`12,5`, `3,99`); otherwise commas group thousands. The number is rounded at the
    cent half away from zero, as `money.quantise` rounds its decimal text."""
    t = text.str.replace_all(_MONEY_JUNK, "")
    t = pl.when(t.str.contains(r"^-?\d+,\d{1,2}$")).then(t.str.replace(",", ".")).otherwise(t.str.replace_all(",", ""))
    return number(t, 100)


def number(text: pl.Expr, scale: int) -> pl.Expr:
    """A numeric cell as whole 1/scale units (null for text, NaN and infinities)."""
    value = text.cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(quantise_float(value, scale))


def parse_costs(text: pl.Series) -> pl.Series:
    return pl.DataFrame({"t": text.cast(pl.String)}).select(money_cents(pl.col("t")).alias("cost")).to_series()
