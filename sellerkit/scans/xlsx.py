"""Excel workbooks whose rows polars writes as XML, a chunk at a time, into the zip.

XlsxWriter spent about 3 us of Python a cell (67 s for a 226,808-row scan's 94 columns). Here each
column of a chunk becomes its cells' XML through vectorised string expressions, the cells become
rows, and the rows are written to the sheet's entry in the zip as they are made: one chunk in
memory at a time, as XlsxWriter's constant_memory mode kept one row.

What the workbook holds is what XlsxWriter wrote: cells by their column's type (numbers as numbers,
booleans as booleans, text always an inline string, never a formula, with XML's forbidden
control characters and literal `_xHHHH_` escapes written as Excel reads them), the header bold
and frozen on every sheet, column widths from the headers, and rows past one sheet's limit on
the next ("Results (2)").
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import polars as pl

from sellerkit.domain import tabular
from sellerkit.errors import Invalid

COMPRESSION = 1  # deflate level: 6 took twice as long (5.4 s against 2.7 s for 50,000 rows) for files 22% smaller
XML_BYTES_A_CELL = 64  # a cell's XML around its value, with room (`<c r="AB123456" t="inlineStr">...`)
ZIP64_FROM = 2**31  # a sheet estimated at half of ZIP's 4 GiB limit or more is written as ZIP64
ROWS_AT_ONCE = 2_000  # rows made into XML at a time: about 15 MB of it for a scan's 94 columns
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
# XML 1.0 allows none of these; Excel reads `_xHHHH_` as the character
_CONTROL = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/>'
    '<scheme val="minor"/></font><font><b/><sz val="11"/><name val="Calibri"/>'
    '<family val="2"/><scheme val="minor"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>'
)


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text_xml(text: pl.Expr) -> pl.Expr:
    """Text as the content of an XML element."""
    return text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True) \
        .str.replace_all(">", "&gt;", literal=True)


_ESCAPED = r"_x[0-9A-Fa-f]{4}_"
_FORBIDDEN = "[" + "".join(f"\\x{ord(ch):02x}" for ch in _CONTROL) + "]"


def _header_xml(text: str) -> str:
    """One text (a header) as `_excel_text` and `_text_xml` write a column's."""
    text = re.sub(f"({_ESCAPED})", r"_x005F\1", text)
    return escape(re.sub(_FORBIDDEN, lambda found: f"_x{ord(found.group()):04X}_", text))


def _excel_text(chunk: pl.DataFrame) -> pl.DataFrame:
    """Text columns with what XML cannot hold written as Excel's `_xHHHH_` escapes, and text that
    looks like one escaped itself; looked for with one search a column (they are rare)."""
    fixes = []
    for name, dtype in chunk.schema.items():
        if dtype != pl.String:
            continue
        column, text = chunk.get_column(name), pl.col(name)
        escaped, forbidden = column.str.contains(_ESCAPED).any(), column.str.contains(_FORBIDDEN).any()
        if escaped:
            text = text.str.replace_all(f"({_ESCAPED})", "_x005F$1")
        if forbidden:
            for ch in _CONTROL:
                text = text.str.replace_all(ch, f"_x{ord(ch):04X}_", literal=True)
        if escaped or forbidden:
            fixes.append(text)
    return chunk.with_columns(fixes) if fixes else chunk


def _cell(name: str, dtype: pl.DataType, letters: str, row: pl.Expr) -> pl.Expr:
    """A column's cells as XML ("" where the cell is empty)."""
    col = pl.col(name)
    ref = [pl.lit(f'<c r="{letters}'), row]
    if dtype == pl.Boolean:
        parts = [*ref, pl.lit('" t="b"><v>'), col.cast(pl.UInt8).cast(pl.String), pl.lit("</v></c>")]
        keep = col.is_not_null()
    elif dtype.is_numeric():
        parts = [*ref, pl.lit('"><v>'), col.cast(pl.String), pl.lit("</v></c>")]
        keep = col.is_finite() if dtype.is_float() else col.is_not_null()
    else:
        text = col if dtype == pl.String else col.cast(pl.String)
        parts = [*ref, pl.lit('" t="inlineStr"><is><t xml:space="preserve">'), _text_xml(text), pl.lit("</t></is></c>")]
        keep = text.is_not_null() & (text != "")
    return pl.when(keep).then(pl.concat_str(parts)).otherwise(pl.lit(""))


