"""Results that refer to the catalog snapshot (`_product`) instead of carrying its columns: every
read sees the rows a scan that carries them sees, and the snapshot they refer to is kept with them
through catalog changes, a resumed run, a rerun and deletion."""

from __future__ import annotations

import polars as pl
import pytest

from sellerkit.catalog.snapshot import REFERABLE, snapshots
from sellerkit.kit.blobs import blobs_for
from sellerkit.scans import runner as runner_module
from sellerkit.scans.runner import Runner, refers_to_catalog
from sellerkit.scans.store import ScanFiles, results_cache
from tests.catalog.factories import product
from tests.conftest import import_records
from tests.scans.test_runs import (DIMS, Killed, WatchedRunner, _create, _restart, _rows, _settings, catalog, supplier,
                                   upc)

SHOWN_LATER = ("inbound_eligibility.updated_at",)  # when each scan checked: differs by design


def _scan(db, tmp_path, account: int, rows: int = 400, *, carried: bool = False, monkeypatch=None) -> int:
    if carried:  # a share no scan reaches: rows carry the catalog's columns
        monkeypatch.setattr(runner_module, "REFERENCE_SHARE", 0)
    scan_id = _create(db, tmp_path, account, supplier(rows, 60))
    assert Runner(db, _settings(tmp_path)).run(scan_id) == "Success"
    monkeypatch and monkeypatch.undo()
    return scan_id


