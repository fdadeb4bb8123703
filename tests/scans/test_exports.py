"""CSV, XLSX and JSON exports of scan results, read back the way a seller's tools would."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tempfile
import zipfile
from pathlib import Path

import fastexcel
import orjson
import polars as pl
import pytest

from sellerkit.domain.results import ERROR_FIELDS, product_object
from sellerkit.errors import Invalid
from sellerkit.scans import xlsx
from sellerkit.scans.exports import (
    ExportCancelled,
    product_objects,
    write_csv,
    write_json,
    write_xlsx,
)

NOTE = " [truncated: longer than a spreadsheet cell holds]"


def results() -> pl.DataFrame:
    """Three result rows over columns of every kind, with nulls, in schema order."""
    return pl.DataFrame({
        "id": [1, 2, 3],
        "asin": ["B000000001", "=HYPERLINK(\"http://x\")", None],
        "amazon_title": ["+1 Dog Treats", "Towels @home", "-20% Lamp"],
        "buybox_price": [2499, 1000, None],
        "is_hazmat": [True, False, None],
        "inputs.supplier_sku": ["@sku", "\tTAB", "\rCR"],
        "inputs.custom_columns": [["red", "=1+1"], ["blue"], None],
        "financials.profit": [-150, 0, 731],
        "financials.roi": [-1250, 3000, None],
        "dimensions.item_dimensions.weight": [1.25, None, 0.5],
        "identifiers.upc": [["012345678905", "-1"], [], None],
        "historical.bsr.d30": [1200, None, 3],
    }, schema_overrides={"buybox_price": pl.Int64, "financials.roi": pl.Int64})


def read_csv(data: bytes) -> pl.DataFrame:
    return pl.read_csv(data, infer_schema_length=None)


class TestWriteCsv:
    def test_header_is_the_dotted_column_names_with_custom_columns_named(self):
        out = io.BytesIO()
        write_csv(results(), out, custom_names=["Colour", "Formula"])
        assert read_csv(out.getvalue()).columns == [
            "id", "asin", "amazon_title", "buybox_price", "is_hazmat", "inputs.supplier_sku",
            "Colour", "Formula", "financials.profit", "financials.roi",
            "dimensions.item_dimensions.weight", "identifiers.upc", "historical.bsr.d30"]

    def test_numbers_round_trip_and_money_stays_cents(self):
        out = io.BytesIO()
        write_csv(results(), out)
        back = read_csv(out.getvalue())
        assert back["buybox_price"].to_list() == [2499, 1000, None]
        assert back["financials.profit"].to_list() == [-150, 0, 731]
        assert back["financials.roi"].to_list() == [-1250, 3000, None]
        assert back["dimensions.item_dimensions.weight"].to_list() == [1.25, None, 0.5]

    def test_negative_numbers_are_never_quoted(self):
        out = io.BytesIO()
        write_csv(results().select("id", "financials.profit"), out)
        assert out.getvalue().decode().splitlines()[1] == "1,-150"

    def test_booleans_are_true_and_false(self):
        out = io.BytesIO()
        write_csv(results().select("is_hazmat"), out)
        assert out.getvalue().decode().splitlines() == ["is_hazmat", "true", "false", ""]

    def test_lists_are_joined_with_a_bar(self):
        out = io.BytesIO()
        write_csv(results().select("identifiers.upc"), out)
        assert read_csv(out.getvalue())["identifiers.upc"].to_list() == ["012345678905|-1", "", None]

    def test_formula_like_text_is_prefixed_with_a_quote(self):
        out = io.BytesIO()
        write_csv(results(), out)
        back = read_csv(out.getvalue())
        assert back["asin"].to_list() == ["B000000001", "'=HYPERLINK(\"http://x\")", None]
        assert back["amazon_title"].to_list() == ["'+1 Dog Treats", "Towels @home", "'-20% Lamp"]
        assert back["inputs.supplier_sku"].to_list() == ["'@sku", "'\tTAB", "'\rCR"]

    def test_custom_columns_become_one_column_each(self):
        out = io.BytesIO()
        write_csv(results().select("inputs.custom_columns"), out, custom_names=["Colour"])
        back = read_csv(out.getvalue())
        assert back.to_dict(as_series=False) == {"Colour": ["red", "blue", None],
                                                 "custom_2": ["'=1+1", None, None]}

    def test_custom_columns_without_names_are_numbered(self):
        out = io.BytesIO()
        write_csv(results().select("inputs.custom_columns"), out)
        assert read_csv(out.getvalue()).columns == ["custom_1", "custom_2"]

    def test_named_custom_columns_are_kept_when_no_row_has_values(self):
        out = io.BytesIO()
        empty = pl.DataFrame({"inputs.custom_columns": [None, []]}, schema={"inputs.custom_columns": pl.List(pl.String)})
        write_csv(empty, out, custom_names=["Colour", "Size"])
        assert out.getvalue().decode().splitlines()[0] == "Colour,Size"

    def test_internal_columns_are_left_out(self):
        out = io.BytesIO()
        write_csv(results().select("id", pl.lit(7).alias("_rank")), out)
        assert read_csv(out.getvalue()).columns == ["id"]

    def test_writes_to_a_path(self, tmp_path: Path):
        path = tmp_path / "scan.csv"
        assert write_csv(results(), path) == 3
        assert pl.read_csv(path).height == 3

    def test_no_rows_is_a_header_alone(self):
        out = io.BytesIO()
        write_csv(results().head(0).select("id", "asin"), out)
        assert out.getvalue() == b"id,asin\n"

    def test_exports_the_errors_table(self):
        errors = pl.DataFrame({"id": [1], "line": [7], "identifier": ["=0123"], "cost": ["abc"],
                               "reason": ["not a UPC"]})
        assert list(errors.columns) == list(ERROR_FIELDS)
        out = io.BytesIO()
        write_csv(errors, out)
        assert out.getvalue().decode().splitlines() == ["id,line,identifier,cost,reason",
                                                        "1,7,'=0123,abc,not a UPC"]

    def test_reports_progress_per_chunk(self):
        seen = []
        write_csv(results(), io.BytesIO(), chunk_rows=2, progress=lambda d, t: seen.append((d, t)))
        assert seen == [(0, 3), (2, 3), (3, 3)]

    def test_chunks_make_the_same_file_as_one_write(self):
        one, many = io.BytesIO(), io.BytesIO()
        write_csv(results(), one)
        write_csv(results(), many, chunk_rows=1)
        assert one.getvalue() == many.getvalue()


class TestWriteXlsx:
    def read(self, path: Path, sheet: str | int = 0) -> pl.DataFrame:
        return pl.read_excel(path, engine="calamine", sheet_id=sheet + 1 if isinstance(sheet, int) else None,
                             sheet_name=sheet if isinstance(sheet, str) else None)

    def test_has_the_csv_columns(self, tmp_path: Path):
        path, out = tmp_path / "scan.xlsx", io.BytesIO()
        write_xlsx(results(), path, custom_names=["Colour"])
        write_csv(results(), out, custom_names=["Colour"])
        assert self.read(path).columns == read_csv(out.getvalue()).columns

    def test_numbers_are_numbers_and_money_stays_cents(self, tmp_path: Path):
        path = tmp_path / "scan.xlsx"
        write_xlsx(results(), path)
        back = self.read(path)
        assert back["financials.profit"].dtype.is_numeric()
        assert back["financials.profit"].to_list() == [-150, 0, 731]
        assert back["buybox_price"].to_list() == [2499, 1000, None]
        assert back["is_hazmat"].to_list() == [True, False, None]

    def test_formula_like_text_is_prefixed_with_a_quote(self, tmp_path: Path):
        path = tmp_path / "scan.xlsx"
        write_xlsx(results(), path, custom_names=["Colour", "Formula"])
        back = self.read(path)
        assert back["asin"].to_list() == ["B000000001", "'=HYPERLINK(\"http://x\")", None]
        assert back["amazon_title"].to_list() == ["'+1 Dog Treats", "Towels @home", "'-20% Lamp"]
        assert back["Formula"].to_list() == ["'=1+1", None, None]

    def test_text_is_never_stored_as_a_formula(self, tmp_path: Path):
        path = tmp_path / "scan.xlsx"
        write_xlsx(results(), path)
        with zipfile.ZipFile(path) as z:
            assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()

    def test_header_is_bold_and_frozen(self, tmp_path: Path):
        path = tmp_path / "scan.xlsx"
        write_xlsx(results(), path)
        with zipfile.ZipFile(path) as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
            styles = z.read("xl/styles.xml").decode()
        assert 'ySplit="1"' in sheet and 'state="frozen"' in sheet
        assert '<c r="A1" s="1" t="inlineStr">' in sheet and "<b/>" in styles

    def test_text_longer_than_a_cell_is_cut_with_a_note(self, tmp_path: Path):
        path = tmp_path / "scan.xlsx"
        write_xlsx(pl.DataFrame({"amazon_title": ["x" * 40_000, "short"]}), path)
        back = self.read(path)["amazon_title"].to_list()
        assert len(back[0]) == 32_767 and back[0].endswith(NOTE)
        assert back[1] == "short"

    def test_rows_past_a_sheet_continue_on_the_next(self, tmp_path: Path):
        path = tmp_path / "scan.xlsx"
        write_xlsx(results(), path, sheet_name="Scan: spring/clearance", rows_per_sheet=2)
        reader = fastexcel.read_excel(path)
        assert reader.sheet_names == ["Scan_ spring_clearance", "Scan_ spring_clearance (2)"]
        assert [self.read(path, name)["id"].to_list() for name in reader.sheet_names] == [[1, 2], [3]]

    def test_text_xml_cannot_hold_comes_back_as_it_was(self, tmp_path: Path):
        texts = ["a\x01b\x1fc", "_x0041_ stays text", "<b>&amp;</b> \"'", "  leading and trailing  ",
                 "tab\there\nnew line", "é ✓ 日本"]
        write_xlsx(pl.DataFrame({"amazon_title": texts}), tmp_path / "scan.xlsx")
        assert self.read(tmp_path / "scan.xlsx")["amazon_title"].to_list() == texts

    def test_headers_and_sheet_names_xml_cannot_hold_still_make_a_workbook(self, tmp_path: Path):
        frame = pl.DataFrame({"id": [1]})
        write_xlsx(frame, tmp_path / "scan.xlsx", custom_names=[], sheet_name="Spring\x07 <list>")
        write_xlsx(pl.DataFrame({"a\x01b <&> _x0041_": [1]}), tmp_path / "odd.xlsx")
        assert fastexcel.read_excel(tmp_path / "scan.xlsx").sheet_names == ["Spring <list>"]
        assert self.read(tmp_path / "odd.xlsx").columns == ["a\x01b <&> _x0041_"]

    def test_empty_text_and_numbers_that_are_not_finite_are_empty_cells(self, tmp_path: Path):
        frame = pl.DataFrame({"id": [1, 2], "amazon_title": ["", "x"], "score": [float("inf"), 1.5]})
        write_xlsx(frame, tmp_path / "scan.xlsx")
        assert self.read(tmp_path / "scan.xlsx").to_dicts() == [{"id": 1, "amazon_title": None, "score": None},
                                                              {"id": 2, "amazon_title": "x", "score": 1.5}]

    @pytest.mark.parametrize(("rows", "sheets"), [(0, 1), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
    def test_sheets_hold_their_rows_exactly(self, tmp_path: Path, rows: int, sheets: int):
        write_xlsx(pl.DataFrame({"id": list(range(rows))}), tmp_path / "scan.xlsx", rows_per_sheet=2, chunk_rows=3)
        reader = fastexcel.read_excel(tmp_path / "scan.xlsx")
        assert len(reader.sheet_names) == sheets
        ids = [v for name in reader.sheet_names for v in self.read(tmp_path / "scan.xlsx", name)["id"].to_list()]
        assert ids == list(range(rows))

    def test_a_sheet_is_a_zip64_entry_only_when_it_may_need_to_be(self, tmp_path: Path, monkeypatch):
        write_xlsx(results(), tmp_path / "small.xlsx")
        monkeypatch.setattr(xlsx, "ZIP64_FROM", 1)
        write_xlsx(results(), tmp_path / "large.xlsx")
        for name, zip64 in (("small.xlsx", False), ("large.xlsx", True)):
            with zipfile.ZipFile(tmp_path / name) as z:
                at = z.getinfo("xl/worksheets/sheet1.xml").header_offset
            with open(tmp_path / name, "rb") as fh:  # the entry's local header, where a forced ZIP64 shows
                fh.seek(at)
                head = fh.read(30)
                name_length, extra_length = struct.unpack("<HH", head[26:30])
                fh.seek(name_length, 1)
                extra = fh.read(extra_length)
            assert (extra[:2] == b"\x01\x00") is zip64  # the header id of ZIP64's extra field
            assert self.read(tmp_path / name)["id"].to_list() == [1, 2, 3]

    def test_libreoffice_reads_the_cells(self, tmp_path: Path):
        soffice = shutil.which("soffice")
        if soffice is None:
            pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
        write_xlsx(results(), tmp_path / "scan.xlsx", custom_names=["Colour"])
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                        "--convert-to", "csv", "--outdir", str(tmp_path), str(tmp_path / "scan.xlsx")],
                       check=True, capture_output=True, timeout=120)
        back = pl.read_csv(tmp_path / "scan.csv", infer_schema=False)
        assert back.columns == self.read(tmp_path / "scan.xlsx").columns
        assert back["financials.profit"].to_list() == ["-150", "0", "731"]
        assert back["amazon_title"].to_list() == ["'+1 Dog Treats", "Towels @home", "'-20% Lamp"]

    def test_refuses_more_columns_than_excel_holds(self, tmp_path: Path):
        wide = pl.DataFrame({f"c{i}": [1] for i in range(16_385)})
        with pytest.raises(Invalid, match="at most 16,384 columns"):
            write_xlsx(wide, tmp_path / "scan.xlsx")
        assert list(tmp_path.iterdir()) == []

    def test_reports_progress_every_chunk(self, tmp_path: Path):
        seen = []
        write_xlsx(results(), tmp_path / "scan.xlsx", chunk_rows=2, progress=lambda d, t: seen.append((d, t)))
        assert seen == [(0, 3), (2, 3), (3, 3)]

    def test_cancel_raises_and_leaves_no_file_behind(self, tmp_path: Path, monkeypatch):
        (out := tmp_path / "out").mkdir()
        (system_tmp := tmp_path / "tmp").mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
        asked = []
        with pytest.raises(ExportCancelled, match="after 2 of 3 rows"):
            write_xlsx(results(), out / "scan.xlsx", chunk_rows=2,
                       should_stop=lambda: asked.append(1) or len(asked) > 1)
        # neither the workbook nor XlsxWriter's temporary row files
        assert list(out.iterdir()) == [] and list(system_tmp.iterdir()) == []

    def test_cancel_checked_before_any_row(self, tmp_path: Path):
        with pytest.raises(ExportCancelled, match="after 0 of 3 rows"):
            write_xlsx(results(), tmp_path / "scan.xlsx", should_stop=lambda: True)


class TestWriteJson:
    def test_is_an_array_of_product_objects(self):
        out = io.BytesIO()
        write_json(results(), out, chunk_rows=2)
        expected = [product_object(row, historical=True) for row in results().iter_rows(named=True)]
        assert orjson.loads(out.getvalue()) == expected

    def test_objects_nest_the_dotted_names(self):
        out = io.BytesIO()
        write_json(results().head(1).select("asin", "financials.profit", "inputs.custom_columns"), out)
        assert orjson.loads(out.getvalue()) == [
            {"asin": "B000000001", "financials": {"profit": -150}, "inputs": {"custom_columns": ["red", "=1+1"]}}]

    def test_historical_only_when_asked_or_present(self):
        out = io.BytesIO()
        write_json(results(), out, historical=False)
        assert all("historical" not in obj for obj in orjson.loads(out.getvalue()))
        assert "historical" not in product_objects(results().drop("historical.bsr.d30"))[0]

    def test_no_rows_is_an_empty_array(self):
        out = io.BytesIO()
        write_json(results().head(0), out)
        assert out.getvalue() == b"[]"

    def test_nan_is_null(self):
        out = io.BytesIO()
        write_json(pl.DataFrame({"dimensions.item_dimensions.weight": [float("nan")]}), out)
        assert orjson.loads(out.getvalue()) == [{"dimensions": {"item_dimensions": {"weight": None}}}]

    def test_writes_to_a_path_and_removes_it_when_cancelled(self, tmp_path: Path):
        path = tmp_path / "scan.json"
        assert write_json(results(), path) == 3
        assert len(orjson.loads(path.read_bytes())) == 3
        with pytest.raises(ExportCancelled):
            write_json(results(), path, chunk_rows=1, should_stop=lambda: True)
        assert not path.exists()


class TestProductObjects:
    def test_a_page_is_a_list_of_product_objects(self):
        page = product_objects(results().slice(1, 2))
        assert [obj["id"] for obj in page] == [2, 3]
        assert page[0]["historical"] == {"bsr": {"d30": None}}
