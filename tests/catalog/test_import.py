"""Import semantics of specs/catalog-format.md, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip

import orjson
import pytest
import sqlalchemy as sa

from sellerkit.catalog.files import write_csv, write_jsonl
from sellerkit.catalog.service import catalog
from sellerkit.catalog.tasks import import_file
from tests.catalog.factories import ISBN10, ISBN13, UPC, UPC_SP_API, product
from tests.conftest import import_records


def _export(db, **kw) -> list[dict]:
    with db.session() as s:
        return list(catalog.export_records(s, **kw))


class TestImportCounts:
    def test_first_import_inserts(self, db):
        report = import_records(db, [product("B000000001"), product("B000000002")])
        assert (report.inserted, report.updated, report.unchanged) == (2, 0, 0)

    def test_reimporting_same_records_changes_nothing(self, db):
        recs = [product("B000000001", identifiers={"upc": [UPC]}, rank=5, updated_at="2026-11-01T00:00:00Z")]
        import_records(db, recs)
        before = _export(db)
        report = import_records(db, recs)
        assert (report.inserted, report.updated, report.unchanged) == (0, 0, 1)
        assert _export(db) == before

    def test_duplicate_lines_in_one_file_count_once(self, db):
        report = import_records(db, [product("B000000001", rank=1), product("B000000001", rank=2)])
        assert report.inserted == 1
        assert _export(db)[0]["rank"] == 2


class TestRejections:
    def test_missing_title_is_rejected_with_line_number(self, db):
        report = import_records(db, [product("B000000001"), {"marketplace": "US", "asin": "B000000002"}])
        assert report.rejected == 1 and report.inserted == 1
        assert "line 2" in report.messages[0] and "'title'" in report.messages[0]

    def test_missing_asin_is_rejected(self, db):
        report = import_records(db, [{"marketplace": "US", "title": "x"}])
        assert report.rejected == 1 and "'asin'" in report.messages[0]

    def test_unknown_marketplace_is_rejected_naming_it(self, db):
        report = import_records(db, [product("B000000001", marketplace="XX")])
        assert report.rejected == 1 and '"XX"' in report.messages[0]

    def test_invalid_identifier_is_dropped_with_warning(self, db):
        report = import_records(db, [product("B000000001", identifiers={"upc": [UPC, "036000291453"]})])
        assert report.inserted == 1 and report.warnings == 1
        assert "036000291453" in report.messages[0]
        assert _export(db)[0]["identifiers"]["upc"] == [UPC]

    def test_wrongly_typed_field_is_dropped_with_warning(self, db):
        report = import_records(db, [product("B000000001", rank="first")])
        assert report.inserted == 1 and report.warnings == 1
        assert "rank" not in _export(db)[0]

    def test_bad_json_line_is_rejected_and_rest_imported(self, db, tmp_path):
        path = tmp_path / "c.jsonl"
        path.write_bytes(orjson.dumps(product("B000000001")) + b"\n{not json\n" + orjson.dumps(product("B000000002")) + b"\n")
        report = import_file(db, path)
        assert (report.inserted, report.rejected) == (2, 1)
        assert "line 2" in report.messages[0]


class TestMerge:
    def test_newer_record_wins_field_by_field(self, db):
        import_records(db, [product("B000000001", rank=10, brand="Old", updated_at="2026-10-01T00:00:00Z")])
        import_records(db, [product("B000000001", rank=20, updated_at="2026-11-01T00:00:00Z")])
        rec = _export(db)[0]
        assert rec["rank"] == 20 and rec["brand"] == "Old"

    def test_older_record_only_fills_gaps(self, db):
        import_records(db, [product("B000000001", rank=20, updated_at="2026-11-01T00:00:00Z")])
        report = import_records(db, [product("B000000001", rank=10, brand="Acme", updated_at="2026-10-01T00:00:00Z")])
        rec = _export(db)[0]
        assert rec["rank"] == 20 and rec["brand"] == "Acme" and report.updated == 1

    def test_unknown_fields_are_kept(self, db):
        import_records(db, [product("B000000001", supplier_note="keep me")])
        assert _export(db)[0]["supplier_note"] == "keep me"


class TestFiles:
    def test_jsonl_gz_imports(self, db, tmp_path):
        path = tmp_path / "c.jsonl.gz"
        with gzip.open(path, "wb") as fh:
            write_jsonl(fh, [product("B000000001"), product("B000000002")])
        assert import_file(db, path).inserted == 2

    def test_csv_round_trip_keeps_nested_and_list_fields(self, db, tmp_path):
        rec = product("B000000001", identifiers={"upc": [UPC]}, package_dimensions={"length": 10.0, "width": 8.0, "height": 3.0, "weight": 1.2},
                      images=["https://a/1.jpg", "https://a/2.jpg"], is_hazmat=True, rank=77,
                      sales_ranks=[{"rank": 3, "title": "Puzzles"}])
        import_records(db, [rec])
        path = tmp_path / "c.csv"
        with open(path, "w", newline="") as fh:
            write_csv(fh, _export(db))
        again = import_file(db, path)
        assert again.unchanged == 1 and again.rejected == 0 and again.warnings == 0

    def test_jsonl_export_reimports_unchanged_with_history(self, db, tmp_path):
        import_records(db, [product("B000000001", identifiers={"isbn": [ISBN10]}),
                            {"type": "observation", "marketplace": "US", "asin": "B000000001",
                             "observed_at": "2026-10-01T12:00:00Z", "buybox_price": 2999, "rank": 5123}])
        path = tmp_path / "c.jsonl"
        with open(path, "wb") as fh:
            write_jsonl(fh, _export(db, observations=True))
        report = import_file(db, path)
        assert (report.unchanged, report.observations) == (1, 0)


    def test_observations_with_different_fields_import_together(self, db):
        obs = {"type": "observation", "marketplace": "US", "asin": "B000000001"}
        report = import_records(db, [
            product("B000000001"),
            {**obs, "observed_at": "2026-10-01T00:00:00Z", "buybox_price": 2999},
            {**obs, "observed_at": "2026-10-02T00:00:00Z", "rank": 5123, "amazon_in_stock": True},
        ])
        assert report.observations == 2
        history = [r for r in _export(db, observations=True) if r.get("type") == "observation"]
        assert [(h.get("buybox_price"), h.get("rank")) for h in history] == [(2999, None), (None, 5123)]


class TestIdentifierIndex:
    def test_isbn10_is_indexed_with_its_isbn13(self, db):
        import_records(db, [product(ISBN10, identifiers={"isbn": [ISBN10]})])
        with db.reader() as s:
            out = catalog.asin_convert(s, "US", [ISBN10])
        assert set(out[ISBN10]["isbn"]) == {ISBN10, ISBN13}

    def test_upc_is_indexed_with_its_ean13(self, db):
        import_records(db, [product("B000000001", identifiers={"upc": [UPC]})])
        with db.reader() as s:
            out = catalog.asin_convert(s, "US", ["B000000001"])
        assert out["B000000001"]["upc"] == [UPC] and out["B000000001"]["ean"] == ["0" + UPC]

    def test_update_replaces_identifiers(self, db):
        import_records(db, [product("B000000001", identifiers={"upc": [UPC]}, updated_at="2026-10-01T00:00:00Z")])
        import_records(db, [product("B000000001", identifiers={"upc": ["887276302195"]}, updated_at="2026-11-01T00:00:00Z")])
        with db.reader() as s:
            assert catalog.convert(s, "US", [UPC]) == {}
            assert catalog.convert(s, "US", ["887276302195"])["887276302195"][0] == "B000000001"


class TestParallelImport:
    """Worker processes validate blocks in parallel but must write them in file order."""

    def test_blocks_commit_in_file_order_with_line_numbers_kept(self, db, tmp_path, monkeypatch):
        monkeypatch.setattr("sellerkit.catalog.files.BLOCK_BYTES", 2_000)  # many small blocks
        lines = []
        for i in range(300):
            lines.append(orjson.dumps(product(f"B{i:09d}", rank=i)))
        for rank in range(1001, 1021):  # one undated ASIN again, in later blocks: the last wins
            lines += lines[:20] + [orjson.dumps(product("B000000007", rank=rank))]
        lines.insert(250, b'{"marketplace": "US", "asin": "B000000999"}')  # no title: rejected
        path = tmp_path / "c.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        report = import_file(db, path, workers=2)
        assert (report.inserted, report.rejected) == (300, 1)
        assert report.messages == ["rejected line 251: missing required field 'title'"]
        by_asin = {r["asin"]: r for r in _export(db)}
        assert len(by_asin) == 300 and by_asin["B000000007"]["rank"] == 1020


class TestTransactions:
    """An import writes many batches per transaction; a crash keeps what was committed."""

    def _file(self, tmp_path, n=300):
        path = tmp_path / "c.jsonl"
        path.write_bytes(b"".join(orjson.dumps(product(f"B{i:09d}", rank=i)) + b"\n" for i in range(n)))
        return path

    def test_a_failed_batch_keeps_earlier_transactions_and_a_rerun_finishes(self, db, tmp_path, monkeypatch):
        from sellerkit.catalog import tasks

        monkeypatch.setattr("sellerkit.catalog.files.BLOCK_BYTES", 2_000)  # batches of ~25 lines
        monkeypatch.setattr(tasks, "TRANSACTION_ROWS", 100)
        path = self._file(tmp_path)
        calls = []
        real_prepare = tasks.prepare_batch

        def failing(items, decimal=None):
            calls.append(len(items))
            if len(calls) == 10:
                raise RuntimeError("worker died")
            return real_prepare(items, decimal)

        monkeypatch.setattr(tasks, "prepare_batch", failing)
        with pytest.raises(RuntimeError, match="worker died"):
            import_file(db, path, workers=1)
        committed, written = 0, 0  # whole transactions of >= 100 rows, before the failed batch
        for n in calls[:9]:
            written += n
            if written >= 100:
                committed, written = committed + written, 0
        assert committed > 0 and len(_export(db)) == committed
        monkeypatch.setattr(tasks, "prepare_batch", real_prepare)
        report = import_file(db, path, workers=1)
        assert (report.inserted, report.unchanged) == (300 - committed, committed)
        assert [r["rank"] for r in _export(db)] == list(range(300))

    def test_sqlite_connection_settings_come_back_after_an_import(self, db, tmp_path):
        if not db.is_sqlite:
            return

        def settings():  # of every pooled connection: check out more than the pool holds
            conns = [db.engine.raw_connection() for _ in range(4)]
            try:
                return {tuple(c.driver_connection.execute(f"PRAGMA {p}").fetchone()[0]
                              for p in ("cache_size", "wal_autocheckpoint")) for c in conns}
            finally:
                for c in conns:
                    c.close()

        before = settings()
        import_file(db, self._file(tmp_path))
        assert settings() == before and len(before) == 1
        with db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()[1] == 0  # log folded in


class TestInsertAndMergePaths:
    """New products are inserted without a look-up first; known ones are merged. Whichever
    way a product arrives, the catalog ends up the same."""

    @staticmethod
    def _contents(db) -> tuple[list, list]:
        with db.engine.connect() as c:
            products = c.exec_driver_sql("SELECT marketplace, asin, data FROM products ORDER BY 1, 2").all()
            idents = c.exec_driver_sql(
                "SELECT marketplace, key, asin, family, value FROM product_identifiers ORDER BY 1, 2, 3, 4, 5"
            ).all()
        return [tuple(r) for r in products], [tuple(r) for r in idents]

    def _records(self):
        old = [product(f"B{i:09d}", identifiers={"upc": [UPC]} if i % 2 else {"isbn": [ISBN10]},
                       rank=i, updated_at="2026-10-01T00:00:00Z") for i in range(6)]
        new = [product(f"B{i:09d}", identifiers={"upc": [UPC_SP_API]}, rank=100 + i,
                       updated_at="2026-11-01T00:00:00Z") for i in range(3, 9)]
        return old, new

    def test_a_batch_of_new_and_known_products(self, db):
        old, new = self._records()
        import_records(db, old)
        report = import_records(db, new + old[:2])  # 3 updated, 3 new, 2 unchanged, in one batch
        assert (report.inserted, report.updated, report.unchanged) == (3, 3, 2)
        by_asin = {r["asin"]: r for r in _export(db)}
        assert [by_asin[f"B{i:09d}"]["rank"] for i in range(9)] == [0, 1, 2, 103, 104, 105, 106, 107, 108]
        assert by_asin["B000000003"]["identifiers"] == {"upc": [UPC_SP_API]}
        assert by_asin["B000000004"]["identifiers"] == {"isbn": [ISBN10], "upc": [UPC_SP_API]}
        with db.reader() as r:
            assert catalog.convert(r, "US", [UPC])[UPC] == ["B000000001", "0" + UPC]  # 3, 5: replaced
            assert catalog.convert(r, "US", [UPC_SP_API])[UPC_SP_API][:6] == [f"B{i:09d}" for i in range(3, 9)]

    def test_same_catalog_whether_records_come_together_or_in_turns(self, db, tmp_path):
        old, new = self._records()
        import_records(db, old + new)  # duplicates inside one batch: merged before writing
        together = self._contents(db)
        with db.session(write=True) as s:
            s.execute(sa.text("DELETE FROM product_identifiers"))
            s.execute(sa.text("DELETE FROM products"))
        import_records(db, old)
        import_records(db, new)  # merged into what the catalog holds
        assert self._contents(db) == together and len(together[0]) == 9
