"""The pure rules of tracked collections: marketplaces and their ids, postcodes, result file names
and pages, credits, and what changed between two runs."""

from __future__ import annotations

import re

import pytest

from sellerkit.domain import capture
from sellerkit.domain.marketplaces import MARKETPLACES


class TestDomains:
    def test_amazon_com_au_is_1_as_on_the_service_and_every_marketplace_has_one_id(self):
        assert capture.DOMAINS[1].domain == "amazon.com.au"
        assert sorted(d.market.code for d in capture.DOMAINS.values()) == sorted(MARKETPLACES)
        assert list(capture.DOMAINS) == list(range(1, len(MARKETPLACES) + 1))

    def test_the_wire_form_has_the_fields_clients_read(self):
        uk = capture.domain_by_name("amazon.co.uk")
        assert uk.wire() == {"id": uk.id, "domain": "amazon.co.uk", "country_code": "GB", "supplier_type": "scraping",
                             "status": "active", "postcode_regex": uk.postcode_regex}
        assert uk.short() == {"id": uk.id, "domain": "amazon.co.uk", "supplier_type": "scraping"}

    @pytest.mark.parametrize("value, found", [(1, "amazon.com.au"), ("1", "amazon.com.au"), (0, None), (999, None),
                                              ("x", None), (None, None), (1.0, "amazon.com.au")])
    def test_by_id(self, value, found):
        got = capture.domain_by_id(value)
        assert (got.domain if got else None) == found

    @pytest.mark.parametrize("value, found", [("amazon.de", "amazon.de"), (" Amazon.DE ", "amazon.de"),
                                              ("www.amazon.de", "amazon.de"), ("https://www.amazon.de/", "amazon.de"),
                                              ("amazon.nowhere", None), (3, None), (None, None)])
    def test_by_name(self, value, found):
        got = capture.domain_by_name(value)
        assert (got.domain if got else None) == found

    @pytest.mark.parametrize("domain, good, bad", [
        ("amazon.com", ["10001", "10001-1234"], ["1000", "ABCDE", "10001-12"]),
        ("amazon.co.uk", ["SW1A 1AA", "m1 1ae", "EC1A1BB"], ["12345", "SW1A"]),
        ("amazon.de", ["10115"], ["1011", "D-10115"]),
        ("amazon.co.jp", ["100-0001", "1000001"], ["100-001"]),
        ("amazon.ca", ["K1A 0B1", "k1a0b1"], ["K1A 0B"]),
        ("amazon.com.au", ["4000"], ["40000"]),
    ])
    def test_postcodes_in_each_countrys_format(self, domain, good, bad):
        d = capture.domain_by_name(domain)
        assert all(d.valid_postcode(p) for p in good) and not any(d.valid_postcode(p) for p in bad)


class TestFiles:
    def test_names_are_the_services_with_a_safe_collection_name(self):
        assert capture.page_file("Watch list", 7, 2) == "Watch_list_7_Results_Page_2.json"
        assert capture.zip_file("Watch list", 7) == "Watch_list_7_Results_All_Pages.zip"
        assert capture.safe_name("../../etc/passwd") == "etc_passwd"
        assert capture.safe_name("???") == "Collection"
        assert re.fullmatch(r"[A-Za-z0-9_-]{80}", capture.safe_name("x" * 300))

    @pytest.mark.parametrize("items, pages", [(0, 0), (1, 1), (500, 1), (501, 2), (5000, 10)])
    def test_pages_hold_at_most_500_items(self, items, pages):
        assert capture.page_count(items) == pages


class TestCredits:
    def test_spendable_is_available_less_used_and_frozen(self):
        assert capture.spendable(500, 100, 50) == 350

    def test_the_refusal_says_what_is_needed_and_what_is_left(self):
        assert capture.credit_refusal(3, 10, 5, 3) == "Not enough credits — you need 3 but have 2 remaining."
        assert capture.credit_refusal(3, 10, 5, 2) is None
        assert capture.credit_refusal(1, 10, 11, 0) == "Not enough credits — you need 1 but have 0 remaining."


class TestChanges:
    def test_price_and_availability_changes_are_listed_new_items_are_not(self):
        before = {1: {"asin": "B1", "price": "$10.00", "availability": "In Stock", "in_stock": True, "title": "a"},
                  2: {"asin": "B2", "price": "$5.00", "availability": "In Stock", "in_stock": True}}
        now = {1: {"asin": "B1", "custom_id": "x", "price": "$12.00", "availability": "In Stock", "in_stock": True,
                   "title": "b"},
               2: {"asin": "B2", "price": "$5.00", "availability": "In Stock", "in_stock": True},
               3: {"asin": "B3", "price": "$1.00"}}
        assert capture.changes(before, now) == [
            {"asin": "B1", "custom_id": "x", "changes": {"price": {"before": "$10.00", "after": "$12.00"}}}]

    def test_going_out_of_stock_is_a_change(self):
        before = {1: {"asin": "B1", "availability": "In Stock", "in_stock": True}}
        now = {1: {"asin": "B1", "availability": "Currently unavailable", "in_stock": False}}
        assert capture.changes(before, now)[0]["changes"] == {
            "availability": {"before": "In Stock", "after": "Currently unavailable"},
            "in_stock": {"before": True, "after": False}}
