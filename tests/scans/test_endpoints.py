"""RocketSource scans end to end: upload, background run on the real queue, results, errors."""

from __future__ import annotations

import json
import time

import orjson
import pytest

from tests.catalog.factories import product
from tests.conftest import import_records, make_client

UPC_A, UPC_B, UPC_MULTI = "036000291452", "012345678905", "042100005264"
DIMS = {"length": 10, "width": 8, "height": 3, "weight": 1.2}
CATALOG = [
    product("B000000001", category="Toys & Games", brand="Acme", buybox_price=2499, package_dimensions=DIMS,
            identifiers={"upc": [UPC_A]}, monthly_sold=300, rank=1200, new_fba_offers_count=3),
    product("B000000002", category="Toys & Games", brand="Bolt", buybox_price=999, package_dimensions=DIMS,
            identifiers={"upc": [UPC_B]}, is_hazmat=False),
    product("B000000003", category="Grocery & Gourmet Food", brand="Crate", buybox_price=1599, amazon_pack_quantity=1,
            package_dimensions=DIMS, identifiers={"upc": [UPC_MULTI]}),
    product("B000000004", category="Grocery & Gourmet Food", brand="Crate", buybox_price=4299, amazon_pack_quantity=3,
            package_dimensions=DIMS, identifiers={"upc": [UPC_MULTI]}),
]


@pytest.fixture
def app_client(db, worker_settings):
    with make_client(db, worker_settings) as c:
        yield c


@pytest.fixture
def key(db, new_key):
    import_records(db, CATALOG)
    return {"Authorization": f"Bearer {new_key().key}"}


def upload(client, key, text: str | bytes, name: str = "supplier.csv", **options):
    attributes = {"mapping": {"id": 0, "cost": 1, "supplier_sku": 2},
                  "options": {"marketplace_id": "US", "name": "Test scan", **options}}
    return client.post("/api/v3/scans", headers=key, files={"file": (name, text.encode() if isinstance(text, str) else text, "text/csv")},
                       data={"attributes": orjson.dumps(attributes).decode()})


