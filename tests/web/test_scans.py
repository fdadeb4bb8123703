"""Scans in the browser: upload a file, map its columns, watch it finish, filter and sort the
results, open a product, download a CSV; presets, tenancy."""

from __future__ import annotations

import csv
import io
import re
import time

import fastexcel
import orjson
import pytest

from sellerkit.scans.service import XLSX_NOW_ROWS
from tests.scans.test_dashboard_views import HISTORY
from tests.scans.test_endpoints import CATALOG, UPC_A, UPC_B, UPC_MULTI
from tests.served import cli
from tests.web.harness import csrf_of, screenshot, sign_in, watch_other_hosts

pytestmark = pytest.mark.slow

# Columns in an order no default mapping would guess: the SKU first, the cost last
SUPPLIER = "\n".join(["SKU,Product Name,Barcode,Wholesale",
                      f"A-1,Thing,{UPC_A},$8.00", f"B-1,Other,{UPC_B},3.50", f"M-1,Multi,{UPC_MULTI},4.00",
                      "X-1,Bad,12345,2.00"]) + "\n"


@pytest.fixture(scope="module")
def catalog(site, tmp_path_factory):
    path = tmp_path_factory.mktemp("catalog") / "catalog.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in CATALOG + HISTORY) + b"\n")
    cli(site.env, "catalog", "import", str(path))
    return site


def _upload(page, site, tmp_path, supplier: str = ""):
    sign_in(page, site.base, "owner@acme.test")
    page.get_by_role("link", name="Scans").click()
    source = tmp_path / "acme-prices.csv"
    source.write_text(SUPPLIER)
    page.set_input_files("#file", str(source))
    page.locator("#preview").wait_for()


class TestUploadAndResults:
    def test_upload_map_watch_filter_sort_open_and_download(self, page, catalog, tmp_path):
        site = catalog
        elsewhere = watch_other_hosts(page, site.base)
        _upload(page, site, tmp_path)
        # the header's words picked the mapping: Barcode is the id, Wholesale the cost
        assert page.get_by_label("id (required)").input_value() == "2"
        assert page.get_by_label("cost (required)").input_value() == "3"
        assert page.locator("#preview tbody tr").count() == 4
        screenshot(page, "scans-upload")
        page.get_by_label("supplier sku").select_option("0")
        page.get_by_label("Scan name").fill("Acme November")
        page.get_by_label("Save this mapping for supplier (optional)").fill("Acme")
        page.get_by_role("button", name="Start the scan").click()
        page.get_by_text("Scan started.").wait_for()
        page.get_by_text("Success").first.wait_for(timeout=30_000)  # the progress polls, then the page reloads
        page.locator("#results tbody tr").first.wait_for()
        assert page.locator("#count").inner_text() == "4 matching rows"
        screenshot(page, "scan-results")

        # filter: brand = Crate keeps the two Crate products, the total row counts them
        page.locator("select[name=fn]").last.select_option("brand")
        page.locator("select[name=fo]").last.select_option("=")
        page.locator("input[name=fv]").last.fill("Crate")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url("**fn=brand**")
        assert page.locator("#count").inner_text() == "2 matching rows"
        assert "Total of 2" in page.locator("#results tfoot").inner_text()

        # sort by profit, highest first (a second click on the header)
        page.get_by_role("link", name="financials.profit").click()
        page.get_by_role("link", name="financials.profit").click()
        page.wait_for_url("**sort=-financials.profit**")
        cells = page.locator("#results tbody tr td:nth-child(8)").all_inner_texts()
        profits = [float(c.replace(",", "")) for c in cells]
        assert profits == sorted(profits, reverse=True) and len(profits) == 2

        with page.expect_download() as got:
            page.locator("#download-csv").click()
        text = got.value.path().read_text()
        assert text.count("\n") == 3 and "Crate" in text and "Acme" not in text.split("\n", 1)[1]

        page.locator("#results tbody tr a").first.click()
        page.locator("#prices tbody tr").first.wait_for()
        assert page.locator("#prices tbody tr").count() == 5
        screenshot(page, "scan-product")
        assert elsewhere == []

    def test_product_history_is_charted(self, page, catalog, tmp_path):
        site = catalog
        with site.client("owner@acme.test") as c:
            scan_url = _scan_with_api(c)
        sign_in(page, site.base, "owner@acme.test")
        page.goto(f"{site.base}{scan_url}?fn=asin&fo=%3D&fv=B000000001&col=asin")
        page.locator("#results tbody tr a").first.click()
        page.locator("#history-chart canvas").wait_for()
        assert page.locator("#history-empty").is_hidden()

    def test_saved_preset_fills_the_mapping(self, page, catalog, tmp_path):
        site = catalog
        sign_in(page, site.base, "owner@acme.test")
        page.goto(f"{site.base}/scans")
        if page.locator("#presets").get_by_text("Acme").count() == 0:
            pytest.skip("runs after the upload test, which saves the Acme preset")
        page.get_by_label("Saved mapping (optional)").select_option(label="Acme")
        source = tmp_path / "next.csv"
        source.write_text(SUPPLIER.replace("SKU,Product Name,Barcode,Wholesale", "a,b,c,d"))
        page.set_input_files("#file", str(source))
        page.locator("#preview").wait_for()
        assert page.get_by_label("supplier sku").input_value() == "0"
        assert page.get_by_label("id (required)").input_value() == "2"


