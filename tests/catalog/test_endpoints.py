"""RocketSource `/api/v3/convert` and `/api/v3/asin-convert` against the real app and database."""

from __future__ import annotations

import pytest

from sellerkit.domain.eligibility import CODES
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

    def test_says_why_each_code_was_not_converted_beside_the_references_body(self, client, key):
        import json

        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [UPC, "0385086955", "4006144577350",
                                                                             "12345678901234567890"]}, headers=key)
        assert r.status_code == 200 and r.json() == {UPC: ["B000000001", "B000000006", "0" + UPC]}
        assert json.loads(r.headers["X-Not-Converted"]) == {
            "0385086955": "not a valid code: check digit is 5, expected 4 (ISBN-10)",
            "4006144577350": "no product with this EAN in the US catalog",
            "12345678901234567890": "not a valid code: 20 digits: too long for any product code (a GTIN-14 has 14 digits)",
        }

    def test_every_code_converted_sends_no_reasons(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [UPC]}, headers=key)
        assert "X-Not-Converted" not in r.headers

    def test_a_code_longer_than_any_spelling_is_400_naming_it_and_the_limit(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [UPC, "9" * 100_000]}, headers=key)
        assert r.status_code == 400 and r.json()["message"] == "ids[1]: String should have at most 64 characters"

    def test_unknown_body_key_is_400_naming_it(self, client, key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [UPC], "id": ["x"]}, headers=key)
        assert r.status_code == 400 and r.json()["message"] == "id: unknown field; did you mean ids?"

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
        assert r.status_code == 400 and '"ZZ"' in r.json()["message"]

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