def wait(client, key, scan_id: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v3/scans/{scan_id}", headers=key).json()
        if body["status"] != "InProgress":
            return body
        time.sleep(0.05)
    raise AssertionError(f"scan {scan_id} still running after {timeout} s: {body}")


FILE = "\n".join([
    "UPC,Cost,SKU",
    f"{UPC_A},$8.00,A-1",
    f"{UPC_B.lstrip('0')},3.50,B-1",  # leading zero lost in a spreadsheet
    f"{UPC_MULTI},4.00,M-1",  # one code, two ASINs (single and 3-pack)
    "12345,2.00,BAD",
    f"{UPC_A},,NOCOST",
    "B000000001,9.00,BYASIN",
    "B0NOTHERE1,1.00,MISSING",
]) + "\n"


class TestScanRun:
    def test_upload_answers_at_once_and_the_scan_completes(self, app_client, key):
        r = upload(app_client, key, FILE)
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "InProgress" and r.json()["name"] == "Test scan"
        done = wait(app_client, key, r.json()["id"])
        assert done["status"] == "Success", done
        assert (done["lines"], done["products"], done["errors"]) == (7, 5, 3)

    def test_results_carry_inputs_financials_and_fees(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={"sort": "-profit", "per_page": 10})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["count"] == 5
        rows = {(p["asin"], p["inputs"]["supplier_sku"]): p for p in body["data"]}
        toy = rows[("B000000001", "A-1")]
        assert toy["inputs"]["cost"] == 800 and toy["inputs"]["line"] == 2
        assert toy["buybox_price"] == 2499 and toy["size_tier"] == "Large Standard"
        assert toy["financials"]["profit"] == 2499 - toy["amazon_fees"]["total"] - 800 - toy["financials"]["fba_storage_fees"]
        assert {("B000000003", "M-1"), ("B000000004", "M-1")} <= set(rows)
        assert toy["inbound_eligibility"]["eligible"] is True and toy["inbound_eligibility"]["updated_at"] > 0
        assert toy["identifiers"]["upc"] == [UPC_A] and toy["units_per_month"] == 300
        profits = [p["financials"]["profit"] for p in body["data"]]
        assert profits == sorted(profits, reverse=True)

    def test_a_catalog_write_shows_on_the_next_page(self, app_client, key, db):
        """The page keeps its products' catalog fields and its rows' order between requests: a
        catalog write is seen by the next page all the same."""
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)

        def models() -> dict:
            body = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={"sort": "-profit"}).json()
            return {p["asin"]: p.get("model_number") for p in body["data"]}

        assert models()["B000000001"] is None and models()["B000000001"] is None
        import_records(db, [{**CATALOG[0], "model_number": "AC-2"}])
        assert models()["B000000001"] == "AC-2"

    def test_pages_asked_again_and_paged_on_are_slices_of_one_order(self, app_client, key):
        """The rows a filter and sort chose are kept between requests (the first page's, then
        the first thousand): pages read again, or paged on, are those of one order all the same."""
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)

        def page(**body) -> bytes:
            r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                                json={"sort": "-roi", "filter": [{"name": "cost", "operator": ">", "value": 1}], **body})
            assert r.status_code == 200, r.text
            return r.content

        whole = [p["id"] for p in orjson.loads(page(per_page=10))["data"]]
        for per_page in (1, 2):
            pages = [page(page=n, per_page=per_page) for n in (1, 2, 3, 1, 2, 3)]
            assert pages[:3] == pages[3:]
            ids = [p["id"] for body in pages[:3] for p in orjson.loads(body)["data"]]
            assert ids == whole[:3 * per_page]

    def test_errors_table_names_line_value_and_reason(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={"tableType": "errors"})
        errors = {e["line"]: e for e in r.json()["data"]}
        assert set(errors) == {5, 6, 8}
        assert errors[5]["identifier"] == "12345" and errors[5]["reason"].startswith("identifier:")
        assert errors[6]["reason"] == "cost: missing"
        assert "no product" in errors[8]["reason"]

    def test_filters_use_dollars_and_decimals(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        body = {"filters": [{"name": "roi", "operator": ">", "value": 0.5},
                            {"name": "financials.profit", "operator": ">=", "value": 1}],
                "pagination": {"page": 1, "per_page": 50}}
        rows = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json=body).json()["data"]
        assert rows and all(p["financials"]["roi"] > 5000 and p["financials"]["profit"] >= 100 for p in rows)

    def test_unknown_filter_field_is_a_400_naming_it(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                            json={"filter": [{"name": "profitt", "operator": ">", "value": 1}]})
        assert r.status_code == 400 and "profitt" in r.json()["message"]


