"""XLSX workbooks written part by part, so a test controls their XML: dimensions that lie,
sheets without one, huge highly compressible sheets, prefixed namespaces."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from sellerkit.scans.xlsx import column_letters

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
          '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
              '2006/relationships"><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/worksheet" Target="worksheets/data.xml"/><Relationship Id="rId8" '
              'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              'Target="worksheets/sheet1.xml"/></Relationships>')


def row_xml(line: int, cells: Sequence[str | None]) -> str:
    """One row of inline strings (None: no cell)."""
    body = "".join(f'<c r="{column_letters(i)}{line}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
                   for i, v in enumerate(cells) if v is not None)
    return f'<row r="{line}">{body}</row>'


def write(path: Path, rows: Iterable[str], *, dimension: str | None = None, shared: Sequence[str] = (),
          sheet_head: str = "", prefix: str = "") -> Path:
    """A workbook whose first sheet (by the workbook's order: `data.xml`, not `sheet1.xml`) holds
    `rows` (XML of `<row>` elements), streamed into the ZIP so a large sheet never sits in memory."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    book = (f'<?xml version="1.0" encoding="UTF-8"?><{p}workbook {xmlns} xmlns:r="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships"><{p}sheets><{p}sheet name="Prices" sheetId="1" r:id="rId7"/>'
            f'<{p}sheet name="Other" sheetId="2" r:id="rId8"/></{p}sheets></{p}workbook>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", book)
        z.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" '
                                               f't="inlineStr"><is><t>not the first sheet</t></is></c></row>'
                                               f'</sheetData></worksheet>')
        if shared:
            items = "".join(f"<{p}si>{s}</{p}si>" if s.startswith("<") else f"<{p}si><{p}t>{escape(s)}</{p}t></{p}si>"
                            for s in shared)
            z.writestr("xl/sharedStrings.xml", f'<{p}sst {xmlns}>{items}</{p}sst>')
        with z.open("xl/worksheets/data.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}>{sheet_head}'.encode())
            if dimension:
                sheet.write(f'<{p}dimension ref="{dimension}"/>'.encode())
            sheet.write(f"<{p}sheetData>".encode())
            block: list[str] = []
            for row in rows:
                block.append(row)
                if len(block) >= 5000:
                    sheet.write("".join(block).encode())
                    block.clear()
            sheet.write("".join(block).encode())
            sheet.write(f"</{p}sheetData></{p}worksheet>".encode())
    return path
