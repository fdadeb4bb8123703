"""The first sheet of an XLSX workbook, read row by row as its XML is inflated.

calamine (fastexcel) builds the whole sheet in memory before it gives a single row, even for
`n_rows=200` or a `skip_rows` window: a 1M-row sheet costs it about 400 MB each time. Here the
sheet's XML is streamed out of the ZIP through expat, so memory holds one batch of rows and the
shared strings (kept as one UTF-8 buffer and offsets, not a Python object each).

The ZIP's central directory says how large each part inflates to without inflating anything;
`zipfile` never yields more than that size, so a part is bounded by what its directory entry
declares, and a workbook whose parts declare more than the limit is refused before any inflating.
expat (2.4 and later) refuses entity expansion bombs itself and never fetches external entities.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

BLOCK = 1 << 20
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
        self.sheet = self._first_sheet()
        self._shared: tuple[bytearray, array] | None = None

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

    def _stream(self, name: str) -> Iterator[bytes]:
        try:
            with self.zip.open(name) as part:
                while block := part.read(BLOCK):
                    yield block
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:  # CRC, truncation, encryption
            raise WorkbookError(f"cannot read its part {name} ({exc})") from None

    def shared_strings(self) -> tuple[bytearray, array]:
        """Every shared string as one UTF-8 buffer and its offsets (string i is
        buffer[offsets[i]:offsets[i + 1]])."""
        if self._shared is not None:
            return self._shared
        buffer, offsets = bytearray(), array("Q", [0])
        name = next((n for n in self.names if n.lower() == "xl/sharedstrings.xml"), None)
        if name is not None:
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
                    buffer.extend("".join(text).encode())
                    offsets.append(len(buffer))
                elif tag == "rPh":
                    depth_rph -= 1
                elif tag == "t":
                    in_t = False

            def chars(data: str) -> None:
                if in_t:
                    text.append(data)

            parser = expat.ParserCreate()
            parser.buffer_text = True
            parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
            self._feed(parser, name)
        self._shared = (buffer, offsets)
        return self._shared

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

    def rows(self, width: int | None = None, max_rows: int | None = None, decimal: str = "."
             ) -> Iterator[list[tuple[int, list[str | None]]]]:
        """Batches of (line, cells) in sheet order, as the XML is inflated; cells are text (numbers
        as Excel stored them, `true`/`false` as calamine gives them, error codes as shown), None
        where empty. Columns past `width` are dropped; past `max_rows` rows, TooLarge. Number
        cells are written with `decimal` (`12,5` for `,`), so they read as text cells do.

        Only element starts and text are handled (a Python call per event is most of the cost): a
        row ends when the next one starts, a cell's text is the `<v>` or `<t>` text that follows
        it, and phonetic runs (`<rPh>`) are skipped until the next cell."""
        buffer, offsets = self.shared_strings()
        out: list[tuple[int, list[str | None]]] = []
        names: dict[str, str] = {}
        columns: dict[str, int] = {}  # column letters -> index, worked out once each
        line = seen = 0
        col = -1
        kind = "n"
        cells: list[str | None] | None = None
        taking = False  # the next text is the current cell's
        limit = width if width is not None else 1 << 30
        comma = decimal == ","

        def finish_row() -> None:
            nonlocal seen
            seen += 1
            if max_rows is not None and seen > max_rows:
                raise TooLarge(f"more than {max_rows:,} rows")
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
                kind = "rPh"  # the rest of this cell is its reading, not its text
            else:  # a prefixed name (`x:c`) is handled as its local name
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
                    value: str | None = bytes(buffer[offsets[i]:offsets[i + 1]]).decode()
                except (ValueError, IndexError):
                    raise WorkbookError(f"cell {_ref(col, line)}: no shared string {data[:20]!r}") from None
                taking = False
            elif kind == "inlineStr":  # rich text: runs of <t>, joined
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
            for block in self._stream(self.sheet):
                parser.Parse(block, False)
                if out:
                    yield out
                    out = []
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise WorkbookError(f"malformed XML in {self.sheet} ({exc})") from None
        if cells is not None:
            finish_row()
        if out:
            yield out


def _ref(col: int, line: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{line}"