class TestUploadValidation:
    def test_mapping_column_out_of_range_is_a_400(self, client, key):
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", b"036000291452,1\n", "text/csv")},
                        data={"attributes": orjson.dumps({"mapping": {"id": 0, "cost": 5}}).decode()})
        assert r.status_code == 400 and "mapping.cost: column 5 is out of range" in r.json()["message"]

    def test_empty_file_is_a_400(self, client, key):
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", b"", "text/csv")},
                        data={"attributes": orjson.dumps({"mapping": {"id": 0, "cost": 1}}).decode()})
        assert r.status_code == 400 and "empty" in r.json()["message"]

    def test_another_accounts_scan_is_a_404(self, app_client, key, new_key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        other = {"X-Api-Key": new_key("other", account="other").key}
        assert app_client.get(f"/api/v3/scans/{scan_id}", headers=other).status_code == 404


class TestScanLifecycle:
    def test_xlsx_upload_scans_like_csv(self, app_client, key, tmp_path):
        import xlsxwriter

        path = tmp_path / "s.xlsx"
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet()
        for i, row in enumerate(line.split(",") for line in FILE.strip().splitlines()):
            sheet.write_row(i, 0, row)
        book.close()
        r = upload(app_client, key, path.read_bytes(), name="s.xlsx")
        assert r.status_code == 201, r.text
        done = wait(app_client, key, r.json()["id"])
        assert (done["status"], done["products"], done["errors"]) == ("Success", 5, 3)

    def test_client_form_marketplace_and_options_with_mapping_inside(self, app_client, key):
        options = {"name": "client form", "mapping": {"id": 0, "cost": 1}, "header": True}
        r = app_client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", FILE.encode(), "text/csv")},
                            data={"marketplace": "US", "options": orjson.dumps(options).decode()})
        assert r.status_code == 201, r.text
        assert wait(app_client, key, r.json()["id"])["products"] == 5

    def test_list_shows_newest_first(self, app_client, key):
        ids = [upload(app_client, key, FILE).json()["id"] for _ in range(2)]
        listed = app_client.get("/api/v3/scans?page=1&perPage=10", headers=key).json()
        assert [s["id"] for s in listed["data"]][:2] == ids[::-1]

    def test_rerun_and_fees_recalculate_keep_the_counts(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        first = wait(app_client, key, scan_id)
        assert app_client.post(f"/api/v3/scans/{scan_id}/fees-recalculate", headers=key).status_code == 202
        again = wait(app_client, key, scan_id)
        assert (again["status"], again["products"], again["errors"]) == ("Success", first["products"], first["errors"])
        assert app_client.post(f"/api/v3/scans/{scan_id}/rerun", headers=key).status_code == 202
        rerun = wait(app_client, key, scan_id)
        assert (rerun["status"], rerun["products"], rerun["errors"]) == ("Success", 5, 3)
        count = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={}).json()["count"]
        assert count == 5

    def test_delete_removes_the_scan(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        assert app_client.delete(f"/api/v3/scans/{scan_id}", headers=key).status_code == 200
        assert app_client.get(f"/api/v3/scans/{scan_id}", headers=key).status_code == 404

    def test_blocked_brand_is_flagged(self, app_client, key):
        assert app_client.put("/api/v3/brand-blocklist", headers=key, json={"brands": ["ACME"]}).json() == \
            {"brands": ["acme"]}
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        rows = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                               json={"filter": [{"name": "is_brand_blocklisted", "operator": "=", "value": True}]})
        assert {p["asin"] for p in rows.json()["data"]} == {"B000000001"}
        assert all("brand_blocklisted" in p["flags"] for p in rows.json()["data"])

    def test_upload_over_the_limit_is_a_413(self, db, tmp_path, key):
        from sellerkit.config import Settings

        with make_client(db, Settings(data_dir=tmp_path, demo=False, embedded_worker=False, upload_limit_mb=1)) as c:
            r = c.post("/api/v3/scans", headers=key, files={"file": ("s.csv", b"0" * 2_500_000, "text/csv")},
                       data={"attributes": orjson.dumps({"mapping": {"id": 0, "cost": 1}}).decode()})
        assert r.status_code == 413 and "upload limit" in r.json()["message"]