def _same(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a.columns == b.columns
    assert a.drop("id", *SHOWN_LATER, strict=False).equals(b.drop("id", *SHOWN_LATER, strict=False))


def _retitled(n: int) -> list[dict]:
    """The catalog of `catalog(n)` as it is after an import that renamed and repriced it."""
    return [product(f"B0{i:08d}", title=f"Renamed {i}", category="Toys & Games", brand="Acme",
                    buybox_price=2500 + i, package_dimensions=DIMS, identifiers={"upc": [upc(i)]}) for i in range(n)]


class TestTheRule:
    @pytest.mark.parametrize("lines, products, refers", [(1_000_000, 592_000, True), (100_000, 592_000, True),
                                                         (59_200, 592_000, True), (10_000, 592_000, False),
                                                         (400, 50, True), (5, 0, False)])
    def test_a_scan_refers_to_the_catalog_when_it_is_not_small_beside_it(self, lines, products, refers):
        assert refers_to_catalog(lines, products) is refers


class TestReads:
    @pytest.fixture
    def pair(self, db, tmp_path, new_key, monkeypatch):
        """(account, a scan whose rows refer to the catalog, the same file's scan carrying it)."""
        import_records(db, catalog(50))
        account = new_key().account_id
        carried = _scan(db, tmp_path, account, carried=True, monkeypatch=monkeypatch)
        referring = _scan(db, tmp_path, account)
        return account, referring, carried

    def test_the_parts_hold_the_product_row_and_not_the_catalog_columns(self, tmp_path, pair):
        _, referring, carried = pair
        files, plain = ScanFiles(tmp_path, referring), ScanFiles(tmp_path, carried)
        assert files.catalog_of(1)[0] == "US" and plain.catalog_of(1) is None
        part = files.read_part(files.part_keys("results", 1)[0])  # joined back
        raw = files._scan(files.part_keys("results", 1)[:1]).collect()
        assert "_product" in raw.columns and not set(REFERABLE) & set(raw.columns)
        assert "_product" not in part.columns and set(REFERABLE) <= set(part.columns)
        assert sum(i.size for i in files.blobs.list(f"scans/{referring}/v1") if i.key.endswith(".results.arrow")) \
            < sum(i.size for i in plain.blobs.list(f"scans/{carried}/v1") if i.key.endswith(".results.arrow")) * 0.75

    def test_every_read_sees_the_rows_a_carrying_scan_sees(self, tmp_path, pair):
        _, referring, carried = pair
        files, plain = ScanFiles(tmp_path, referring), ScanFiles(tmp_path, carried)
        whole = files.read("results", 1, whole=True)
        assert all(c.n_chunks() == 1 for c in whole.get_columns())
        _same(whole, plain.read("results", 1, whole=True))
        _same(files.read("results", 1), plain.read("results", 1))
        _same(files.lazy("results", 1).collect(), plain.lazy("results", 1).collect())
        _same(files.lazy("results", 1).filter(pl.col("rank") > 0).select("asin", "amazon_title").collect(),
              plain.lazy("results", 1).filter(pl.col("rank") > 0).select("asin", "amazon_title").collect())
        for mine, theirs in zip(files.part_keys("results", 1), plain.part_keys("results", 1), strict=True):
            _same(files.read_part(mine), plain.read_part(theirs))
        _same(files.read("errors", 1), plain.read("errors", 1))

    def test_pages_and_exports_read_the_same(self, db, tmp_path, pair):
        account, referring, carried = pair
        _same(_rows(db, tmp_path, account, referring), _rows(db, tmp_path, account, carried))


class TestKeptSnapshot:
    def test_results_outlive_the_snapshot_revision_they_were_matched_against(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        scan_id = _scan(db, tmp_path, account)
        before = _rows(db, tmp_path, account, scan_id)
        marketplace, revision = ScanFiles(tmp_path, scan_id).catalog_of(1)
        import_records(db, _retitled(50))  # a new revision: its snapshot replaces the old one's files
        assert snapshots.current(db, tmp_path, "US").revision != revision
        assert not list((tmp_path / "catalog").glob(f"{marketplace}-{revision}.*"))
        results_cache.forget(ScanFiles(tmp_path, scan_id))
        _same(_rows(db, tmp_path, account, scan_id), before)
        assert not before.get_column("amazon_title").str.starts_with("Renamed").any()

    def test_a_run_resumed_after_the_catalog_changed_ends_on_the_snapshot_it_began_with(self, db, tmp_path,
                                                                                        new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        whole = _scan(db, tmp_path, account)
        scan_id = _create(db, tmp_path, account, supplier(400, 60))

        def die() -> None:
            raise Killed

        with pytest.raises(Killed):  # parts of 50 rows written, then the process dies
            WatchedRunner(db, _settings(tmp_path), at=3, then=die).run(scan_id)
        began = ScanFiles(tmp_path, scan_id).catalog_of(1)
        import_records(db, _retitled(50))
        snapshots.current(db, tmp_path, "US")  # the old revision's files leave the catalog folder
        assert not list((tmp_path / "catalog").glob(f"US-{began[1]}.*"))
        assert Runner(db, _settings(tmp_path, scan_stale_seconds=0)).run(scan_id) == "Success"
        assert ScanFiles(tmp_path, scan_id).catalog_of(1) == began
        for table in ("products", "errors"):  # every row once, all of the catalog it began with
            _same(_rows(db, tmp_path, account, scan_id, table), _rows(db, tmp_path, account, whole, table))

    def test_a_rerun_refers_to_the_catalog_as_it_now_is_and_lets_the_old_one_go(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        scan_id = _scan(db, tmp_path, account)
        import_records(db, _retitled(50))
        _restart(db, tmp_path, account, scan_id)
        assert Runner(db, _settings(tmp_path)).run(scan_id) == "Success"
        files = ScanFiles(tmp_path, scan_id)
        assert files.catalog_of(2)[1] == snapshots.current(db, tmp_path, "US").revision
        rows = _rows(db, tmp_path, account, scan_id)
        assert rows.get_column("amazon_title").str.starts_with("Renamed").all()
        assert rows.get_column("buybox_price").min() >= 2500

    def test_deleting_a_scan_removes_its_links_and_not_the_catalog(self, db, tmp_path, new_key):
        from sellerkit.scans.service import scans

        import_records(db, catalog(50))
        account = new_key().account_id
        scan_id = _scan(db, tmp_path, account)
        revision = ScanFiles(tmp_path, scan_id).catalog_of(1)[1]
        with db.session(write=True) as session:
            scans.delete(session, scans.get(session, account, scan_id), tmp_path)
        assert not (tmp_path / "scans" / str(scan_id)).exists()
        assert all((tmp_path / "catalog" / f"US-{revision}.{name}").is_file()
                   for name in ("products.arrow", "keys.arrow", "models.json"))
        assert snapshots.current(db, tmp_path, "US").revision == revision

    def test_a_small_scan_carries_the_catalog_columns(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        scan_id = _scan(db, tmp_path, account, rows=4)  # 4 rows: 40 < 50 products
        files = ScanFiles(tmp_path, scan_id)
        assert files.catalog_of(1) is None
        assert set(REFERABLE) <= set(files._scan(files.part_keys("results", 1)).collect_schema().names())

    def test_an_object_store_keeps_no_snapshot_and_its_rows_carry_the_columns(self, request, tmp_path):
        files = ScanFiles(blobs_for(request.getfixturevalue("s3_settings")), 7)
        built = tmp_path / "US-1.products.arrow", tmp_path / "US-1.keys.arrow", tmp_path / "US-1.models.json"
        for path in built:
            path.write_bytes(b"x")
        assert not files.refer_to_catalog(1, built) and files.catalog_of(1) is None


class TestDeferredColumns:
    def test_a_snapshot_reads_its_bulkiest_columns_only_for_scans_whose_rows_carry_them(self, db, tmp_path,
                                                                                       new_key, monkeypatch):
        from sellerkit.catalog.snapshot import DEFERRED

        import_records(db, catalog(50))
        account = new_key().account_id
        snapshots.forget()
        _scan(db, tmp_path, account)
        frame = snapshots.current(db, tmp_path, "US")
        assert not set(DEFERRED) & set(frame.products.columns) and "deferred" not in frame.__dict__
        carried = _scan(db, tmp_path, account, carried=True, monkeypatch=monkeypatch)
        assert snapshots.current(db, tmp_path, "US") is frame and frame.deferred.columns == list(DEFERRED)
        assert _rows(db, tmp_path, account, carried).get_column("amazon_title").str.starts_with("Product").all()


class TestKeptFigures:
    """The products' figures, kept beside the snapshot's files by the way they were priced."""

    def test_a_scan_after_pricing_ahead_reads_the_figures_and_prices_nothing(self, db, tmp_path, new_key,
                                                                            monkeypatch):
        from sellerkit.scans import pipeline
        from sellerkit.scans.runner import price_ahead

        import_records(db, catalog(50))
        account = new_key().account_id
        snapshots.forget()
        snapshots.current(db, tmp_path, "US")
        price_ahead(db, _settings(tmp_path), ["US"])
        assert len(list((tmp_path / "catalog").glob("US-*.figures-*.arrow"))) == 1
        expected = _rows(db, tmp_path, account, _scan(db, tmp_path, account))
        snapshots.forget()  # another process: the snapshot loaded again, its figures read, not worked out

        def priced(*args):
            raise AssertionError("priced again")

        monkeypatch.setattr(pipeline, "product_figures", priced)
        scan_id = _scan(db, tmp_path, account)
        _same(_rows(db, tmp_path, account, scan_id), expected)

    def test_each_way_of_pricing_is_kept_apart_and_only_the_newest_two(self, db, tmp_path, new_key):
        from sellerkit.scans.pipeline import FIGURES_KEPT

        import_records(db, catalog(50))
        account = new_key().account_id
        for brand in ("a", "b", "c"):  # blocked brands change the figures
            with db.session(write=True) as session:
                from sellerkit.scans.service import scans

                scans.set_blocked_brands(session, account, [brand])
            _scan(db, tmp_path, account)
        assert len(list((tmp_path / "catalog").glob("US-*.figures-*.arrow"))) == FIGURES_KEPT

    def test_figures_that_do_not_fit_the_snapshot_are_worked_out_again(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        first = _rows(db, tmp_path, account, _scan(db, tmp_path, account))
        (kept,) = (tmp_path / "catalog").glob("US-*.figures-*.arrow")
        pl.read_ipc(kept).head(3).write_ipc(kept)  # torn, or another snapshot's
        snapshots.forget()
        _same(_rows(db, tmp_path, account, _scan(db, tmp_path, account)), first)
        assert pl.read_ipc_schema(kept) and pl.read_ipc(kept).height == 50
