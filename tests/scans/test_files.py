"""Supplier files: formats, encodings, and the limits on what a file may unpack to."""

from __future__ import annotations

import time
import zipfile

import polars as pl
import pytest

from sellerkit.scans import files, workbook
from tests.scans import sheets

LIMITS = files.Limits(max_rows=1_000, max_xml_bytes=2_000_000)


def rows_of(source: files.Source, size: int = 1_000) -> pl.DataFrame:
    return pl.concat(list(source.chunks(size)))


class TestXlsxLimits:
    def test_zip_bomb_is_refused_from_its_directory_without_inflating(self, tmp_path, monkeypatch):
        # 300,000 rows alike: about 23 MB of XML that deflates to about 100 kB
        row = '<row><c t="inlineStr"><is><t>036000291452</t></is></c><c><v>1.00</v></c></row>'
        path = sheets.write(tmp_path / "bomb.xlsx", [row * 1000] * 300)
        assert path.stat().st_size < 200_000
        opened = []
        monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or 1 / 0)
        started = time.perf_counter()
        with pytest.raises(files.SourceError) as caught:
            files.prepare(path, "bomb.xlsx", LIMITS)
        assert time.perf_counter() - started < 0.5 and opened == []
        assert caught.value.status_code == 413
        assert "over the limit of 2 MB (SELLERKIT_XLSX_MAX_XML_MB)" in caught.value.message
        assert "xl/worksheets/data.xml" in caught.value.message

    def test_rows_past_the_limit_are_refused_at_upload_by_the_sheets_dimension(self, tmp_path):
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, ["x"]) for i in range(1, 10)),
                            dimension="A1:B3000000")
        with pytest.raises(files.SourceError) as caught:
            files.prepare(path, "s.xlsx", LIMITS)
        assert caught.value.status_code == 413
        assert caught.value.message == ("file: the workbook's sheet declares 3,000,000 rows, over the limit of "
                                        "1,000 rows a file (SELLERKIT_SCAN_MAX_ROWS)")

    def test_rows_past_the_limit_without_a_dimension_stop_the_reading(self, tmp_path):
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, ["036000291452", "1.00"]) for i in range(1, 1_500)))
        assert files.prepare(path, "s.xlsx", LIMITS) == "xlsx"  # nothing cheap tells the rows
        with pytest.raises(files.SourceError) as caught:
            rows_of(files.Source(path, "xlsx", LIMITS, width=2), size=100)
        assert caught.value.status_code == 413
        assert "more than 1,000 rows" in caught.value.message and "SELLERKIT_SCAN_MAX_ROWS" in caught.value.message

    def test_a_dimension_that_lies_does_not_lift_the_limit(self, tmp_path):
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, ["1"]) for i in range(1, 1_500)),
                            dimension="A1:A10")
        files.prepare(path, "s.xlsx", LIMITS)
        with pytest.raises(files.SourceError, match="more than 1,000 rows"):
            rows_of(files.Source(path, "xlsx", LIMITS, width=1))

    def test_rows_are_read_in_chunks_with_their_sheet_lines(self, tmp_path):
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, [f"id{i}", None, f"{i}.5"])
                                                  for i in (1, 2, 3, 7, 8)))
        chunks = list(files.Source(path, "xlsx", LIMITS, width=3).chunks(2, skip=1))
        assert [c.height for c in chunks] == [2, 2]
        frame = pl.concat(chunks)
        assert frame.columns == ["line", "c0", "c1", "c2"]
        assert frame.rows() == [(2, "id2", None, "2.5"), (3, "id3", None, "3.5"), (7, "id7", None, "7.5"),
                                (8, "id8", None, "8.5")]

    def test_resuming_skips_the_chunks_already_done(self, tmp_path):
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, [f"id{i}"]) for i in range(1, 11)))
        chunks = list(files.Source(path, "xlsx", LIMITS, width=1).chunks(3, skip=1, start=2))
        assert [c.get_column("line").to_list() for c in chunks] == [[8, 9, 10]]