class TestDownloads:
    def _done(self, client, key):
        scan_id = upload(client, key, FILE).json()["id"]
        wait(client, key, scan_id)
        return scan_id

    def test_csv_download_has_every_result(self, app_client, key):
        import io

        import polars as pl

        scan_id = self._done(app_client, key)
        r = app_client.post(f"/api/v3/scans/{scan_id}/download?type=csv", headers=key)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        frame = pl.read_csv(io.BytesIO(r.content), infer_schema=False)
        assert frame.height == 5 and "financials.profit" in frame.columns

    def test_json_download_with_a_filter_and_a_page(self, app_client, key):
        scan_id = self._done(app_client, key)
        body = {"filter": [{"name": "asin", "operator": "=", "value": "B000000001"}], "sort": "-profit",
                "page": 1, "per_page": 1}
        r = app_client.post(f"/api/v3/scans/{scan_id}/download?type=json", headers=key, json=body)
        assert r.status_code == 200, r.text
        assert [p["asin"] for p in r.json()] == ["B000000001"]

    def test_errors_table_downloads_as_csv(self, app_client, key):
        scan_id = self._done(app_client, key)
        r = app_client.post(f"/api/v3/scans/{scan_id}/csv?table_type=errors", headers=key)
        assert r.status_code == 200 and r.text.splitlines()[0].startswith("id,line")

    def test_xlsx_as_a_background_job_with_progress(self, app_client, key):
        scan_id = self._done(app_client, key)
        r = app_client.post(f"/api/v3/scans/{scan_id}/xlsx?background=true", headers=key)
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 20
        while job["status"] == "InProgress" and time.monotonic() < deadline:
            time.sleep(0.05)
            job = app_client.get(f"/api/v3/exports/{job['id']}", headers=key).json()
        assert job["status"] == "Success" and job["progress"] == 100.0
        f = app_client.get(job["url"], headers=key)
        assert f.status_code == 200 and f.content[:2] == b"PK"

    def test_gsheet_without_configuration_says_so(self, app_client, key):
        scan_id = self._done(app_client, key)
        r = app_client.post(f"/api/v3/scans/{scan_id}/export", headers=key)
        assert r.status_code == 400 and r.json()["message"] == "Google Sheets integration is not set up"


class TestScanOptions:
    def test_custom_columns_and_names_travel_to_results_and_csv(self, app_client, key):
        attributes = {"mapping": {"id": 0, "cost": 1, "custom_columns": [2]},
                      "options": {"marketplace_id": "US", "custom_columns": ["Supplier SKU"], "header": True}}
        r = app_client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", FILE.encode(), "text/csv")},
                            data={"attributes": orjson.dumps(attributes).decode()})
        scan_id = r.json()["id"]
        wait(app_client, key, scan_id)
        rows = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={"sort": "line"}).json()["data"]
        assert rows[0]["inputs"]["custom_columns"] == ["A-1"]
        csv = app_client.post(f"/api/v3/scans/{scan_id}/csv", headers=key).text
        assert "Supplier SKU" in csv.splitlines()[0]

    def test_historical_statistics_when_asked_for(self, app_client, key, db):
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        import_records(db, [{"type": "observation", "marketplace": "US", "asin": "B000000001",
                             "observed_at": (now - timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "rank": 1000 + 100 * d, "buybox_price": 2500, "amazon_in_stock": d % 2 == 0}
                            for d in range(1, 41)])
        scan_id = upload(app_client, key, FILE, pull_historical_data=True).json()["id"]
        wait(app_client, key, scan_id)
        rows = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={
            "filter": [{"name": "asin", "operator": "=", "value": "B000000001"}]}).json()["data"]
        hist = rows[0]["historical"]
        assert hist["price"]["d30"] == 2500 and hist["bsr"]["d30"] > 0
        assert hist["sales_rank_drops"]["d30"] > 0 and 0 <= hist["amazon_in_stock_rate"]["d60"] <= 10_000
        other = [p for p in app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={}).json()["data"]
                 if p["asin"] == "B000000002"][0]
        assert other["historical"]["bsr"]["d30"] == -1  # no observations: unknown

    def test_history_is_absent_unless_asked_for(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        row = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={}).json()["data"][0]
        assert "historical" not in row

    def test_a_marketplace_without_a_fee_schedule_still_lists_matches(self, app_client, key, db):
        # DE: no fee schedule (UK has one since 2026-02-01)
        import_records(db, [product("B0DE000001", marketplace="DE", buybox_price=1999, identifiers={"ean": ["5012345678900"]})])
        r = app_client.post("/api/v3/scans", headers=key,
                            files={"file": ("s.csv", b"5012345678900,3.00\n", "text/csv")},
                            data={"attributes": orjson.dumps({"mapping": {"id": 0, "cost": 1},
                                                              "options": {"marketplace_id": "DE"}}).decode()})
        done = wait(app_client, key, r.json()["id"])
        assert (done["status"], done["products"]) == ("Success", 1)
        row = app_client.post(f"/api/v3/scans/{done['id']}", headers=key, json={}).json()["data"][0]
        assert "no fee schedule" in row["amazon_fees"]["error"] and "profit" not in row["financials"]  # no value: left out

    def test_binary_file_is_a_400(self, client, key):
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", b"\x00\x01\x02garbage", "text/csv")},
                        data={"attributes": orjson.dumps({"mapping": {"id": 0, "cost": 1}}).decode()})
        assert r.status_code == 400 and "not a spreadsheet" in r.json()["message"]

    def test_bad_attributes_json_names_the_field(self, client, key):
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", FILE.encode(), "text/csv")},
                        data={"attributes": orjson.dumps({"mapping": {"id": 0}}).decode()})
        assert r.status_code == 400 and "attributes.mapping.cost" in r.json()["message"]


