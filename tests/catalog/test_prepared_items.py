"""The look-up's items files (`catalog.prepared_items`): the same items as built from the catalog,
found by ASIN, and never used for a revision they were not built from."""

from __future__ import annotations

import os
import time

import orjson
import pytest

from sellerkit.catalog import prepared_items
from sellerkit.catalog import repository as repo
from sellerkit.catalog.lookup import lookups
from sellerkit.catalog.prepared_items import ItemFile, asin_key, file_for, item_files, write
from sellerkit.catalog.snapshot import ABANDONED_SECONDS, snapshots
from sellerkit.domain.lookup import item
from sellerkit.domain.marketplaces import marketplace
from tests.catalog.factories import UPC, product
from tests.conftest import import_records

PRODUCTS = [
    product("0320568407", title="A Book", identifiers={"isbn": ["0320568407"]}, buybox_price=2199),
    product("B000000001", identifiers={"upc": [UPC]}, rank=5),
    product("B000000006", identifiers={"upc": [UPC]}, amazon_pack_quantity=6),
    product("B0ZZZZZZZZ", title="Last", images=["https://m.media-amazon.com/images/I/1.jpg"]),
    product("B000000009", marketplace="DE", buybox_price=2279),
]


class TestFile:
    def test_items_are_found_by_asin_byte_for_byte(self, tmp_path):
        pairs = [("0000000001", b'{"a":1}'), ("0320568407", b'{"b":"two"}'), ("B0ZZZZZZZZ", b"{}")]
        assert write(tmp_path / "f", pairs) == 3
        found = ItemFile(tmp_path / "f", revision=7)
        assert [found.get(asin) for asin, _ in pairs] == [text for _, text in pairs]
        assert found.size == 3 and found.revision == 7

    @pytest.mark.parametrize("asin", ["0000000000", "0320568406", "0320568408", "B0ZZZZZZZY", "ZZZZZZZZZZ"])
    def test_an_asin_not_written_is_none(self, tmp_path, asin):
        write(tmp_path / "f", [("0000000001", b"1"), ("0320568407", b"2"), ("B0ZZZZZZZZ", b"3")])
        assert ItemFile(tmp_path / "f", 1).get(asin) is None

    @pytest.mark.parametrize("text", ["b000000001", "B00000001", "B0000000011", "B0_0000001", " B00000001",
                                      "+B00000001", "B00000000-", "", "B00000000é"])
    def test_text_that_is_no_asin_is_never_read_as_one(self, tmp_path, text):
        write(tmp_path / "f", [("0B00000001", b"1"), ("B000000001", b"2")])
        assert ItemFile(tmp_path / "f", 1).get(text) is None
        with pytest.raises(ValueError):
            asin_key(text)

    def test_asin_keys_sort_as_the_text_does(self):
        asins = ["0000000000", "0000000009", "000000000A", "000000000X", "0320568407", "9999999999",
                 "B000000000", "B00000000Z", "B0ZZZZZZZZ", "ZZZZZZZZZZ"]
        assert sorted(asins, key=asin_key) == sorted(asins)
        assert asin_key("ZZZZZZZZZZ") < 2**63

    def test_an_empty_file_finds_nothing(self, tmp_path):
        assert write(tmp_path / "f", []) == 0
        assert ItemFile(tmp_path / "f", 1).get("B000000001") is None

    def test_items_out_of_order_write_no_file(self, tmp_path):
        with pytest.raises(ValueError, match="out of ASIN order at B000000001"):
            write(tmp_path / "f", [("B000000002", b"1"), ("B000000001", b"2")])
        assert list(tmp_path.iterdir()) == []

    def test_a_file_of_something_else_is_refused(self, tmp_path):
        (tmp_path / "f").write_bytes(b"x" * 100)
        with pytest.raises(ValueError, match="not an items file"):
            ItemFile(tmp_path / "f", 1)


def _query(**codes):
    return lookups.query(codes.get("asin"), codes.get("upc"), codes.get("ean"), codes.get("domain", "com"))


