"""Listings Items bodies and verdicts (pure): what a listing sends, and what Amazon's answer means."""

from __future__ import annotations

import json

import pytest

from sellerkit.domain import listings_items as li
from sellerkit.domain.marketplaces import marketplace
from tests.conftest import FIXTURES

US, UK, JP = marketplace("US"), marketplace("UK"), marketplace("JP")
EXAMPLES = FIXTURES / "sp-api-models" / "examples" / "listingsItems_2021-08-01"


def _example(name: str) -> dict:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"shared fixture not found: {path}")
    body = json.loads(path.read_text())
    return body.get("response", body)


def offer(**kw) -> li.Offer:
    return li.Offer(**{"sku": "S1", "asin": "B07G22S48Q", "condition": "new", "price": 1999, "quantity": 4,
                       "fba": False, **kw})


class TestOfferBody:
    def test_is_an_offer_only_listing_of_product_type_product(self):
        body = li.offer_body(offer(), US)
        assert (body["productType"], body["requirements"]) == ("PRODUCT", "LISTING_OFFER_ONLY")

    def test_names_the_asin_condition_and_price_for_the_marketplace(self):
        attrs = li.offer_body(offer(condition="very_good"), US)["attributes"]
        assert attrs["merchant_suggested_asin"] == [{"value": "B07G22S48Q", "marketplace_id": US.marketplace_id}]
        assert attrs["condition_type"] == [{"value": "used_very_good", "marketplace_id": US.marketplace_id}]
        assert attrs["purchasable_offer"] == [{"currency": "USD", "our_price": [{"schedule": [{"value_with_tax": 19.99}]}],
                                               "marketplace_id": US.marketplace_id}]

    def test_merchant_fulfilled_sends_the_quantity_on_the_default_channel(self):
        attrs = li.offer_body(offer(quantity=7), US)["attributes"]
        assert attrs["fulfillment_availability"] == [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}]

    @pytest.mark.parametrize(("mp", "code"), [(US, "AMAZON_NA"), (UK, "AMAZON_EU"), (JP, "AMAZON_JP")])
    def test_fba_sends_amazons_fulfilment_channel_and_no_quantity(self, mp, code):
        attrs = li.offer_body(offer(fba=True), mp)["attributes"]
        assert attrs["fulfillment_availability"] == [{"fulfillment_channel_code": code}]

    def test_yen_prices_have_no_minor_unit(self):
        attrs = li.offer_body(offer(price=1980), JP)["attributes"]
        assert attrs["purchasable_offer"][0]["our_price"][0]["schedule"][0]["value_with_tax"] == 1980

    def test_a_product_type_given_by_the_seller_is_sent(self):
        assert li.offer_body(offer(product_type="LUGGAGE"), US)["productType"] == "LUGGAGE"

    @pytest.mark.parametrize(("kw", "said"), [({"condition": "salvage"}, "no condition"), ({"asin": None}, "ASIN"),
                                              ({"price": None}, "retail_price")])
    def test_what_amazon_cannot_take_is_refused_before_asking(self, kw, said):
        with pytest.raises(li.OfferRefused, match=said):
            li.offer_body(offer(**kw), US)


class TestPatchBody:
    def test_replaces_price_and_quantity(self):
        body = li.patch_body(None, US, price=2500, quantity=3)
        assert body["productType"] == "PRODUCT"
        assert [(p["op"], p["path"]) for p in body["patches"]] == [
            ("replace", "/attributes/purchasable_offer"), ("replace", "/attributes/fulfillment_availability")]

    def test_leaves_out_an_fba_quantity_which_is_amazons(self):
        assert li.patch_body(None, US, quantity=3, fba=True) is None


class TestVerdicts:
    def test_an_accepted_submission_is_live(self):
        verdict = li.submission_verdict(_example("putListingsItem.200.example.json"))
        assert verdict == li.Verdict("active", "okay_to_ship", None)

    def test_an_invalid_submission_gives_the_error_status_with_amazons_issues(self):
        verdict = li.submission_verdict(_example("putListingsItem.200.sandbox-static-2.json"))
        assert verdict.list_status == li.MARKETPLACE_ERROR and verdict.marketplace_status == "error"
        assert "90220: 'condition_type' is required but not supplied. [condition_type]" in verdict.detail

    def test_warnings_are_kept_in_the_detail_of_a_live_listing(self):
        reply = {"status": "ACCEPTED", "issues": [{"code": "W1", "message": "check the price", "severity": "WARNING"},
                                                  {"code": "I1", "message": "fyi", "severity": "INFO"}]}
        assert li.submission_verdict(reply) == li.Verdict("active", "okay_to_ship", "WARNING W1: check the price")

    def test_errors_come_before_warnings(self):
        _, detail = li.issues_detail([{"code": "W", "message": "w", "severity": "WARNING"},
                                      {"code": "E", "message": "e", "severity": "ERROR"}])
        assert detail == "ERROR E: e; WARNING W: w"

    def test_issues_of_other_marketplaces_are_left_out(self):
        issues = [{"code": "E", "message": "e", "severity": "ERROR", "marketplaceIds": ["A2EUQ1WTGCTBG2"]}]
        assert li.issues_detail(issues, US.marketplace_id) == (False, None)

    def test_get_listings_item_with_error_issues_is_an_error_though_buyable(self):
        verdict = li.item_verdict(_example("getListingsItem.200.example.json"), US.marketplace_id)
        assert (verdict.marketplace_status, verdict.list_status) == ("active", li.MARKETPLACE_ERROR)
        assert verdict.detail.startswith("ERROR 90220: 'size' is required")

    def test_get_listings_item_not_buyable_is_inactive(self):
        item = {"summaries": [{"marketplaceId": US.marketplace_id, "status": ["DISCOVERABLE"]}], "issues": []}
        assert li.item_verdict(item, US.marketplace_id) == li.Verdict("inactive", "okay_to_ship", None)