class TestSupplierFileLimits:
    """Issue 15 item 6: what a file unpacks to is bounded, and Excel's Unicode text is read."""

    def test_a_zip_bomb_workbook_is_a_413_naming_the_limit(self, client, key, settings, tmp_path):
        from tests.scans import sheets

        settings.xlsx_max_xml_mb = 5
        row = '<row><c t="inlineStr"><is><t>036000291452</t></is></c><c><v>1.00</v></c></row>'
        path = sheets.write(tmp_path / "bomb.xlsx", [row * 1000] * 300)  # 23 MB of XML in 100 kB
        r = upload(client, key, path.read_bytes(), name="bomb.xlsx")
        assert r.status_code == 413, r.text
        assert "over the limit of 5 MB (SELLERKIT_XLSX_MAX_XML_MB)" in r.json()["message"]

    def test_a_workbook_declaring_more_rows_than_the_limit_is_a_413(self, client, key, settings, tmp_path):
        from tests.scans import sheets

        settings.scan_max_rows = 100
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, [UPC_A, "1.00"]) for i in range(1, 5)),
                            dimension="A1:B3000000")
        r = upload(client, key, path.read_bytes(), name="s.xlsx")
        assert r.status_code == 413, r.text
        assert "3,000,000 rows, over the limit of 100 rows a file (SELLERKIT_SCAN_MAX_ROWS)" in r.json()["message"]

    def test_a_workbook_whose_first_rows_pass_the_limit_is_a_413(self, client, key, settings, tmp_path):
        from tests.scans import sheets

        settings.scan_max_rows = 100
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, [UPC_A, "1.00"]) for i in range(1, 201)))
        r = upload(client, key, path.read_bytes(), name="s.xlsx")
        assert r.status_code == 413, r.text
        assert "more than 100 rows" in r.json()["message"]

    def test_a_workbook_with_more_rows_than_it_declares_ends_in_error(self, app_client, key, worker_settings,
                                                                      tmp_path):
        from tests.scans import sheets

        # the upload's sample reads the first MB of XML (about 9,000 rows): the limit is past it
        worker_settings.scan_max_rows, worker_settings.scan_chunk_rows = 20_000, 100_000
        path = sheets.write(tmp_path / "s.xlsx", (sheets.row_xml(i, [UPC_A, "1.00", "S"]) for i in range(1, 30_001)),
                            dimension="A1:B2")
        r = upload(app_client, key, path.read_bytes(), name="s.xlsx")
        assert r.status_code == 201, r.text
        done = wait(app_client, key, r.json()["id"])
        assert done["status"] == "Error" and "more than 20,000 rows" in done["message"], done

    def test_a_csv_with_more_rows_than_the_limit_is_a_413(self, client, key, settings):
        settings.scan_max_rows = 100
        r = upload(client, key, "".join(f"{UPC_A},1.00,S{i}\n" for i in range(101)))
        assert r.status_code == 413, r.text
        assert r.json()["message"] == ("file: supplier.csv has 101 rows, over the limit of 100 rows a file "
                                       "(SELLERKIT_SCAN_MAX_ROWS)")

    @pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
    def test_excel_unicode_text_scans_like_csv(self, app_client, key, encoding, bom):
        text = FILE.replace(",", "\t").replace("\n", "\r\n")
        r = upload(app_client, key, bom + text.encode(encoding), name="supplier.txt")
        assert r.status_code == 201, r.text
        done = wait(app_client, key, r.json()["id"])
        assert (done["status"], done["lines"], done["products"], done["errors"]) == ("Success", 7, 5, 3), done
        rows = app_client.post(f"/api/v3/scans/{done['id']}", headers=key, json={"sort": "id"}).json()["data"]
        assert rows[0]["inputs"]["supplier_sku"] == "A-1" and rows[0]["inputs"]["cost"] == 800