class TestInboundEligibility:
    """`GET /api/v3/inbound-eligibility`, SP-API unconfigured unless a test fakes Amazon."""

    BOX = {"length": 10, "width": 8, "height": 3, "weight": 1.2}

    @pytest.fixture
    def key(self, db, new_key, client):
        from sellerkit.catalog.spapi import SpApiClient

        client.app.state.spapi = SpApiClient(None)  # whatever the environment says
        import_records(db, [
            product("B000000001", package_dimensions=self.BOX),
            product("B000000002"),
            product("B000000003", package_dimensions=self.BOX, is_hazmat=True),
            product("B000000004", package_dimensions=self.BOX, is_adult=True),
            product("B000000005", marketplace="UK", package_dimensions=self.BOX),
        ])
        return {"X-Api-Key": new_key().key}

    def _get(self, client, key, **params):
        return client.get("/api/v3/inbound-eligibility", params=params, headers=key)

    def _answers(self, client, key, **params) -> dict[str, dict]:
        r = self._get(client, key, **params)
        assert r.status_code == 200, r.text
        return {item["asin"]: item for item in r.json()}

    def test_answers_an_array_of_the_reference_object_with_asin_and_source(self, client, key):
        r = self._get(client, key, asins="B000000001,B000000002")
        assert r.status_code == 200, r.text
        assert [item["asin"] for item in r.json()] == ["B000000001", "B000000002"]
        answer = r.json()[0]
        assert set(answer) == {"asin", "eligible", "updated_at", "ineligible_codes", "source"}
        assert answer["eligible"] is True and answer["ineligible_codes"] == [] and answer["source"] == "rules"
        assert isinstance(answer["updated_at"], int) and answer["updated_at"] > 1_700_000_000

    def test_an_ineligible_answer_says_why_in_words(self, client, key):
        answer = self._answers(client, key, asins="B000000003")["B000000003"]
        assert answer["eligible"] is False and answer["ineligible_codes"] == ["FBA_INB_0016"]
        assert answer["restrictions"] == [CODES["FBA_INB_0016"]] and answer["reason"] == CODES["FBA_INB_0016"]

    def test_rules_give_a_code_per_catalog_flag(self, client, key):
        answers = self._answers(client, key, asins="B000000002,B000000003,B000000004,B000000099")
        assert {a: v["ineligible_codes"] for a, v in answers.items()} == {
            "B000000002": ["FBA_INB_0004"],  # no package dimensions
            "B000000003": ["FBA_INB_0016"],  # hazmat
            "B000000004": [],  # adult: no inbound code
            "B000000099": ["FBA_INB_0017"],  # not in the catalog
        }

    def test_marketplace_defaults_to_us(self, client, key):
        assert self._answers(client, key, asins="B000000005")["B000000005"]["ineligible_codes"] == ["FBA_INB_0017"]
        assert self._answers(client, key, asins="B000000005", marketplace="UK")["B000000005"]["eligible"] is True

    def test_100_asins_are_answered(self, client, key):
        r = self._get(client, key, asins=",".join(f"B0000{i:05d}" for i in range(100)))
        assert r.status_code == 200 and len(r.json()) == 100

    def test_more_than_100_asins_is_400_that_says_so(self, client, key):
        r = self._get(client, key, asins=",".join(f"B0000{i:05d}" for i in range(101)))
        assert r.status_code == 400 and "asins" in r.json()["message"] and "100" in r.json()["message"]

    def test_an_asin_longer_than_any_spelling_is_400_naming_the_limit(self, client, key):
        r = self._get(client, key, asins="B000000001," + "B" * 3000)
        assert r.status_code == 400
        assert r.json()["message"] == "asins[1]: 3,000 characters; an ASIN has 10 (at most 64 as written)"

    def test_no_asins_is_400(self, client, key):
        r = self._get(client, key, asins="")
        assert r.status_code == 400 and "asins" in r.json()["message"]

    def test_missing_asins_parameter_is_400_naming_it(self, client, key):
        r = client.get("/api/v3/inbound-eligibility", headers=key)
        assert r.status_code == 400 and "asins" in r.json()["message"]

    def test_malformed_asin_is_400_naming_it(self, client, key):
        r = self._get(client, key, asins="B000000001,12AB")
        assert r.status_code == 400 and "asins[1]" in r.json()["message"] and '"12AB"' in r.json()["message"]

    def test_unknown_marketplace_is_400_naming_it(self, client, key):
        r = self._get(client, key, asins="B000000001", marketplace="ZZ")
        assert r.status_code == 400 and '"ZZ"' in r.json()["message"]

    def test_key_is_required(self, client, key):
        r = client.get("/api/v3/inbound-eligibility", params={"asins": "B000000001"})
        assert r.status_code == 401

    def test_amazons_answer_is_stored_and_served_from_the_cache(self, client, key):
        from tests.catalog.spapi_fakes import FakeAmazon, FakeTime

        amazon = FakeAmazon()
        client.app.state.spapi = amazon.client(FakeTime())
        first = self._answers(client, key, asins="B000000002")["B000000002"]
        second = self._answers(client, key, asins="B000000002")["B000000002"]
        assert (first["source"], first["eligible"]) == ("sp-api", True)
        assert second == {**first, "source": "cache"} and len(amazon.calls) == 1


class TestConvertLostLeadingZeros:
    """Issue 20: spreadsheets drop every leading zero; convert reads such codes as scans do."""

    @pytest.fixture
    def zeros_key(self, db, new_key):
        import_records(db, [
            product("B000000011", identifiers={"upc": ["001595255882"]}),
            product(ISBN_BOTH, identifiers={"isbn": [ISBN_BOTH]}, product_group="Book"),
            product("B000000012", identifiers={"upc": ["00" + ISBN_BOTH]}),
        ])
        return {"X-Api-Key": new_key().key}

    def test_a_upc_that_lost_two_zeros_converts(self, client, zeros_key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": ["1595255882"]}, headers=zeros_key)
        assert r.json()["1595255882"][0] == "B000000011"

    def test_a_code_valid_both_ways_converts_to_every_product_it_reaches(self, client, zeros_key):
        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": [ISBN_BOTH]}, headers=zeros_key)
        assert r.json()[ISBN_BOTH][:2] == sorted([ISBN_BOTH, "B000000012"])

    def test_an_unmatched_restored_code_says_how_it_was_read(self, client, zeros_key):
        import json

        r = client.post("/api/v3/convert", json={"marketplace": "US", "ids": ["2595255889"]}, headers=zeros_key)
        assert json.loads(r.headers["X-Not-Converted"]) == {"2595255889": (
            "no product with this UPC in the US catalog "
            "(read as UPC 002595255889: restored 2 leading zeros lost by a spreadsheet)")}


ISBN_BOTH = "1000000052"  # a valid ISBN-10, and UPC 001000000052 without its zeros