class TestCustomColumns:
    def test_ticked_columns_pass_through_under_their_header(self, page, catalog, tmp_path):
        site = catalog
        _upload(page, site, tmp_path)
        page.get_by_label("2: Product Name").check()
        page.get_by_role("button", name="Start the scan").click()
        page.get_by_text("Success").first.wait_for(timeout=30_000)
        page.goto(f"{page.url.split('?')[0]}?col=asin&col=inputs.custom_columns&fn=asin&fo=%3D&fv=B000000001")
        assert "Thing" in page.locator("#results tbody").inner_text()
        with page.expect_download() as got:
            page.locator("#download-csv").click()
        header, row = got.value.path().read_text().splitlines()[:2]
        assert "Product Name" in header.split(",") and "Thing" in row

    def test_a_preset_keeps_its_custom_columns(self, catalog):
        with catalog.client("owner@acme.test") as c:
            token = csrf_of(c.get("/scans").text)
            r = c.post("/scans/preview", files={"file": ("p.csv", SUPPLIER.encode(), "text/csv")},
                       headers={"X-CSRF-Token": token})
            staged = re.search(r'name="token" value="([^"]+)"', r.text).group(1)
            r = c.post("/scans", data={"csrf_token": token, "token": staged, "file_name": "p.csv", "map_id": "2",
                                       "map_cost": "3", "custom": ["1", "0"], "supplier": "Custom Co",
                                       "column_name": ["SKU", "Product Name", "Barcode", "Wholesale"]})
            assert r.status_code == 303, r.text
            listed = c.get("/scans").text
            preset = re.search(r'<option value="(\d+)"[^>]*>Custom Co<', listed).group(1)
            again = c.post("/scans/preview", data={"preset": preset},
                           files={"file": ("p.csv", SUPPLIER.encode(), "text/csv")}, headers={"X-CSRF-Token": token})
        checked = re.findall(r'name="custom" value="(\d+)" checked', again.text)
        assert checked == ["0", "1"]
        assert "; custom 1, 2</td>" in listed  # the saved mappings table shows them (1-based)


def _scan_page(page, site, query: str = "") -> None:
    """A finished scan's results page in the browser, signed in as the owner."""
    with site.client("owner@acme.test") as c:
        url = _scan_with_api(c)
    sign_in(page, site.base, "owner@acme.test")
    page.goto(f"{site.base}{url}{query}")


class TestFilterBuilder:
    def test_add_filter_by_keyboard_adds_a_row_and_focuses_it(self, page, catalog):
        _scan_page(page, catalog)
        page.locator("select[name=fn]").last.select_option("brand")
        page.locator("select[name=fo]").last.select_option("=")
        page.locator("input[name=fv]").last.fill("Crate")
        page.locator("#add-filter").focus()
        page.keyboard.press("Enter")
        assert page.locator(".filter-row").count() == 2
        assert page.evaluate("document.activeElement.name") == "fn"  # the new row's field
        page.keyboard.type("financials.profit")  # a select takes its option by typing
        page.locator("select[name=fo]").last.select_option(">")
        page.locator("input[name=fv]").last.fill("0")
        page.locator("input[name=fv]").last.press("Enter")
        page.wait_for_url("**fn=financials.profit**")
        assert "fn=brand" in page.url
        assert page.locator(".filter-row").count() == 3  # the two filters and a blank row

    def test_remove_takes_a_filter_out(self, page, catalog):
        _scan_page(page, catalog, "?fn=brand&fo=%3D&fv=Crate")
        assert page.locator("#count").inner_text() == "2 matching rows"
        page.get_by_role("button", name="Remove filter 1").click()
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(lambda u: "fv=Crate" not in u)
        assert page.locator("#count").inner_text() == "4 matching rows"


