"""What the hot routes derive from the catalog, held per catalog revision (`catalog.cache`), and
the look-up and convert replies staying current through catalog writes."""

from __future__ import annotations

import pytest

from sellerkit.catalog.cache import RevisionCache
from tests.catalog.factories import UPC, product
from tests.conftest import import_records

OTHER_UPC = "012345678905"


class Calls:
    """A `derive` function that counts the keys it was asked for."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def __call__(self, keys: list[str]) -> dict[str, str]:
        self.asked.append(list(keys))
        return {k: f"value of {k}" for k in keys if not k.startswith("absent")}


@pytest.fixture
def catalog(db):
    import_records(db, [product("B000000001", identifiers={"upc": [UPC]})])


class TestRevisionCache:
    def test_derives_what_it_does_not_hold(self, db, catalog):
        cache, derive = RevisionCache(capacity=10), Calls()
        with db.reader() as reader:
            assert cache.get_many(reader, "US", ["a", "b"], derive) == {"a": "value of a", "b": "value of b"}
        assert derive.asked == [["a", "b"]]

    def test_holds_what_it_derived_while_the_catalog_is_unchanged(self, db, catalog):
        cache, derive = RevisionCache(capacity=10), Calls()
        with db.reader() as reader:
            cache.get_many(reader, "US", ["a"], derive)
            assert cache.get_many(reader, "US", ["a", "b"], derive) == {"a": "value of a", "b": "value of b"}
        assert derive.asked == [["a"], ["b"]]

    def test_holds_a_key_known_absent_as_none(self, db, catalog):
        cache, derive = RevisionCache(capacity=10), Calls()
        with db.reader() as reader:
            assert cache.get_many(reader, "US", ["absent"], derive) == {"absent": None}
            assert cache.get_many(reader, "US", ["absent"], derive) == {"absent": None}
        assert derive.asked == [["absent"]]

    def test_derives_again_after_a_catalog_write(self, db, catalog):
        cache, derive = RevisionCache(capacity=10), Calls()
        with db.reader() as reader:
            cache.get_many(reader, "US", ["a"], derive)
            import_records(db, [product("B000000002")])
            cache.get_many(reader, "US", ["a"], derive)
        assert derive.asked == [["a"], ["a"]]

    def test_a_write_to_another_marketplace_keeps_what_it_holds(self, db, catalog):
        cache, derive = RevisionCache(capacity=10), Calls()
        with db.reader() as reader:
            cache.get_many(reader, "US", ["a"], derive)
            import_records(db, [product("B000000002", marketplace="DE")])
            cache.get_many(reader, "US", ["a"], derive)
        assert derive.asked == [["a"]]

    def test_drops_the_oldest_entry_past_its_capacity(self, db, catalog):
        cache, derive = RevisionCache(capacity=2), Calls()
        with db.reader() as reader:
            cache.get_many(reader, "US", ["a", "b", "c"], derive)
            cache.get_many(reader, "US", ["b", "c", "a"], derive)
        assert derive.asked == [["a", "b", "c"], ["a"]]

    def test_keys_asked_once_do_not_drop_a_key_asked_again(self, db, catalog):
        cache, derive = RevisionCache(capacity=5), Calls()
        with db.reader() as reader:
            cache.get_many(reader, "US", ["hot"], derive)
            cache.get_many(reader, "US", ["hot"], derive)
            for n in range(20):
                cache.get_many(reader, "US", [f"once-{n}"], derive)
            cache.get_many(reader, "US", ["hot", "once-19", "once-0"], derive)
        assert derive.asked == [["hot"], *([f"once-{n}"] for n in range(20)), ["once-0"]]

    def test_keys_asked_again_past_their_share_go_back_among_the_others(self, db, catalog):
        cache, derive = RevisionCache(capacity=5), Calls()  # 4 kept apart at most
        with db.reader() as reader:
            for keys in (["a", "b", "c", "d", "e"], ["a", "b", "c", "d", "e"], ["f"], ["g"]):
                cache.get_many(reader, "US", keys, derive)
            cache.get_many(reader, "US", ["a", "b", "c", "d", "e"], derive)
        assert derive.asked == [["a", "b", "c", "d", "e"], ["f"], ["g"], ["a"]]

    def test_answers_every_key_asked_even_past_its_capacity(self, db, catalog):
        cache = RevisionCache(capacity=1)
        with db.reader() as reader:
            assert cache.get_many(reader, "US", ["a", "b"], Calls()) == {"a": "value of a", "b": "value of b"}

    def test_holds_nothing_for_another_database_at_its_first_revision(self, db, catalog, tmp_path):
        from sellerkit.kit.db import Database

        other = Database(f"sqlite:///{tmp_path / 'other.db'}")
        other.migrate()
        import_records(other, [product("B000000001", identifiers={"upc": [UPC]})])
        cache, derive = RevisionCache(capacity=10), Calls()
        with db.reader() as reader:
            cache.get_many(reader, "US", ["a"], derive)
        with other.reader() as reader:
            cache.get_many(reader, "US", ["a"], derive)
        other.dispose()
        assert derive.asked == [["a"], ["a"]]


@pytest.fixture
def pro(new_key):
    return new_key("pro-seller", plan="pro").key


class TestRepliesAfterCatalogWrites:
    def test_lookup_shows_a_product_changed_after_it_was_looked_up(self, client, db, catalog, pro):
        params = {"key": pro, "asin": "B000000001"}
        assert client.get("/products/lookup", params=params).json()["items"][0]["title"] == "Product B000000001"
        import_records(db, [product("B000000001", title="Renamed", identifiers={"upc": [UPC]},
                                    updated_at="2030-01-01T00:00:00Z")])
        assert client.get("/products/lookup", params=params).json()["items"][0]["title"] == "Renamed"

    def test_lookup_finds_a_product_added_after_it_was_missed(self, client, db, catalog, pro):
        params = {"key": pro, "upc": OTHER_UPC}
        assert client.get("/products/lookup", params=params).json()["items"] == []
        import_records(db, [product("B000000003", identifiers={"upc": [OTHER_UPC]})])
        assert [i["asin"] for i in client.get("/products/lookup", params=params).json()["items"]] == ["B000000003"]

    def test_convert_finds_a_code_added_after_it_was_not_converted(self, client, db, catalog, pro):
        body = {"marketplace": "US", "ids": [OTHER_UPC]}
        headers = {"Authorization": f"Bearer {pro}"}
        assert client.post("/api/v3/convert", json=body, headers=headers).json() == {}
        import_records(db, [product("B000000003", identifiers={"upc": [OTHER_UPC]})])
        assert client.post("/api/v3/convert", json=body, headers=headers).json()[OTHER_UPC][0] == "B000000003"