class TestRefresh:
    def test_each_item_is_what_the_catalog_builds(self, db, tmp_path):
        import_records(db, PRODUCTS)
        assert item_files.refresh(db, tmp_path) == ["DE", "US"]
        with db.reader() as reader:
            for rec in PRODUCTS:
                mp = rec["marketplace"]
                ready = item_files.current(reader, tmp_path, mp)
                stored = orjson.loads(repo.record_texts(reader, mp, [rec["asin"]])[rec["asin"]])
                assert ready.get(rec["asin"]) == orjson.dumps(item(stored, marketplace(mp)))

    def test_a_look_up_reads_the_file_and_not_the_catalog(self, db, tmp_path, monkeypatch):
        import_records(db, PRODUCTS)
        with db.reader() as reader:
            built = lookups.items(reader, _query(upc=UPC), as_json=True, data_dir=tmp_path)
        item_files.refresh(db, tmp_path)
        monkeypatch.setattr(repo, "record_texts", lambda *a: pytest.fail("read the catalog's records"))
        with db.reader() as reader:
            assert lookups.items(reader, _query(upc=UPC), as_json=True, data_dir=tmp_path) == built
            assert [orjson.loads(one)["asin"] for one in
                    lookups.items(reader, _query(asin="B0ZZZZZZZZ,B000000002,0320568407"), as_json=True,
                                  data_dir=tmp_path)] == ["B0ZZZZZZZZ", "0320568407"]

    def test_after_a_catalog_write_the_catalog_answers_until_the_next_refresh(self, db, tmp_path):
        import_records(db, PRODUCTS)
        item_files.refresh(db, tmp_path)
        import_records(db, [product("B000000001", rank=77, updated_at="2030-01-01T00:00:00Z")])
        with db.reader() as reader:
            assert item_files.current(reader, tmp_path, "US") is None
            [one] = lookups.items(reader, _query(asin="B000000001"), as_json=True, data_dir=tmp_path)
        assert orjson.loads(one)["bsr"] == 77
        assert item_files.refresh(db, tmp_path) == ["US"]
        with db.reader() as reader:
            ready = item_files.current(reader, tmp_path, "US")
            assert orjson.loads(ready.get("B000000001"))["bsr"] == 77
            revision = repo.revision(reader, "US")
        assert sorted(p.name for p in (tmp_path / "catalog").glob("US-*.items.bin")) == [f"US-{revision}.items.bin"]

    def test_an_up_to_date_marketplace_is_not_written_again(self, db, tmp_path):
        import_records(db, PRODUCTS)
        assert item_files.refresh(db, tmp_path) == ["DE", "US"]
        assert item_files.refresh(db, tmp_path) == []

    def test_a_write_during_the_build_leaves_no_file(self, db, tmp_path, monkeypatch):
        import_records(db, PRODUCTS[:2])
        real = prepared_items._items

        def written_to_meanwhile(reader, mp):
            yield from real(reader, mp)
            import_records(db, [product("B000000123")])

        monkeypatch.setattr(prepared_items, "_items", written_to_meanwhile)
        assert item_files.refresh(db, tmp_path) == []
        assert list((tmp_path / "catalog").iterdir()) == []
        monkeypatch.setattr(prepared_items, "_items", real)
        assert item_files.refresh(db, tmp_path) == ["US"]
        with db.reader() as reader:
            assert item_files.current(reader, tmp_path, "US").get("B000000123") is not None

    def test_what_a_killed_build_left_is_removed_by_the_next(self, db, tmp_path):
        """Snapshot and items builds alike: a scratch folder of parts, `.tmp` and `.part` files.
        What a build is still writing stays."""
        import_records(db, PRODUCTS)
        folder = tmp_path / "catalog"
        folder.mkdir()
        scratch, live_scratch = folder / ".US-build-k1ll3d", folder / ".US-build-l1v3"
        for f in (scratch, live_scratch):
            f.mkdir()
            (f / "00000.arrow").write_bytes(b"x" * 1000)
        abandoned = [scratch, folder / "US-1.products.tmp", folder / ".US-1.items.bin.999.part",
                     folder / ".US-1.priced.arrow.999.1.part"]
        building = [live_scratch, folder / "US-2.keys.tmp", folder / ".US-2.items.bin.998.part",
                    folder / "DE-2.products.tmp"]
        for path in abandoned[1:] + building[1:]:
            path.write_bytes(b"x")
        old = time.time() - ABANDONED_SECONDS - 1
        for path in [*abandoned, scratch / "00000.arrow", live_scratch]:
            os.utime(path, (old, old))
        snapshots.refresh(db, tmp_path)
        assert [p.exists() for p in abandoned] == [False] * 4
        assert [p.exists() for p in building] == [True] * 4  # live_scratch: its part is new
        (folder / ".US-3.items.bin.996.part").write_bytes(b"x")
        os.utime(folder / ".US-3.items.bin.996.part", (old, old))
        item_files.refresh(db, tmp_path)  # an items refresh on its own looks too
        assert not (folder / ".US-3.items.bin.996.part").exists()

    def test_a_disk_that_takes_no_file_is_logged_and_the_catalog_answers(self, db, tmp_path, caplog):
        import_records(db, PRODUCTS)
        (tmp_path / "catalog").write_text("a file where the folder should be")
        assert item_files.refresh(db, tmp_path) == []
        assert "could not prepare the US look-up items" in caplog.text
        with db.reader() as reader:
            [one] = lookups.items(reader, _query(asin="B000000001"), as_json=True, data_dir=tmp_path)
        assert orjson.loads(one)["bsr"] == 5

    def test_a_missing_file_is_looked_for_again_after_a_while(self, db, tmp_path, monkeypatch):
        import_records(db, PRODUCTS)
        clock = [1000.0]
        monkeypatch.setattr(prepared_items.time, "monotonic", lambda: clock[0])
        with db.reader() as reader:
            assert item_files.current(reader, tmp_path, "US") is None
            revision = repo.revision(reader, "US")
            path = file_for(tmp_path, "US", revision)
            path.parent.mkdir()
            write(path, [("B000000001", b"{}")])  # as another process's refresh would
            assert item_files.current(reader, tmp_path, "US") is None  # looked for a moment ago
            clock[0] += prepared_items.RECHECK_SECONDS
            assert item_files.current(reader, tmp_path, "US").get("B000000001") == b"{}"