class TestXlsxCells:
    def test_cells_read_as_calamine_reads_an_excel_written_workbook(self, tmp_path):
        import fastexcel
        import xlsxwriter

        path = tmp_path / "s.xlsx"
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet()
        values = [["UPC", "Cost", "Title", "Flag"], ["036000291452", 12.5, "Café & crème <b>", True],
                  ["012345678905", 3, "", False], [None, 1234.25, "x" * 300, None]]
        for r, row in enumerate(values):
            for c, v in enumerate(row):
                if v is not None:
                    sheet.write(r, c, v)
        book.close()
        ours = files.read(path, "xlsx", LIMITS, n_rows=10)
        theirs = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars()
        assert ours.rows() == theirs.rows()

    def test_a_sheet_over_many_blocks_reads_as_calamine_reads_it(self, tmp_path, monkeypatch):
        import fastexcel
        import xlsxwriter

        monkeypatch.setattr(workbook, "SHEET_BLOCK", 4096)  # rows cut across blocks, shared strings too
        path = tmp_path / "s.xlsx"
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet()
        texts = ["Café & crème", "<b>", " lead", "trail ", 'say "hi"', "漢字 😀", "a\nb"]
        for r in range(600):
            sheet.write_string(r, 0, texts[r % len(texts)] + str(r))
            sheet.write_number(r, 1, r * 7)
            if r % 3:
                sheet.write_boolean(r, 2, r % 2 == 0)
            sheet.write_rich_string(r, 3, "ri", book.add_format({"bold": True}), "ch")
            if r % 5 == 0:
                sheet.write_string(r, 5, texts[r % len(texts)])
        book.close()
        ours = files.read(path, "xlsx", LIMITS, n_rows=1_000)
        theirs = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars()
        assert ours.rows() == theirs.rows()

    def test_whitespace_between_elements_is_not_cell_text(self, tmp_path):
        import fastexcel

        row = ('<row r="1">\n  <c r="A1" t="inlineStr">\n    <is>\n      <t>pretty</t>\n    </is>\n  </c>\n'
               '  <c r="B1">\n    <v>1.5</v>\n  </c>\n</row>')
        path = sheets.write(tmp_path / "s.xlsx", [row])
        theirs = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string").to_polars()
        assert files.read(path, "xlsx", LIMITS, n_rows=5).rows() == theirs.rows() == [("pretty", "1.5")]

    def test_cells_without_a_reference_are_placed_by_their_order(self, tmp_path):
        rows = ['<row r="1"><c t="inlineStr"><is><t>a</t></is></c><c><v>2</v></c></row>',
                '<row><c r="C2"><v>3</v></c><c><v>4</v></c></row>']
        path = sheets.write(tmp_path / "s.xlsx", rows)
        assert files.read(path, "xlsx", LIMITS, n_rows=5).rows() == [("a", "2", None, None), (None, None, "3", "4")]

    def test_rows_without_cells_are_rows_with_their_lines(self, tmp_path):
        rows = ['<row r="2"><c r="A2"><v>1</v></c></row>', '<row r="3"/>', '<row r="5" spans="1:2"></row>',
                '<row r="6"><c r="B6" s="1"/></row>', '<row r="7"><c r="B7"><v>7</v></c></row>']
        path = sheets.write(tmp_path / "s.xlsx", rows)
        frame = rows_of(files.Source(path, "xlsx", LIMITS, width=2))
        assert frame.rows() == [(2, "1", None), (3, None, None), (5, None, None), (6, None, None), (7, None, "7")]

    def test_entities_and_character_references_are_undone_once(self, tmp_path):
        row = ('<row r="1"><c r="A1" t="inlineStr"><is><t>&amp;lt; &#233;t&#xE9; &amp;#65; &quot;&apos;</t></is></c>'
               '</row>')
        path = sheets.write(tmp_path / "s.xlsx", [row])
        assert files.read(path, "xlsx", LIMITS, n_rows=5).row(0) == ("&lt; été &#65; \"'",)

    def test_shared_rich_and_phonetic_strings_read_as_their_text(self, tmp_path):
        shared = ["plain", "<r><t>ri</t></r><r><t>ch</t></r>", "<t>漢字</t><rPh sb=\"0\" eb=\"2\"><t>カンジ</t></rPh>"]
        row = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
               '<c r="D1" t="b"><v>1</v></c><c r="E1" t="e"><v>#N/A</v></c><c r="F1" t="inlineStr"><is><r><t>a</t>'
               '</r><r><t>b</t></r></is></c></row>')
        path = sheets.write(tmp_path / "s.xlsx", [row], shared=shared, prefix="x")
        assert files.read(path, "xlsx", LIMITS, n_rows=5).row(0) == ("plain", "rich", "漢字", "true", "#N/A", "ab")

    def test_a_shared_string_that_does_not_exist_is_a_400_with_the_cell(self, tmp_path):
        path = sheets.write(tmp_path / "s.xlsx", ['<row r="4"><c r="B4" t="s"><v>9</v></c></row>'], shared=["a"])
        with pytest.raises(files.SourceError, match="cell B4: no shared string '9'") as caught:
            files.read(path, "xlsx", LIMITS, n_rows=5)
        assert caught.value.status_code == 400

    def test_malformed_sheet_xml_is_a_400(self, tmp_path):
        path = sheets.write(tmp_path / "s.xlsx", ['<row r="1"><c r="A1"><v>1</v></row>'])
        with pytest.raises(files.SourceError, match="cannot be read as XLSX .*malformed XML"):
            files.read(path, "xlsx", LIMITS, n_rows=5)