def _scan_with_api(c, supplier: str = SUPPLIER) -> str:
    """A finished scan through the page's own forms (no browser), its page's path."""
    listing = c.get("/scans")
    token = csrf_of(listing.text)
    r = c.post("/scans/preview", files={"file": ("p.csv", supplier.encode(), "text/csv")},
               headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    staged = re.search(r'name="token" value="([^"]+)"', r.text).group(1)
    r = c.post("/scans", data={"csrf_token": token, "token": staged, "file_name": "p.csv",
                               "map_id": "2", "map_cost": "3"})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    for _ in range(600):
        if "InProgress" not in c.get(f"{url}/progress").text:
            return url
        time.sleep(0.1)
    raise AssertionError("scan still running")


# More rows than an XLSX written within the request (scans.service.XLSX_NOW_ROWS): a job
LARGE = "SKU,Product Name,Barcode,Wholesale\n" + "".join(
    f"S-{n},Thing {n},{(UPC_A, UPC_B)[n % 2]},{2 + n % 7}.50\n" for n in range(XLSX_NOW_ROWS + 500))


@pytest.fixture(scope="module")
def large_scan(catalog):
    with catalog.client("owner@acme.test") as c:
        return _scan_with_api(c, LARGE)


class TestBackgroundDownload:
    def test_a_large_xlsx_is_prepared_as_a_job_with_progress_then_a_link(self, page, catalog, large_scan):
        site = catalog
        sign_in(page, site.base, "owner@acme.test")
        page.goto(f"{site.base}{large_scan}?fn=inputs.cost&fo=%3E&fv=2")
        rows = int(page.locator("#count").inner_text().split()[0].replace(",", ""))
        assert rows > XLSX_NOW_ROWS
        page.locator("#download-xlsx").click()
        page.get_by_text("Preparing the XLSX").first.wait_for()
        assert "export=" in page.url and "fn=inputs.cost" in page.url  # the same filter, the job beside it
        link = page.locator("#export-file")
        # polled: the link appears without a reload (XlsxWriter: ~20 s here), or the job's error
        # does: then the test fails at once, saying it, rather than after the whole wait
        page.locator("#export-file, #export .error").first.wait_for(timeout=300_000)
        assert link.is_visible(), page.locator("#export").inner_text()
        with page.expect_download() as got:
            link.click()
        sheet = fastexcel.read_excel(got.value.path()).load_sheet(0)
        assert got.value.suggested_filename.endswith("-products.xlsx")
        assert sheet.height == rows

    def test_a_small_xlsx_downloads_at_once(self, catalog):
        with catalog.client("owner@acme.test") as c:
            url = _scan_with_api(c)
            r = c.post(f"{url}/download", data={"type": "xlsx", "query": "", "csrf_token": csrf_of(c.get(url).text)})
        assert r.status_code == 200 and r.content[:2] == b"PK"

    def test_a_csv_download_is_sent_as_it_is_written(self, catalog):
        with catalog.client("owner@acme.test") as c:
            url = _scan_with_api(c)
            r = c.post(f"{url}/download", data={"type": "csv", "query": "", "csrf_token": csrf_of(c.get(url).text)})
        assert r.status_code == 200 and "content-length" not in r.headers  # chunked: no work file first
        assert r.headers["content-disposition"].endswith('-products.csv"')
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0][:2] == ["id", "asin"] and len(rows) > 1
        assert not list((catalog.data_dir / "work").rglob("*.csv"))

    def test_another_accounts_export_is_404(self, catalog, large_scan):
        with catalog.client("owner@acme.test") as c:
            r = c.post(f"{large_scan}/download", data={"type": "xlsx", "query": "",
                                                      "csrf_token": csrf_of(c.get(large_scan).text)})
            export_id = re.search(r"export=(\d+)", r.headers["location"]).group(1)
            assert c.get(f"/scans/exports/{export_id}").status_code == 200
        with catalog.client("other@globex.test") as c:
            assert c.get(f"/scans/exports/{export_id}").status_code == 404
            assert c.get(f"/scans/exports/{export_id}/file").status_code == 404


class TestTenancy:
    def test_another_accounts_scan_and_staged_file_are_404(self, catalog):
        site = catalog
        with site.client("owner@acme.test") as c:
            url = _scan_with_api(c)
            r = c.post("/scans/preview", files={"file": ("p.csv", SUPPLIER.encode(), "text/csv")},
                       headers={"X-CSRF-Token": csrf_of(c.get("/scans").text)})
            staged = re.search(r'name="token" value="([^"]+)"', r.text).group(1)
        with site.client("other@globex.test") as c:
            assert c.get(url).status_code == 404
            assert c.get(f"{url}/progress").status_code == 404
            token = csrf_of(c.get("/scans").text)
            r = c.post("/scans", data={"csrf_token": token, "token": staged, "file_name": "p.csv",
                                       "map_id": "2", "map_cost": "3"})
            assert r.status_code == 404
            assert c.post(f"{url}/delete", data={"csrf_token": token}).status_code == 404

    def test_a_file_that_cannot_be_scanned_says_why(self, catalog):
        with catalog.client("owner@acme.test") as c:
            r = c.post("/scans/preview", files={"file": ("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "x")},
                       headers={"X-CSRF-Token": csrf_of(c.get("/scans").text)})
        assert r.status_code == 400 and "Excel 97-2003" in r.text