class Sheets:
    """The workbook's sheets as one long table, written into `book` as rows come."""

    def __init__(self, book: zipfile.ZipFile, schema: pl.Schema, rows_per_sheet: int, zip64: bool = False):
        self.book, self.schema, self.zip64 = book, schema, zip64
        self.rows_per_sheet = rows_per_sheet
        row = pl.col("_row").cast(pl.String)
        cells = [_cell(name, dtype, column_letters(i), row) for i, (name, dtype) in enumerate(schema.items())]
        self._rows = pl.concat_str([pl.lit('<row r="'), row, pl.lit('">'), *cells, pl.lit("</row>")])
        self.sheets = 0
        self._out = None
        # zlib compresses a chunk's XML on this thread while polars builds the next (both let go of the GIL)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="xlsx-write")
        self._writing: Future | None = None
        self.new_sheet()

    def new_sheet(self) -> None:
        self._end_sheet()
        self.sheets += 1
        self._out = self.book.open(f"xl/worksheets/sheet{self.sheets}.xml", "w", force_zip64=self.zip64)
        widths = "".join(f'<col min="{i}" max="{i}" width="{min(max(len(header) + 2, 10), 50) + 0.7109375}" '
                         f'customWidth="1"/>' for i, header in enumerate(self.schema, start=1))
        header = "".join(f'<c r="{column_letters(i)}1" s="1" t="inlineStr"><is><t xml:space="preserve">'
                         f'{_header_xml(name)}</t></is></c>' for i, name in enumerate(self.schema))
        selected = ' tabSelected="1"' if self.sheets == 1 else ""
        self._out.write((
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheetViews><sheetView{selected} '
            'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            f'<cols>{widths}</cols><sheetData><row r="1">{header}</row>'
        ).encode())
        self.row = 1

    def _end_sheet(self) -> None:
        self._written()
        if self._out is not None:
            self._out.write(b'</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
                            b'header="0.3" footer="0.3"/></worksheet>')
            self._out.close()
            self._out = None

    def extend(self, chunk: pl.DataFrame) -> None:
        """Rows of the schema's columns, after those written."""
        while chunk.height:
            if self.row >= self.rows_per_sheet + 1:
                self.new_sheet()
            part = chunk.head(min(self.rows_per_sheet + 1 - self.row, ROWS_AT_ONCE))
            chunk = chunk.slice(part.height)
            first = self.row + 1
            xml = _excel_text(part).with_columns(pl.int_range(first, first + part.height, dtype=pl.Int64).alias("_row")) \
                .select(self._rows.str.join("")).item()
            self._written()
            self._writing = self._writer.submit(self._out.write, xml.encode())
            self.row += part.height

    def _written(self) -> None:
        """Wait for the rows handed to the writer (raising what writing them raised)."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def close(self) -> None:
        try:
            self._end_sheet()
        finally:
            self._writer.shutdown()


@contextlib.contextmanager
def workbook(path: Path, sheet_name: str, schema: pl.Schema, rows: int,
             rows_per_sheet: int = tabular.EXCEL_MAX_ROWS - 1, data_bytes: int = 0) -> Iterator[Sheets]:
    """A workbook at `path` of `rows` rows to come (`data_bytes` of values), complete when the
    block ends and removed if it raises. A sheet whose XML may pass 4 GiB is a ZIP64 entry; the
    others are plain ones, as XlsxWriter wrote them."""
    if len(schema) > tabular.EXCEL_MAX_COLUMNS:
        raise Invalid(f"Excel holds at most {tabular.EXCEL_MAX_COLUMNS:,} columns; "
                      f"this export has {len(schema):,}")
    count = max(1, -(-rows // rows_per_sheet))
    names = [tabular.excel_sheet_name(sheet_name, "" if n == 1 else f" ({n})") for n in range(1, count + 1)]
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as book:
            _package(book, names)
            zip64 = 2 * data_bytes + min(rows, rows_per_sheet) * (len(schema) + 1) * XML_BYTES_A_CELL > ZIP64_FROM
            sheets = Sheets(book, schema, rows_per_sheet, zip64)
            try:
                yield sheets
                while sheets.sheets < count:  # fewer rows came than announced: the sheets named stay whole
                    sheets.new_sheet()
            finally:
                sheets.close()  # the zip closes only once its entry being written has
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _package(book: zipfile.ZipFile, names: list[str]) -> None:
    """The parts around the sheets: content types, relationships, the workbook, the styles."""
    sheets = range(1, len(names) + 1)
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_TYPES}.worksheet+xml"/>'
                        for n in sheets)
    book.writestr("[Content_Types].xml", (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.styles+xml"/>{overrides}</Types>'))
    book.writestr("_rels/.rels", (
        f'{_HEAD}<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
    entries = "".join(f'<sheet name={quoteattr(name)} sheetId="{n}" r:id="rId{n}"/>' for n, name in zip(sheets, names))
    book.writestr("xl/workbook.xml", (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><bookViews><workbookView/></bookViews>'
        f'<sheets>{entries}</sheets></workbook>'))
    links = "".join(f'<Relationship Id="rId{n}" Type="{_RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                    for n in sheets)
    book.writestr("xl/_rels/workbook.xml.rels", (
        f'{_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">{links}<Relationship Id="rId{len(names) + 1}" '
        f'Type="{_RELS}/styles" Target="styles.xml"/></Relationships>'))
    book.writestr("xl/styles.xml", _STYLES)
