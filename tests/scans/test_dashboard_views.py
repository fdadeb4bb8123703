"""The scan views the dashboard pages call: the upload preview, mapping presets, progress with
time left, totals of filtered rows, and a product's detail (fees, profit at other prices, history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sellerkit.errors import Invalid, NotFound
from sellerkit.kit.blobs import blobs_for
from sellerkit.scans import files
from sellerkit.scans.models import Scan
from sellerkit.scans.schemas import Mapping, Options, ResultsQuery
from sellerkit.scans import service as service_module
from sellerkit.scans.service import scans
from tests.conftest import import_records, make_client
from tests.scans.test_endpoints import CATALOG, FILE, UPC_A, upload, wait

HISTORY = [{"type": "observation", "marketplace": "US", "asin": "B000000001",
            "observed_at": f"2026-11-{day:02d}T00:00:00Z", "buybox_price": 2400 + day, "rank": 1000 + day}
           for day in (3, 1, 2)]


def _limits() -> files.Limits:
    return files.Limits(max_rows=1000, max_xml_bytes=10_000_000)


class TestPreview:
    def test_shows_first_rows_under_the_header_and_guesses_the_mapping(self, tmp_path: Path):
        path = tmp_path / "up"
        path.write_text("SKU,Description,UPC,Unit Cost\nA-1,Thing,036000291452,$8.00\nB-2,Other,012345678905,3.50\n")
        view = scans.preview(path, "supplier.csv", _limits())
        assert view["header"] is True and view["columns"] == 4
        assert view["names"] == ["SKU", "Description", "UPC", "Unit Cost"]
        assert view["rows"][0] == ["A-1", "Thing", "036000291452", "$8.00"] and len(view["rows"]) == 2
        assert view["mapping"] == {"id": 2, "cost": 3, "supplier_sku": 0, "supplier_title": 1}

    def test_file_without_header_gets_the_simplest_mapping(self, tmp_path: Path):
        path = tmp_path / "up"
        path.write_text(f"{UPC_A},8.00\n012345678905,3.50\n")
        view = scans.preview(path, "supplier.csv", _limits(), rows=1)
        assert view["header"] is False and view["mapping"] == {"id": 0, "cost": 1}
        assert view["names"] == ["Column 1", "Column 2"] and view["rows"] == [[UPC_A, "8.00"]]

    def test_refuses_what_a_scan_could_not_read(self, tmp_path: Path):
        path = tmp_path / "up"
        path.write_bytes(b"")
        with pytest.raises(Invalid, match="empty"):
            scans.preview(path, "supplier.csv", _limits())


class TestStaging:
    """More in tests/scans/test_scan_blobs.py (TestStagedUploads, on disk and on S3)."""

    def test_a_token_naming_another_path_is_refused(self, tmp_path: Path):
        path = tmp_path / "x.upload"
        path.write_text("")
        token = scans.stage(tmp_path, path, 7)
        assert scans.staged(tmp_path, tmp_path, 7, token).is_file()
        for bad in (f"../{token}", "/etc/passwd", "", f"{token}/..", "../../scans/1/source.csv"):
            with pytest.raises(NotFound):
                scans.staged(tmp_path, tmp_path, 7, bad)


class TestPresets:
    def test_saving_again_replaces_the_suppliers_preset(self, db, new_key):
        account = new_key().account_id
        with db.session(write=True) as s:
            scans.save_preset(s, account, "Acme", Mapping(id=0, cost=1), Options(name="one file", prep_cost="0.5"))
            scans.save_preset(s, account, " Acme ", Mapping(id=2, cost=3, supplier_sku=0), Options())
        with db.session() as s:
            [preset] = scans.presets(s, account)
        assert preset["supplier"] == "Acme" and preset["mapping"] == {"id": 2, "cost": 3, "supplier_sku": 0,
                                                                      "custom_columns": []}
        assert "name" not in preset["options"]

    def test_another_accounts_preset_is_not_found(self, db, new_key):
        mine, theirs = new_key().account_id, new_key(account="other").account_id
        with db.session(write=True) as s:
            preset = scans.save_preset(s, theirs, "Bolt", Mapping(id=0, cost=1), Options())
        with db.session(write=True) as s, pytest.raises(NotFound):
            scans.delete_preset(s, mine, preset.id)
        with db.session() as s:
            assert scans.presets(s, mine) == [] and len(scans.presets(s, theirs)) == 1

    def test_supplier_name_is_required(self, db, new_key):
        with db.session(write=True) as s, pytest.raises(Invalid, match="supplier"):
            scans.save_preset(s, new_key().account_id, "  ", Mapping(id=0, cost=1), Options())


class TestProgressAndTotals:
    @pytest.fixture
    def done(self, db, new_key, worker_settings):
        import_records(db, CATALOG + HISTORY)
        key = {"Authorization": f"Bearer {new_key().key}"}
        with make_client(db, worker_settings) as c:
            scan_id = upload(c, key, FILE).json()["id"]
            wait(c, key, scan_id)
        with db.session() as s:
            scan = s.get(Scan, scan_id)
            s.expunge(scan)
        return scan, blobs_for(worker_settings)

    def test_time_left_follows_the_speed(self):
        now = datetime(2026, 12, 1, tzinfo=UTC)
        scan = Scan(id=1, account_id=1, name="s", marketplace="US", status="InProgress", file_name="f.csv",
                    file_format="csv", file_size=1, mapping="{}", options="{}", lines=3000, processed=1000,
                    products=0, errors=0, run_version=1, results_version=1, started_at=now - timedelta(minutes=2))
        view = scans.progress(scan, now)
        assert (view["speed"], view["seconds_left"], view["finished"]) == (500, 240, False)

    def test_totals_sum_the_filtered_rows(self, done):
        scan, blobs = done
        every = scans.totals(scan, blobs, ResultsQuery())
        assert every["count"] == 5
        acme = scans.totals(scan, blobs, ResultsQuery(filter=[{"name": "brand", "operator": "=", "value": "Acme"}]))
        rows = scans.rows(scan, blobs, "products").filter(brand="Acme")
        assert acme["count"] == rows.height == 2
        assert acme["sums"]["financials.profit"] == rows["financials.profit"].sum()
        assert "rank" not in acme["sums"] and "financials.margin" not in acme["sums"]

    def test_totals_of_the_same_filter_are_computed_once(self, done, monkeypatch):
        scan, blobs = done
        scans.rows(scan, blobs, "products")  # the finished scan's frame, in memory
        calls = []
        real = service_module.filters.totals
        monkeypatch.setattr(service_module.filters, "totals", lambda *a: calls.append(1) or real(*a))
        query = ResultsQuery(filter=[{"name": "brand", "operator": "=", "value": "Acme"}])
        first = scans.totals(scan, blobs, query)
        again = scans.totals(scan, blobs, ResultsQuery(filter=query.filter, sort="-profit", page=2))
        other = scans.totals(scan, blobs, ResultsQuery())
        assert first == again and other["count"] == 5
        assert len(calls) == 2  # the Acme filter once, no filter once

    def test_pages_after_a_row_follow_the_sort(self, done):
        scan, blobs = done
        query = ResultsQuery(sort="-profit", per_page=2)
        _, every, _ = scans.select(scan, blobs, query, paged=False)
        _, first, _ = scans.select(scan, blobs, query)
        _, second, _ = scans.select(scan, blobs, query, after=first["id"][-1])
        assert first["id"].to_list() + second["id"].to_list() == every["id"].to_list()[:4]

    def test_totals_refuse_a_bad_filter_by_name(self, done):
        scan, blobs = done
        with pytest.raises(Invalid, match=r"filter\[0\].name: unknown field"):
            scans.totals(scan, blobs, ResultsQuery(filter=[{"name": "nope", "operator": "=", "value": 1}]))

    def test_product_detail_has_fees_prices_and_history(self, db, done):
        scan, blobs = done
        row_id = scans.rows(scan, blobs, "products").filter(asin="B000000001", **{"inputs.cost": 800})["id"][0]
        with db.reader() as reader:
            detail = scans.product(scan, blobs, row_id, reader)
        assert detail["row"]["asin"] == "B000000001" and detail["row"]["amazon_fees.total"] > 0
        assert [p["share_bp"] for p in detail["prices"]] == [8000, 9000, 10000, 11000, 12000]
        at_price = detail["prices"][2]
        assert at_price["price"] == detail["row"]["financials.sale_price"]
        assert at_price["profit"] == detail["row"]["financials.profit"]
        profits = [p["profit"] for p in detail["prices"]]
        assert profits == sorted(profits) and profits[0] < profits[-1]
        assert [(at.day, price, rank) for at, price, rank in detail["history"]] == [
            (1, 2401, 1001), (2, 2402, 1002), (3, 2403, 1003)]

    def test_product_of_another_id_is_not_found(self, db, done):
        scan, blobs = done
        with db.reader() as reader, pytest.raises(NotFound):
            scans.product(scan, blobs, 999_999, reader)