class TestDecimalOption:
    """Issue 15 item 7: a scan reads numbers by its decimal option, defaulting from the marketplace."""

    DE_FILE = "EAN;Preis\n5012345678900;1.234,50\n5012345678900;2.500\n"

    def _scan(self, client, key, db, text, **options):
        import_records(db, [product("B0DE000001", marketplace="DE", buybox_price=199999,
                                    identifiers={"ean": ["5012345678900"]})])
        attributes = {"mapping": {"id": 0, "cost": 1}, "options": {"marketplace_id": "DE", **options}}
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", text.encode(), "text/csv")},
                        data={"attributes": orjson.dumps(attributes).decode()})
        assert r.status_code == 201, r.text
        return wait(client, key, r.json()["id"])

    def test_a_de_scan_reads_decimal_commas_and_thousands(self, app_client, key, db):
        done = self._scan(app_client, key, db, self.DE_FILE)
        assert (done["status"], done["products"], done["errors"]) == ("Success", 2, 0), done
        rows = app_client.post(f"/api/v3/scans/{done['id']}", headers=key, json={"sort": "id"}).json()["data"]
        assert [r["inputs"]["cost"] for r in rows] == [123450, 250000]
        assert done["options"]["decimal"] == ","

    def test_the_decimal_option_overrides_the_marketplace_and_ambiguity_is_an_error(self, app_client, key, db):
        done = self._scan(app_client, key, db, "EAN,Price\n5012345678900,\"1,234\"\n5012345678900,2.50\n",
                          decimal=".")
        assert (done["status"], done["products"], done["errors"]) == ("Success", 1, 1), done
        errors = app_client.post(f"/api/v3/scans/{done['id']}", headers=key, json={"tableType": "errors"}).json()
        assert errors["data"][0]["reason"].startswith("cost: \"1,234\" is ambiguous with decimal '.'")

    def test_an_unknown_decimal_is_a_400(self, client, key):
        attributes = {"mapping": {"id": 0, "cost": 1}, "options": {"decimal": ";"}}
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", FILE.encode(), "text/csv")},
                        data={"attributes": orjson.dumps(attributes).decode()})
        assert r.status_code == 400 and "attributes.options.decimal" in r.json()["message"]


