"""RocketSource `/api/v3/convert` and `/api/v3/asin-convert` against the real app and database."""

from __future__ import annotations

import pytest

from tests.catalog.factories import ISBN10, ISBN13, UPC, UPC_SP_API, product
from tests.conftest import import_records


@pytest.fixture
def key(db, new_key):
    import_records(db, [
        product("B000000001", identifiers={"upc": [UPC]}),
        product("B000000006", identifiers={"upc": [UPC]}, amazon_pack_quantity=6),  # multipack
        product("B07N4M94X4", identifiers={"upc": [UPC_SP_API], "gtin": ["00" + UPC_SP_API]}),
        product(ISBN10, identifiers={"isbn": [ISBN10]}, product_group="Book"),
        product("B000000009", marketplace="UK", identifiers={"ean": ["4006144577350"]}),
    ])
    return {"X-Api-Key": new_key().key}


class TestConvert:
    def test_upc_returns_all_matching_asins_first(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [UPC]}, headers=key)
        assert r.status_code == 200
        assert r.json() == {UPC: ["B000000001", "B000000006", "0" + UPC]}

    def test_isbn10_returns_book_asin_then_isbn13(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [ISBN10]}, headers=key)
        assert r.json() == {ISBN10: [ISBN10, ISBN13]}

    def test_isbn13_matches_the_isbn10_book(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [ISBN13]}, headers=key)
        assert r.json()[ISBN13][0] == ISBN10

    def test_ean13_form_of_a_upc_matches(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": ["0" + UPC]}, headers=key)
        assert r.json()["0" + UPC][:2] == ["B000000001", "B000000006"]

    def test_upc_missing_its_leading_zero_matches(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [UPC[1:]]}, headers=key)
        assert r.json()[UPC[1:]][0] == "B000000001"

    def test_unmatched_and_invalid_inputs_are_omitted(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": ["4006144577350", "123", UPC]}, headers=key)
        assert list(r.json()) == [UPC]

    def test_marketplaces_are_separate(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "UK", "ids": [UPC, "4006144577350"]}, headers=key)
        assert r.json() == {"4006144577350": ["B000000009"]}

    def test_more_than_20_ids_is_400_that_says_so(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [UPC] * 21}, headers=key)
        assert r.status_code == 400 and "ids" in r.json()["message"] and "20" in r.json()["message"]

    def test_no_ids_is_400(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": []}, headers=key)
        assert r.status_code == 400 and "ids" in r.json()["message"]

    def test_unknown_marketplace_is_400_naming_it(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "ZZ", "ids": [UPC]}, headers=key)
        assert r.status_code == 400 and "'ZZ'" in r.json()["message"]

    def test_body_that_is_not_json_is_400(self, client, key):
        r = client.post("/api/v3/convert", content=b"ids=1", headers={**key, "Content-Type": "application/json"})
        assert r.status_code == 400 and "JSON" in r.json()["message"]


class TestAsinConvert:
    def test_answers_identifiers_by_family(self, client, key):
        r = client.post("/api/v3/asin-convert", json={"marketplace": "US", "asins": ["B07N4M94X4"]}, headers=key)
        assert r.json() == {"B07N4M94X4": {"upc": [UPC_SP_API], "ean": ["0" + UPC_SP_API],
                                           "isbn": [], "gtin": ["00" + UPC_SP_API], "jan": []}}

    def test_asins_without_identifiers_are_omitted(self, client, key, db):
        import_records(db, [product("B0000000ZZ")])
        r = client.post("/api/v3/asin-convert", json={"marketplace": "US", "asins": ["B0000000ZZ", ISBN10]}, headers=key)
        assert list(r.json()) == [ISBN10]

    def test_more_than_1000_asins_is_400(self, client, key):
        r = client.post("/api/v3/asin-convert", json={"marketplace": "US", "asins": ["B000000001"] * 1001}, headers=key)
        assert r.status_code == 400 and "1000" in r.json()["message"]

    def test_malformed_asin_is_400_naming_its_position(self, client, key):
        r = client.post("/api/v3/asin-convert", json={"marketplace": "US", "asins": ["B000000001", "nope"]}, headers=key)
        assert r.status_code == 400 and "asins[1]" in r.json()["message"]
