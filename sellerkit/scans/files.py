"""Supplier price lists as they really arrive: CSV with any common delimiter, TSV/TXT, XLSX.

Every cell is read as text (identifiers must keep their leading zeros; costs are parsed by the
pipeline with their currency signs), columns are numbered from 0 as the mapping numbers them,
and each row keeps its spreadsheet line number for the errors table.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import polars as pl

from sellerkit.config import Settings
from sellerkit.domain import identifiers as ids
from sellerkit.domain import numbers
from sellerkit.errors import Invalid
from sellerkit.scans import workbook

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_ZIP = b"PK\x03\x04"
SNIFF_BYTES = 64 * 1024
TRANSCODE_BLOCK = 1 << 20
# Byte-order marks, longest first: FF FE 00 00 is UTF-32 LE, not UTF-16 LE then a NUL.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


class SourceError(Invalid):
    """A file that cannot be scanned at all (answered 400 at upload, 413 past a size limit)."""


@dataclass(frozen=True)
class Limits:
    """How large a supplier file may be once unpacked (the upload limit bounds it packed)."""

    max_rows: int
    max_xml_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(max_rows=settings.scan_max_rows, max_xml_bytes=settings.xlsx_max_xml_mb * 1_000_000)

    def too_many_rows(self, rows: str) -> SourceError:
        return SourceError(f"file: {rows} rows, over the limit of {self.max_rows:,} rows a file "
                           f"(SELLERKIT_SCAN_MAX_ROWS)", status_code=413)


def file_format(name: str, head: bytes) -> str:
    """`csv` or `xlsx`, by content first (a renamed file is still what it is)."""
    if head.startswith(_ZIP):
        return "xlsx"
    suffix = Path(name).suffix.lower()
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE2 container of Excel 97-2003
        raise SourceError(f"file: {name} is an Excel 97-2003 workbook (.xls); save it as XLSX or CSV")
    if FORMATS.get(suffix) == "xlsx":
        raise SourceError(f"file: {name} is named like an XLSX workbook but is not one")
    if _bom(head) is None and b"\x00" in head[:8192]:
        raise SourceError(f"file: {name} is not a spreadsheet (binary content); send CSV, TSV, TXT or XLSX")
    return "csv"


def _bom(head: bytes) -> tuple[bytes, str] | None:
    return next(((bom, enc) for bom, enc in BOMS if head.startswith(bom)), None)


def text_encoding(head: bytes) -> str:
    """The encoding of a text file: its byte-order mark's (Excel's "Unicode text" is UTF-16 LE
    with one), else UTF-8, else Windows-1252 as Excel writes CSV on Windows."""
    found = _bom(head)
    if found is not None:
        return found[1]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            return "cp1252"  # what Excel writes on Windows
    return "utf-8"


def to_utf8(path: Path) -> None:
    """Rewrite a text file that is not UTF-8 (UTF-16/32 by its mark, or Windows-1252) as UTF-8
    without a mark, a block at a time; a UTF-8 file is left as it is."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = text_encoding(head)
    if encoding == "utf-8":
        return
    found = _bom(head)
    decoder = codecs.getincrementaldecoder(encoding)()
    tmp = path.with_name(path.name + ".utf8")
    done = 0
    try:
        with open(path, "rb") as src, open(tmp, "wb") as out:
            if found is not None:
                src.read(len(found[0]))
                done = len(found[0])
            while block := src.read(TRANSCODE_BLOCK):
                try:
                    out.write(decoder.decode(block).encode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise SourceError(f"file: not valid {encoding.upper()} at byte {done + exc.start:,}") from None
                done += len(block)
            try:
                out.write(decoder.decode(b"", final=True).encode("utf-8"))
            except UnicodeDecodeError:
                raise SourceError(f"file: not valid {encoding.upper()}: it ends inside a character") from None
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _separator(head: bytes, name: str) -> str:
    if Path(name).suffix.lower() == ".tsv":
        return "\t"
    first = head.split(b"\n", 1)[0]
    counts = {sep: first.count(sep.encode()) for sep in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)  # type: ignore[arg-type]
    return best if counts[best] else ","


class Prepared(NamedTuple):
    fmt: str
    rows: int | None  # a text file's rows, header included (a workbook's are counted as it is read)


def prepare(path: Path, name: str, limits: Limits) -> str:
    """The file's format, after the checks that are cheap before a scan runs (`examine`)."""
    return examine(path, name, limits).fmt


def examine(path: Path, name: str, limits: Limits) -> Prepared:
    """At upload: the file's format, after the checks that are cheap before a scan runs. A text
    file is rewritten as UTF-8 and its rows counted (the run then need not count them again); a
    workbook's central directory gives how large it inflates, and its sheet's `<dimension>` how
    many rows it claims, without inflating the sheet."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head:
        raise SourceError(f"file: {name} is empty")
    fmt = file_format(name, head)
    if fmt == "xlsx":
        with _workbook(path, limits) as book:
            declared = _xlsx_call(book.declared_rows)
        if declared is not None and declared > limits.max_rows:
            raise limits.too_many_rows(f"the workbook's sheet declares {declared:,}")
        return Prepared(fmt, None)
    to_utf8(path)
    rows = Source(path, fmt, limits, name=name).count_csv_rows()
    if rows > limits.max_rows:
        raise limits.too_many_rows(f"{name} has {rows:,}")
    return Prepared(fmt, rows)


def read(path: Path, fmt: str, limits: Limits, n_rows: int, name: str | None = None, decimal: str = "."
         ) -> pl.DataFrame:
    """The first `n_rows` rows as text columns `c0`, `c1`, ... (header included), without `line`."""
    source = Source(path, fmt, limits, name=name, decimal=decimal)
    if fmt != "xlsx":
        return source._csv(n_rows)
    return next(source.chunks(n_rows, first=True)).drop("line")


COUNT_BATCH_ROWS = 1_000_000  # about 30 MB of one text column


class Source:
    """A supplier file read in chunks of rows: each a frame of `line` (its line in the file, from
    1) and text columns `c0`, `c1`, ... Both formats are streamed, one chunk in memory at a time
    (a CSV by polars' streaming engine). Past the row limit: 413."""

    def __init__(self, path: Path, fmt: str, limits: Limits, width: int | None = None, name: str | None = None,
                 decimal: str = ".", rows: int | None = None):
        self.path, self.fmt, self.limits, self.width = path, fmt, limits, width
        self.decimal = decimal  # an XLSX's number cells are written with it, as its text cells are
        self.name = name or path.name
        self._rows = rows if fmt != "xlsx" else None  # a text file's rows, when the upload counted them

    def rows(self) -> int:
        """Rows in the file, header included (an XLSX's `<dimension>` when it has one: for the
        progress only; the rows read are what counts)."""
        if self.fmt == "xlsx":
            with _workbook(self.path, self.limits) as book:
                return _xlsx_call(book.declared_rows) or _xlsx_call(book.count_rows)
        if self._rows is None:
            self._rows = self.count_csv_rows()
            if self._rows > self.limits.max_rows:
                raise self.limits.too_many_rows(f"{self.name} has more than {self.limits.max_rows:,}")
        return self._rows

    def count_csv_rows(self) -> int:
        """Rows of a CSV counted by polars without keeping them (quoted line breaks respected):
        its first column streamed in batches. (`select(pl.len())` maps the whole file, a 5M-row
        file's 450 MB in the server's memory at once, for 0.2 s less.)"""
        try:
            return sum(batch.height for batch in pl.scan_csv(self.path, **self._csv_options()).select(pl.first())
                       .collect_batches(chunk_size=COUNT_BATCH_ROWS))
        except pl.exceptions.PolarsError as exc:
            raise SourceError(f"file: cannot be read as CSV ({str(exc).splitlines()[0][:200]})") from None

    def chunks(self, size: int, skip: int = 0, start: int = 0, first: bool = False) -> Iterator[pl.DataFrame]:
        """Chunks of `size` rows after the first `skip`, from chunk `start` on; at least one
        (perhaps empty) when starting from the first; `first`: only the first chunk."""
        if self.fmt == "xlsx":
            batches, join = self._xlsx_blocks(skip + start * size), self._joined
        else:
            batches, join = self._csv_batches(skip + start * size, size), _concat
        with closing(batches):  # a workbook is closed as soon as the chunks stop being read
            yielded = False
            for chunk in _exactly(batches, size, join):
                yield chunk
                yielded = True
                if first:
                    return
        if not yielded and start == 0:
            yield self._joined([]) if self.fmt == "xlsx" else \
                self._csv(0).with_row_index("line", offset=1).with_columns(pl.col("line").cast(pl.Int64))

    def _csv_batches(self, offset: int, size: int) -> Iterator[pl.DataFrame]:
        """The CSV's rows from row `offset` (0: the first) in batches of about `size`, each
        with its line number, read by the streaming engine."""
        read = 0
        try:
            frame = pl.scan_csv(self.path, **self._csv_options()).with_row_index("line", offset=1).slice(offset)
            for batch in frame.collect_batches(chunk_size=size):
                read += batch.height
                if offset + read > self.limits.max_rows:
                    raise self.limits.too_many_rows(f"{self.name} has more than {self.limits.max_rows:,}")
                yield self._named(batch.with_columns(pl.col("line").cast(pl.Int64)))
        except pl.exceptions.ComputeError as exc:
            raise SourceError(f"file: cannot be read as CSV ({str(exc).splitlines()[0][:200]})") from None

    def _csv_options(self) -> dict:
        with open(self.path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        if text_encoding(head) != "utf-8":  # a file stored before uploads were transcoded
            to_utf8(self.path)
            with open(self.path, "rb") as fh:
                head = fh.read(SNIFF_BYTES)
        return {"has_header": False, "infer_schema": False, "separator": _separator(head, self.name),
                "truncate_ragged_lines": True, "raise_if_empty": False}

    def _csv(self, n_rows: int) -> pl.DataFrame:
        """The CSV's first `n_rows` rows."""
        try:
            frame = pl.read_csv(self.path, n_rows=n_rows, **self._csv_options())
        except pl.exceptions.ComputeError as exc:
            raise SourceError(f"file: cannot be read as CSV ({str(exc).splitlines()[0][:200]})") from None
        return self._named(frame)

    @staticmethod
    def _named(frame: pl.DataFrame) -> pl.DataFrame:
        """Columns `c0`, `c1`, ... (after `line`, when there), the first without the UTF-8
        byte-order mark Excel puts first."""
        texts = [c for c in frame.columns if c != "line"]
        if texts and frame.height and frame.schema[texts[0]] == pl.String:
            frame = frame.with_columns(pl.col(texts[0]).str.strip_prefix("\ufeff"))
        return frame.rename({c: f"c{i}" for i, c in enumerate(texts)})

    def _xlsx_blocks(self, to_skip: int) -> Iterator[pl.DataFrame]:
        """The workbook's rows as its reader's blocks, after the first `to_skip`."""
        with _workbook(self.path, self.limits) as book:
            frames = book.frames(width=self.width, max_rows=self.limits.max_rows, decimal=self.decimal)
            while (frame := _xlsx_call(lambda: next(frames, None))) is not None:
                if to_skip:
                    dropped = min(to_skip, frame.height)
                    frame, to_skip = frame.slice(dropped), to_skip - dropped
                if frame.height:
                    yield frame

    def _joined(self, frames: list[pl.DataFrame]) -> pl.DataFrame:
        """Frames of a workbook's blocks as one (without a width, as wide as the widest)."""
        frames = [f for f in frames if f.height] or frames[:1]
        if not frames:
            return pl.DataFrame({"line": pl.Series([], dtype=pl.Int64),
                                 **{f"c{i}": pl.Series([], dtype=pl.String) for i in range(self.width or 0)}})
        if len(frames) == 1:
            return frames[0]
        widest = max(frames, key=lambda f: f.width)
        return pl.concat(frames, how="diagonal").select(widest.columns)

def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def _exactly(batches: Iterator[pl.DataFrame], size: int,
             join: Callable[[list[pl.DataFrame]], pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Frames of exactly `size` rows (the last one fewer) from batches of any size, joined by
    `join`: a chunk's number must name the same rows on every run, as a resumed scan skips the
    chunks done."""
    held: list[pl.DataFrame] = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += batch.height
        while count >= size:
            rows = join(held)
            yield rows.slice(0, size)
            held, count = [rows.slice(size)], count - size
    if count:
        yield join(held)


def _workbook(path: Path, limits: Limits) -> workbook.Workbook:
    try:
        return workbook.Workbook(path, limits.max_xml_bytes)
    except workbook.TooLarge as exc:
        raise SourceError(f"file: {exc} (SELLERKIT_XLSX_MAX_XML_MB)", status_code=413) from None
    except workbook.WorkbookError as exc:
        raise SourceError(f"file: cannot be read as XLSX ({exc})") from None


def _xlsx_call(call):
    """A workbook read, its errors as the scan's: limits are 413s naming their setting."""
    try:
        return call()
    except workbook.TooLarge as exc:
        raise SourceError(f"file: the sheet has {exc}, the most a file may have (SELLERKIT_SCAN_MAX_ROWS)",
                          status_code=413) from None
    except workbook.WorkbookError as exc:
        raise SourceError(f"file: cannot be read as XLSX ({exc})") from None


def looks_like_header(frame: pl.DataFrame, id_col: int, cost_col: int, decimal: str = ".") -> bool:
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
    return cost is not None and parse_costs(pl.Series([cost]), decimal)[0] is None


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


def money_text(text: pl.Expr) -> pl.Expr:
    """A money cell without its currency sign, code and spaces (`$1,234.50` -> `1,234.50`)."""
    return text.str.replace_all(_MONEY_JUNK, "")


def money_cents(text: pl.Expr, decimal: str = ".") -> pl.Expr:
    """Money cells (`$12.50`, `1.234,50` with decimal `,`) -> cents; null where unreadable or
    ambiguous (`numbers` has the rule). Rounded at the cent half away from zero, exactly on the
    text, as `money.quantise` rounds."""
    return numbers.units(numbers.normalised(money_text(text), decimal)[0], 2)


def parse_costs(text: pl.Series, decimal: str = ".") -> pl.Series:
    return pl.DataFrame({"t": text.cast(pl.String)}).select(money_cents(pl.col("t"), decimal).alias("cost")).to_series()