class TestStrictResultsBodies:
    """Issue 15, item 11: a key the results query does not know is a 400, never silently ignored,
    and errors inside nested JSON name the path the client wrote."""

    @pytest.fixture
    def scan_id(self, app_client, key):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        return scan_id

    def test_misspelled_filter_key_is_a_400_naming_it(self, app_client, key, scan_id):
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                            json={"filterz": [{"name": "roi", "operator": ">", "value": 100}]})
        assert r.status_code == 400 and r.json()["message"] == "filterz: unknown field; did you mean filter?"

    def test_filter_error_names_the_clients_key_and_position(self, app_client, key, scan_id):
        body = {"filters": [{"name": "roi", "operator": ">", "value": 0}, {"name": "brand", "operator": "=",
                            "value": "acme"}, {"name": "financials.profit", "operator": ">", "value": "lots"}]}
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json=body)
        assert r.status_code == 400 and r.json()["message"].startswith('filters[2].value: expected a number of dollars')

    def test_sorting_error_names_sorting_field(self, app_client, key, scan_id):
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                            json={"sorting": {"field": "proft", "direction": "desc"}})
        assert r.status_code == 400 and r.json()["message"].startswith('sorting.field: unknown field "proft"')

    def test_unknown_key_inside_pagination_is_named_with_its_path(self, app_client, key, scan_id):
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={"pagination": {"page": 1, "perpage": 5}})
        assert r.status_code == 400 and r.json()["message"] == "pagination.perpage: unknown field; did you mean per_page?"

    def test_the_official_clients_body_is_accepted(self, app_client, key, scan_id):
        body = {"filters": [{"name": "roi", "operator": ">", "value": 0}], "pagination": {"page": 1, "per_page": 10},
                "sorting": {"field": "profit", "direction": "desc"}, "table_type": "products"}
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json=body, params={"table_type": "products"})
        assert r.status_code == 200 and r.json()["count"] >= 1

    def test_too_many_filters_is_a_400_naming_the_limit(self, app_client, key, scan_id):
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                            json={"filter": [{"name": "roi", "operator": ">", "value": 0}] * 51})
        assert r.status_code == 400 and r.json()["message"].startswith("filter: List should have at most 50 items")

    def test_a_huge_filter_value_is_a_400_naming_the_limit(self, app_client, key, scan_id):
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                            json={"filter": [{"name": "brand", "operator": "contains", "value": "x" * 500_000}]})
        assert r.status_code == 400
        assert r.json()["message"] == "filter[0].value: 500,000 characters; a value has at most 1,000"

    def test_page_past_any_scan_is_a_400(self, app_client, key, scan_id):
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key, json={"page": 10**20})
        assert r.status_code == 400 and r.json()["message"].startswith("page: Input should be less than or equal to")


class TestStrictUploads:
    def test_unknown_option_is_a_400_naming_it(self, client, key):
        r = upload(client, key, FILE, prep_costs=1)
        assert r.status_code == 400
        assert r.json()["message"] == "attributes.options.prep_costs: unknown field; did you mean prep_cost?"

    def test_client_form_names_the_mapping_inside_options(self, client, key):
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", FILE.encode(), "text/csv")},
                        data={"marketplace": "US", "options": orjson.dumps({"mapping": {"id": 0, "costt": 1}}).decode()})
        assert r.status_code == 400 and "options.mapping.costt: unknown field; did you mean cost?" in r.json()["message"]

    def test_column_past_the_last_xlsx_column_is_a_400(self, client, key):
        r = client.post("/api/v3/scans", headers=key, files={"file": ("s.csv", FILE.encode(), "text/csv")},
                        data={"attributes": json.dumps({"mapping": {"id": 0, "cost": 10**6}})})
        assert r.status_code == 400 and r.json()["message"].startswith("attributes.mapping.cost: Input should be less")

    def test_brand_blocklist_refuses_an_unknown_key(self, client, key):
        r = client.put("/api/v3/brand-blocklist", headers=key, json={"brand": ["Acme"]})
        assert r.status_code == 400 and "brand: unknown field; did you mean brands?" in r.json()["message"]


class TestLargeQueriesOffTheLoop:
    """Issue 15, item 3: a results query with many filter values is computed on a worker thread."""

    @pytest.fixture
    def threaded(self, monkeypatch):
        from sellerkit.scans import router

        calls = []

        async def spy(func, *args, **kwargs):
            calls.append(func.__name__)
            return func(*args, **kwargs)

        monkeypatch.setattr(router, "run_in_threadpool", spy)
        return calls

    def test_a_long_in_list_is_answered_off_the_event_loop(self, app_client, key, threaded):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        skus = [f"SKU-{i}" for i in range(500)] + ["A-1"]
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                            json={"filter": [{"name": "inputs.supplier_sku", "operator": "in", "value": skus}]})
        assert r.status_code == 200 and r.json()["count"] == 1 and "results" in threaded

    def test_a_small_query_stays_on_the_loop(self, app_client, key, threaded):
        scan_id = upload(app_client, key, FILE).json()["id"]
        wait(app_client, key, scan_id)
        r = app_client.post(f"/api/v3/scans/{scan_id}", headers=key,
                            json={"filter": [{"name": "roi", "operator": ">", "value": 0}]})
        assert r.status_code == 200 and "results" not in threaded
