"""The first sheet of an XLSX workbook, read a block of rows at a time as its XML is inflated.

calamine (fastexcel) builds the whole sheet in memory before it gives a single row, even for
`n_rows=200` or a `skip_rows` window: a 1M-row sheet costs it about 400 MB each time. Here the
sheet's XML is inflated a block (`SHEET_BLOCK`) at a time, cut after its last `</row>`, and taken
apart by polars string operations over the whole block (not a Python call per XML element, which
made the reader eight times slower than calamine); memory holds one block and the shared strings
(one polars column, not a Python object each).

The ZIP's central directory says how large each part inflates to without inflating anything;
`zipfile` never yields more than that size, so a part is bounded by what its directory entry
declares, and a workbook whose parts declare more than the limit is refused before any inflating.
expat reads every block too, without handlers (at C speed): XML that is not well formed is
refused, and so is any DTD, the way to an entity expansion bomb (Excel never writes one)"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

import polars as pl

BLOCK = 1 << 20
SHEET_BLOCK = 4 << 20  # XML taken apart at once: the memory a sheet costs, whatever its length
_LETTERS = re.compile(r"[A-Za-z]{1,3}$")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Za-z]{1,3}\d+(?::[A-Za-z]{1,3}(\d+))?\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


class WorkbookError(ValueError):
    """A workbook that cannot be read (not a ZIP, no sheet, malformed XML)."""


class TooLarge(WorkbookError):
    """Past one of the limits the reader was given; the message names it."""


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


class Workbook:
    def __init__(self, path: Path, max_xml_bytes: int) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise WorkbookError(f"not a readable XLSX workbook ({exc})") from None
        infos = self.zip.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_xml_bytes:
            biggest = max(infos, key=lambda i: i.file_size)
            raise TooLarge(f"the workbook inflates to {total / 1e6:,.0f} MB of XML ({biggest.filename}: "
                           f"{biggest.file_size / 1e6:,.0f} MB), over the limit of {max_xml_bytes / 1e6:,.0f} MB")
        self.names = {i.filename for i in infos}
        self.sheet_name: str | None = None  # the first sheet's name, as Excel shows it
        self.sheet = self._first_sheet()
        self._shared: pl.Series | None = None

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- parts ---------------------------------------------------------------------------------

    def _small_part(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise WorkbookError(f"cannot read its part {name} ({exc})") from None

    def _first_sheet(self) -> str:
        """The first sheet in the workbook's order (not by file name), as Excel shows it."""
        if "xl/workbook.xml" not in self.names:
            raise WorkbookError("no xl/workbook.xml: not an XLSX workbook")
        first: list[str] = []
        targets: dict[str, str] = {}

        def workbook_start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "sheet" and not first:
                first.extend(v for k, v in attrs.items() if _local(k) == "id")
                self.sheet_name = attrs.get("name")

        def rels_start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship" and "Id" in attrs and "Target" in attrs:
                targets[attrs["Id"]] = attrs["Target"]

        self._parse(self._small_part("xl/workbook.xml"), workbook_start)
        rels = "xl/_rels/workbook.xml.rels"
        if rels in self.names:
            self._parse(self._small_part(rels), rels_start)
        target = targets.get(first[0]) if first else None
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if path in self.names:
                return path
        sheets = sorted(n for n in self.names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
        if not sheets:
            raise WorkbookError("the workbook has no worksheet")
        return sheets[0]

    @staticmethod
    def _parse(data: bytes, start) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = start
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise WorkbookError(f"malformed XML ({exc})") from None

    def _stream(self, name: str, size: int = BLOCK, first: int | None = None) -> Iterator[bytes]:
        """The part's inflated bytes in blocks of `size`, the first of `first` when given."""
        try:
            with self.zip.open(name) as part:
                block = part.read(first or size)
                while block:
                    yield block
                    block = part.read(size)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:  # CRC, truncation, encryption
            raise WorkbookError(f"cannot read its part {name} ({exc})") from None

    def shared_strings(self) -> pl.Series:
        """Every shared string, in order (one Arrow buffer, not a Python object each), taken
        apart a block at a time as the sheet's rows are."""
        if self._shared is not None:
            return self._shared
        parts: list[pl.Series] = []
        name = next((n for n in self.names if n.lower() == "xl/sharedstrings.xml"), None)
        if name is not None:
            try:
                parts = self._strings_by_blocks(name)
            except _Cdata:
                parts = [self._strings_by_events(name)]
        self._shared = pl.concat(parts) if parts else pl.Series("s", [], dtype=pl.String)
        return self._shared

    def _strings_by_blocks(self, name: str) -> list[pl.Series]:
        return [self._strings(data, name) for data in self._whole_elements(name, b"si>")]

    def _whole_elements(self, name: str, closing: bytes, first: int | None = None) -> Iterator[bytes]:
        """The part's XML in blocks of `SHEET_BLOCK` (the first of `first`), each cut after its
        last `</closing` so it holds whole elements, the rest carried to the next; every byte is
        checked by expat on the way (malformed XML and any DTD refused)."""
        check = _checker(name)
        pending = b""
        for block in self._stream(name, SHEET_BLOCK, first=first):
            check(block, False)
            data = pending + block if pending else block
            cut = _after_last(data, closing)
            if cut is None:
                pending = data
                continue
            pending = data[cut:]
            yield data[:cut]
            del data
        check(b"", True)
        if pending:
            yield pending

    @staticmethod
    def _strings(data: bytes, name: str) -> pl.Series:
        items = pl.Series("s", [_text(data, name)]).str.extract_all(_STRING_ITEM).explode().drop_nulls()
        if items.str.contains("<![CDATA[", literal=True).any():
            raise _Cdata
        items = items.str.slice(items.str.find(">", literal=True) + 1)  # `<si>` and its attributes, if any
        return _unescape(_runs_text(items, "", "</si>").fill_null(""))

    def _strings_by_events(self, name: str) -> pl.Series:
        """The shared strings through expat events, when some hold CDATA (Excel writes none)."""
        strings: list[str] = []
        depth_rph = 0
        text: list[str] = []
        in_t = False

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal depth_rph, in_t
            tag = _local(tag)
            if tag == "si":
                text.clear()
            elif tag == "rPh":
                depth_rph += 1
            elif tag == "t" and not depth_rph:
                in_t = True

        def end(tag: str) -> None:
            nonlocal depth_rph, in_t
            tag = _local(tag)
            if tag == "si":
                strings.append("".join(text))
            elif tag == "rPh":
                depth_rph -= 1
            elif tag == "t":
                in_t = False

        def chars(data: str) -> None:
            if in_t:
                text.append(data)

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_dtd(name)
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
        self._feed(parser, name)
        return pl.Series("s", strings, dtype=pl.String)

    def _feed(self, parser, name: str) -> None:
        try:
            for block in self._stream(name):
                parser.Parse(block, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise WorkbookError(f"malformed XML in {name} ({exc})") from None

    # ---- rows ----------------------------------------------------------------------------------

    def declared_rows(self) -> int | None:
        """The last row number of the sheet's `<dimension>`, from the sheet's first block (1 MB
        inflated) only; None when it has none. It may lie: for progress and a cheap early no."""
        head = b""
        for block in self._stream(self.sheet):
            head += block
            if len(head) >= 64 * 1024 or b"sheetData" in head:
                break
        found = _DIMENSION.search(head)
        if not found:
            return None
        return int(found.group(1)) if found.group(1) else 1

    def count_rows(self) -> int:
        """`<row>` elements of the sheet, counted in the inflated bytes without parsing them."""
        count, tail = 0, b""
        for block in self._stream(self.sheet):
            data = tail + block
            count += len(_ROW_TAG.findall(data))
            tail = data[-16:]
            count -= len(_ROW_TAG.findall(tail))  # counted again with the next block
        return count

    def frames(self, width: int | None = None, max_rows: int | None = None, decimal: str = "."
               ) -> Iterator[pl.DataFrame]:
        """Frames of `line` (the row's number in the sheet) and text columns `c0`, `c1`, ... in
        sheet order, a block of XML at a time; cells are text (numbers as Excel stored them,
        `true`/`false` as calamine gives them, error codes as shown), null where empty. Columns
        past `width` are dropped; past `max_rows` rows, TooLarge. Number cells are written with
        `decimal` (`12,5` for `,`), so they read as text cells do.

        A block (`SHEET_BLOCK` of XML, cut after its last `</row>`) is taken apart by polars
        regular expressions, not element by element in Python: that was 20 times slower. expat
        reads the same bytes without handlers, at C speed, so malformed XML is still refused and a
        DTD (the way to an entity bomb; Excel never writes one) is refused. A block whose rows or
        cells lack their `r` attribute, or that holds CDATA, is read the old way, by expat events."""
        shared = self.shared_strings()
        line = seen = 0
        # a first block of 1 MB: a sample of the first rows (at upload) reads no more than it did
        for data in self._whole_elements(self.sheet, b"row>", first=BLOCK):
            frame, line = self._block(data, shared, width, decimal, line)
            del data
            seen += frame.height
            if max_rows is not None and seen > max_rows:
                raise TooLarge(f"more than {max_rows:,} rows")
            if frame.height:
                yield frame

    def _block(self, data: bytes, shared: pl.Series, width: int | None, decimal: str, line: int
               ) -> tuple[pl.DataFrame, int]:
        """The rows of a block of whole `<row>` elements, and the last row's number.

        Literal string operations do the common shapes (`<v>12.5</v>`, `<is><t>text</t></is>`);
        regular expressions with groups, ten times slower, only the cells they do not fit."""
        text = _text(data, self.sheet)
        whole = pl.Series("text", [text])
        del text
        tags = whole.str.count_matches(_ROW_OPENING)[0]
        if not tags:
            return _frame([], [], width), line
        tok = whole.str.extract_all(_CELL_WHOLE).explode().drop_nulls()
        start = tok.str.head(tok.str.find(">", literal=True) + 1)
        refs = _attribute(start, "r", _CELL_REF_WHOLE)
        letters = refs.str.strip_chars_end("0123456789")
        cell_lines = refs.str.slice(letters.str.len_chars()).cast(pl.Int64, strict=False)
        columns = {x: column_index(x) for x in letters.drop_nulls().unique().to_list() if _LETTERS.match(x)}
        if cell_lines.null_count() or len(columns) < letters.n_unique() or \
                tok.str.contains("<![CDATA[", literal=True).any():
            return self._block_by_events(data, shared, width, decimal, line)
        # each row's number from its cells when every row has some (the rows' tags are not read)
        lines = cell_lines.unique(maintain_order=True)
        if len(lines) != tags or (lines.diff().drop_nulls() <= 0).any():
            lines = _number(whole.str.extract_all(_ROW_TAG_WHOLE).explode().drop_nulls()
                            .str.extract_all(_ROW_NUMBER_WHOLE).list.first())
            if lines.null_count() or lines.is_duplicated().any() or not cell_lines.is_in(lines.implode()).all():
                return self._block_by_events(data, shared, width, decimal, line)
        del whole
        col = letters.replace_strict(columns, return_dtype=pl.Int64)
        if width is not None:
            keep = col < width
            if not keep.all():
                tok, start, col, cell_lines, letters = (x.filter(keep) for x in (tok, start, col, cell_lines, letters))
        cells = pl.DataFrame({"line": cell_lines, "col": col,
                              "kind": _attribute(start, "t", _CELL_TYPE_WHOLE).fill_null("n"),
                              "letters": letters, "rest": tok.str.slice(start.str.len_chars())})
        del tok, start, refs, letters, col, cell_lines
        rows = pl.DataFrame({"line": lines})
        values = self._values(cells, shared, decimal)
        last = lines[-1]
        if width is not None:
            count = width
        else:  # as wide as the last cell with a value, as the rows read by events are
            found = values.filter(pl.col("value").is_not_null()).get_column("col").max()
            count = 0 if found is None else int(found) + 1
        if values.height:
            wide = values.pivot(on="col", index="line", values="value", aggregate_function="last")
        else:
            wide = pl.DataFrame(schema={"line": pl.Int64})
        wide = wide.rename({c: f"c{c}" for c in wide.columns if c != "line"})
        out = rows.join(wide, on="line", how="left", maintain_order="left")
        out = out.select("line", *(pl.col(f"c{i}") if f"c{i}" in out.columns else pl.lit(None, pl.String).alias(f"c{i}")
                                   for i in range(count)))
        return out, last

    def _values(self, cells: pl.DataFrame, shared: pl.Series, decimal: str) -> pl.DataFrame:
        """(row, col, value) of each cell: its `<v>` or inline text as calamine gives it."""
        rest, kind = cells.get_column("rest"), cells.get_column("kind")
        inline = kind == "inlineStr"
        if not inline.any():
            v = _element_text(rest, "<v>", "</v></c>", lambda x: x.str.extract(_VALUE, 1))
        else:
            v = _runs_text(rest, "<is>", "</is></c>")
            if not inline.all():
                others = ~inline
                v = _scatter(v, others, _element_text(rest.filter(others), "<v>", "</v></c>",
                                                      lambda x: x.str.extract(_VALUE, 1)))
        v = _unescape(v)
        frame = pl.DataFrame({"line": cells.get_column("line"), "col": cells.get_column("col"), "v": v, "kind": kind})
        value = pl.col("v")
        is_shared = kind == "s"
        if is_shared.any():
            index = v.str.strip_chars().cast(pl.Int64, strict=False)
            bad = is_shared & v.is_not_null() & (v != "") & (index.is_null() | (index < 0) | (index >= len(shared)))
            if bad.any():
                at = int(bad.arg_true()[0])
                letters = cells["letters"][at]
                raise WorkbookError(f"cell {letters}{cells['line'][at]}: no shared string {v[at][:20]!r}")
            looked = shared.gather(index.fill_null(0).clip(0, len(shared) - 1)) if len(shared) else v
            frame = frame.with_columns(index=index, shared=looked)
            value = pl.when(pl.col("kind") == "s").then(
                pl.when(pl.col("index").is_not_null()).then(pl.col("shared"))).otherwise(value)
        value = (pl.when(pl.col("kind") == "b").then(
                     pl.when(pl.col("v") == "1").then(pl.lit("true")).when(pl.col("v") == "0").then(pl.lit("false"))
                     .otherwise(pl.col("v")))
                 .when(pl.col("kind") == "n").then(
                     pl.col("v").str.replace_all(".", ",", literal=True) if decimal == "," else pl.col("v"))
                 .otherwise(value))
        return frame.select("line", "col", value=pl.when(value != "").then(value))

    def _block_by_events(self, data: bytes, shared: pl.Series, width: int | None, decimal: str, line: int
                         ) -> tuple[pl.DataFrame, int]:
        """A block read through expat events (cells placed by their order in the row, CDATA)."""
        start = _FIRST_ROW.search(data)
        if start is None:
            return _frame([], [], width), line
        end = _SHEET_DATA_END.search(data, start.start())
        body = data[start.start():end.start() if end else len(data)]
        rows, line = _expat_rows(b"<x>" + body + b"</x>", shared, width, decimal, line, self.sheet)
        return _frame([r[0] for r in rows], [r[1] for r in rows], width), line


# for polars (Rust regex): ASCII classes, which its fast engines take (a Unicode \b sends it to
# the slowest); the whitespace of XML is these four
_STRING_ITEM = r"(?s)<si(?-u:\b)[^>]*/>|<si(?-u:\b).*?</si>"
_ROW_OPENING = r"<row(?-u:\b)"
_ROW_TAG_WHOLE = r"<row(?-u:\b)[^>]*>"
_ROW_NUMBER_WHOLE = r"""[ \t\r\n]r[ \t\r\n]*=[ \t\r\n]*["'][0-9]+"""  # in a row's start tag
_CELL_WHOLE = r"(?s)<c(?-u:\b)[^>]*/>|<c(?-u:\b).*?</c>"
_CELL_REF_WHOLE = r"""[ \t\r\n]r[ \t\r\n]*=[ \t\r\n]*["'][A-Za-z]{1,3}[0-9]+"""  # in a cell's start tag
_CELL_TYPE_WHOLE = r"""[ \t\r\n]t[ \t\r\n]*=[ \t\r\n]*["'][A-Za-z0-9_]+"""
_VALUE = r"<v(?:[ \t\r\n][^>]*)?>([^<]*)</v>"
_RUN = r"<t(?:[ \t\r\n][^>]*)?>([^<]*)</t>"
_RUN_WHOLE = r"<t(?:[ \t\r\n][^>]*)?>[^<]*</t>"
_PHONETIC = r"(?s)<rPh(?-u:\b).*?</rPh>"
_PREFIXED = re.compile(rb"</(\w+):")
_FIRST_ROW = re.compile(rb"<(?:\w+:)?row\b")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")


def _attribute(start: pl.Series, name: str, whole: str) -> pl.Series:
    """An attribute's value in start tags: found literally in its usual form (` r="A1"`), by the
    pattern `whole` (up to the value's end) in the others; null in a tag without it."""
    at = start.str.find(f' {name}="', literal=True)
    after = start.str.slice(at + len(name) + 3)
    value = after.str.head(after.str.find('"', literal=True))
    missing = value.is_null()
    if missing.any():
        found = start.filter(missing).str.extract_all(whole).list.first().str.replace(r"^[^\"']*[\"']", "")
        value = _scatter(value, missing, found)
    return value


def _number(found: pl.Series) -> pl.Series:
    """The number that ends an attribute found whole (` r="B12` is 12)."""
    return found.str.strip_chars_start(_NOT_DIGITS).cast(pl.Int64, strict=False)


_NOT_DIGITS = " \t\r\n=\"'" + "".join(map(chr, range(65, 91))) + "".join(map(chr, range(97, 123)))


def _scatter(into: pl.Series, mask: pl.Series, values: pl.Series) -> pl.Series:
    """`into` with its values where `mask` holds replaced, in order, by `values`."""
    return into.scatter(mask.arg_true(), values) if len(values) else into


def _element_text(rest: pl.Series, opening: str, closing: str, slow, also: str | None = None) -> pl.Series:
    """What lies between `opening` (or `also`) and `closing` when a value is just that;
    `slow(rest)` for the others (other elements, whitespace between them); null for nothing."""
    fast = rest.str.strip_prefix(opening)
    if also is not None:
        fast = fast.str.strip_prefix(also)
    fast = fast.str.strip_suffix(closing)
    odd = fast.str.contains("<", literal=True)
    fast = pl.DataFrame({"fast": fast, "rest": rest}).select(
        pl.when(pl.col("rest") != "").then(pl.col("fast"))).to_series()
    if odd.any():
        fast = _scatter(fast, odd, slow(rest.filter(odd)))
    return fast


def _runs_text(items: pl.Series, opening: str, closing: str) -> pl.Series:
    """The text of string items (the inside of `<si>` or `<is>`, with `closing` after it): their
    `<t>` runs joined, phonetic runs (`<rPh>`) left out as calamine leaves them."""

    def slow(odd: pl.Series) -> pl.Series:
        return (odd.str.replace_all(_PHONETIC, "").str.extract_all(_RUN_WHOLE)
                .list.eval(pl.element().str.extract(_RUN, 1)).list.join(""))

    return _element_text(items, opening + "<t>", "</t>" + closing, slow, also=opening + '<t xml:space="preserve">')


def _unescape(values: pl.Series) -> pl.Series:
    """XML's five named entities undone by polars; a value with a numeric reference (`&#233;`)
    by Python, every reference in one pass (`&amp;#233;` must stay `&#233;`)."""
    amp = values.str.contains("&", literal=True).fill_null(False)
    if not amp.any():
        return values
    out = values.filter(amp)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        out = out.str.replace_all(entity, char, literal=True)
    numeric = out.str.contains("&#", literal=True)  # `&amp;#233;` must stay `&#233;`: all at once
    if numeric.any():
        original = values.filter(amp)
        out = _scatter(out, numeric, pl.Series([_ENTITY.sub(_entity, x) for x in original.filter(numeric)],
                                               dtype=pl.String))
    return _scatter(values, amp, out)


_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")


def _entity(found: re.Match) -> str:
    name = found.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        return chr(int("0" + name[1:], 0) if name[1] == "x" else int(name[1:]))  # "#x1F": 0x1F
    except (ValueError, OverflowError):
        return found.group(0)


def _text(data: bytes, name: str) -> str:
    """The block as text, with namespace prefixes (`<x:c>`) taken off its tags."""
    if _PREFIXED.search(data):
        for prefix in set(_PREFIXED.findall(data)):
            data = data.replace(b"<" + prefix + b":", b"<").replace(b"</" + prefix + b":", b"</")
    try:
        return data.decode()
    except UnicodeDecodeError as exc:
        raise WorkbookError(f"malformed XML in {name} ({exc})") from None


class _Cdata(Exception):
    """A CDATA section, which the regular expressions do not read."""


def _refuse_dtd(name: str):
    def doctype(*_: object) -> None:
        raise WorkbookError(f"malformed XML in {name} (a DTD, which Excel never writes, is not read)")

    return doctype


def _checker(name: str):
    """expat over the same bytes without handlers (C speed): malformed XML and any DTD refused."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd(name)

    def check(data: bytes, final: bool) -> None:
        try:
            parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise WorkbookError(f"malformed XML in {name} ({exc})") from None

    return check


def _after_last(data: bytes, closing: bytes) -> int | None:
    """Where the last `</name>` (perhaps `</x:name>`) of `data` ends; `closing` is b"name>"."""
    end = len(data)
    while True:
        at = data.rfind(closing, 0, end)
        if at < 0:
            return None
        lt = data.rfind(b"<", 0, at)
        if lt >= 0 and data[lt + 1:lt + 2] == b"/" and (lt + 2 == at or re.fullmatch(rb"\w+:", data[lt + 2:at])):
            return at + len(closing)
        end = at


def _frame(lines: list[int], rows: list[list[str | None]], width: int | None) -> pl.DataFrame:
    count = width if width is not None else max((len(r) for r in rows), default=0)
    columns = list(zip(*(r + [None] * (count - len(r)) for r in rows))) if rows else [()] * count
    return pl.DataFrame({"line": pl.Series(lines, dtype=pl.Int64),
                         **{f"c{i}": pl.Series(col, dtype=pl.String) for i, col in enumerate(columns)}})


def _expat_rows(data: bytes, shared: pl.Series, width: int | None, decimal: str, line: int, sheet: str
                ) -> tuple[list[tuple[int, list[str | None]]], int]:
    """Rows by expat events: only element starts and text are handled (a row ends when the next
    one starts, a cell's text is the `<v>` or `<t>` text that follows it, and phonetic runs
    (`<rPh>`) are skipped until the next cell)."""
    out: list[tuple[int, list[str | None]]] = []
    names: dict[str, str] = {}
    columns: dict[str, int] = {}
    col = -1
    kind = "n"
    cells: list[str | None] | None = None
    taking = False
    limit = width if width is not None else 1 << 30
    comma = decimal == ","

    def finish_row() -> None:
        row = cells if width is None else (cells + [None] * (width - len(cells)))  # type: ignore[operator]
        out.append((line, row))  # type: ignore[arg-type]

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal line, col, kind, cells, taking
        if tag == "c":
            ref = attrs.get("r")
            if ref is None:
                col += 1
            else:
                letters = ref.rstrip("0123456789")
                found = columns.get(letters)
                if found is None:
                    found = columns[letters] = column_index(letters) if _LETTERS.match(letters) else col + 1
                col = found
            kind = attrs.get("t", "n")
            taking = False
        elif tag == "v" or tag == "t":
            taking = col < limit
        elif tag == "row":
            if cells is not None:
                finish_row()
            number = attrs.get("r")
            line = int(number) if number and number.isdigit() else line + 1
            col, cells = -1, []
        elif tag == "rPh":
            kind = "rPh"
        else:
            name = names.get(tag)
            if name is None:
                name = names[tag] = _local(tag)
            if name != tag:
                start(name, attrs)

    def text(data: str) -> None:
        nonlocal taking
        if not taking or cells is None:
            return
        if kind == "s":
            try:
                i = int(data)
                if i < 0:
                    raise IndexError
                value: str | None = shared[i]
            except (ValueError, IndexError):
                raise WorkbookError(f"cell {_ref(col, line)}: no shared string {data[:20]!r}") from None
            taking = False
        elif kind == "inlineStr":
            value = data if col >= len(cells) or cells[col] is None else cells[col] + data
        elif kind == "b":
            value = "true" if data == "1" else "false" if data == "0" else data
            taking = False
        elif kind == "rPh":
            return
        elif comma and kind == "n":
            value = data.replace(".", ",")
            taking = False
        else:
            value = data
            taking = False
        if col >= len(cells):
            cells.extend([None] * (col + 1 - len(cells)))
        cells[col] = value or None

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler, parser.CharacterDataHandler = start, text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise WorkbookError(f"malformed XML in {sheet} ({exc})") from None
    if cells is not None:
        finish_row()
    return out, line

def _ref(col: int, line: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{line}"