class TestCsvLimits:
    def test_rows_past_the_limit_are_refused_at_upload(self, tmp_path):
        path = tmp_path / "s.csv"
        path.write_text("".join(f"036000291452,{i}\n" for i in range(1_001)))
        with pytest.raises(files.SourceError) as caught:
            files.prepare(path, "s.csv", LIMITS)
        assert caught.value.status_code == 413
        assert caught.value.message == ("file: s.csv has 1,001 rows, over the limit of 1,000 rows a file "
                                        "(SELLERKIT_SCAN_MAX_ROWS)")

    def test_quoted_line_breaks_are_not_rows(self, tmp_path):
        path = tmp_path / "s.csv"
        path.write_text("".join(f'036000291452,"a\nb\nc",{i}\n' for i in range(500)))
        assert files.prepare(path, "s.csv", LIMITS) == "csv"

    def test_rows_past_the_limit_stop_the_reading(self, tmp_path):
        path = tmp_path / "s.csv"
        path.write_text("".join(f"036000291452,{i}\n" for i in range(1_001)))
        with pytest.raises(files.SourceError, match="more than 1,000 rows"):
            rows_of(files.Source(path, "csv", LIMITS))


class TestEncodings:
    TEXT = "UPC\tCost\tTitle\n036000291452\t8.00\tCafé crème\n012345678905\t3.50\tÜber\n"

    @pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                               ("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-8", b"\xef\xbb\xbf")])
    def test_text_with_a_byte_order_mark_is_read_by_it(self, tmp_path, encoding, bom):
        path = tmp_path / "s.txt"
        path.write_bytes(bom + self.TEXT.replace("\n", "\r\n").encode(encoding))
        assert files.prepare(path, "s.txt", LIMITS) == "csv"
        frame = rows_of(files.Source(path, "csv", LIMITS))
        assert frame.rows() == [(1, "UPC", "Cost", "Title"), (2, "036000291452", "8.00", "Café crème"),
                                (3, "012345678905", "3.50", "Über")]

    def test_a_utf16_file_is_transcoded_a_block_at_a_time(self, tmp_path, monkeypatch):
        monkeypatch.setattr(files, "TRANSCODE_BLOCK", 7)  # blocks that cut characters in half
        path = tmp_path / "s.txt"
        path.write_bytes(b"\xff\xfe" + self.TEXT.encode("utf-16-le"))
        files.to_utf8(path)
        assert path.read_bytes() == self.TEXT.encode()

    def test_broken_utf16_is_a_400_with_the_byte(self, tmp_path):
        path = tmp_path / "s.txt"
        path.write_bytes(b"\xff\xfe" + "ab".encode("utf-16-le") + b"\x00\xdc" + "c,1\n".encode("utf-16-le"))
        with pytest.raises(files.SourceError, match="not valid UTF-16-LE at byte 6"):
            files.prepare(path, "s.txt", LIMITS)

    def test_nul_bytes_without_a_mark_are_still_binary(self, tmp_path):
        path = tmp_path / "s.csv"
        path.write_bytes(b"\x00\x01\x02garbage")
        with pytest.raises(files.SourceError, match="binary content"):
            files.prepare(path, "s.csv", LIMITS)


class TestXlsxNumbersByDecimal:
    def test_number_cells_are_written_with_the_files_decimal(self, tmp_path):
        row = ('<row r="1"><c r="A1" t="inlineStr"><is><t>1.234,50</t></is></c><c r="B1"><v>12.5</v></c>'
               '<c r="C1"><v>2500</v></c></row>')
        path = sheets.write(tmp_path / "s.xlsx", [row])
        assert files.read(path, "xlsx", LIMITS, n_rows=1, decimal=",").row(0) == ("1.234,50", "12,5", "2500")
        assert files.parse_costs(pl.Series(files.read(path, "xlsx", LIMITS, n_rows=1, decimal=",").row(0)), ",").to_list() \
            == [123450, 1250, 250000]


class TestXlsxHostileXml:
    def test_an_entity_expansion_bomb_is_a_400(self, tmp_path):
        entities = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(
            f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
        path = tmp_path / "s.xlsx"
        sheets.write(path, ['<row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row>'])
        with zipfile.ZipFile(path) as z:  # the same workbook with a DTD in front of its sheet
            parts = {n: z.read(n) for n in z.namelist()}
        parts["xl/worksheets/data.xml"] = parts["xl/worksheets/data.xml"].replace(
            b"?>", f"?><!DOCTYPE worksheet [{entities}]>".encode(), 1)
        with zipfile.ZipFile(path, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)
        started = time.perf_counter()
        with pytest.raises(files.SourceError, match="malformed XML"):
            files.read(path, "xlsx", LIMITS, n_rows=5)
        assert time.perf_counter() - started < 1
