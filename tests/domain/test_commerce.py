"""Pure rules of the commerce surface: wire ids, listing checks, stock arithmetic."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from sellerkit.domain import commerce as rules
from sellerkit.domain.commerce_ids import IdCodec

KEY = bytes(range(32))


class TestIdCodec:
    @given(st.integers(1, 2**63 - 1))
    def test_round_trips(self, n):
        codec = IdCodec(KEY)
        text = codec.encode("product", n)
        assert len(text) == 24 and text == text.lower() and codec.decode("product", text) == n

    def test_an_id_of_another_kind_decodes_to_nothing(self):
        codec = IdCodec(KEY)
        assert codec.decode("order", codec.encode("product", 7)) is None

    def test_another_installation_s_key_decodes_to_nothing(self):
        assert IdCodec(bytes(32)).decode("product", IdCodec(KEY).encode("product", 7)) is None

    @pytest.mark.parametrize("text", ["", "zz", "0" * 23, "g" * 24, None, 5, "0" * 25])
    def test_malformed_decodes_to_nothing(self, text):
        assert IdCodec(KEY).decode("product", text) is None

    def test_consecutive_ids_look_unrelated(self):
        codec = IdCodec(KEY)
        a, b = codec.encode("product", 1), codec.encode("product", 2)
        assert sum(x != y for x, y in zip(a, b)) > 12

    def test_short_key_is_refused(self):
        with pytest.raises(ValueError):
            IdCodec(b"short")


def facts(**kw) -> rules.ListingFacts:
    base = dict(asin="B07G22S48Q", upc=None, title="T", sku="S", brand=None, amazon=True, fba=False)
    return rules.ListingFacts(**{**base, **kw})


class TestListingChecks:
    def test_okay(self):
        assert rules.check_listing(facts()) == rules.Verdict("okay_to_ship")

    def test_missing_title_and_asin_named_together(self):
        v = rules.check_listing(facts(asin=None, title=" "))
        assert v.status == "missing_required_fields" and v.detail == "required fields missing: title, asin"

    def test_asin_not_required_off_amazon(self):
        assert rules.check_listing(facts(asin=None, amazon=False)).status == "okay_to_ship"

    def test_bad_upc_check_digit(self):
        v = rules.check_listing(facts(upc="036000291453"))
        assert v.status == "invalid_identifier" and "check digit" in v.detail

    def test_hazmat_only_for_fba(self):
        record = {"is_hazmat": True}
        assert rules.check_listing(facts(catalog=record, fba=True)).status == "hazmat"
        assert rules.check_listing(facts(catalog=record, fba=False)).status == "okay_to_ship"

    def test_meltable_in_season_for_fba(self):
        record = {"is_meltable": True}
        assert rules.check_listing(facts(catalog=record, fba=True, on=date(2026, 7, 1))).status == "restricted_listing"
        assert rules.check_listing(facts(catalog=record, fba=True, on=date(2026, 12, 1))).status == "okay_to_ship"

    def test_adult_is_restricted(self):
        assert rules.check_listing(facts(catalog={"is_adult": True})).status == "restricted_listing"

    def test_blocked_brand_from_the_catalog_when_the_listing_has_none(self):
        v = rules.check_listing(facts(catalog={"brand": "Acme"}, blocked_brands=frozenset({"acme"})))
        assert v.status == "restricted_brand"

    def test_further_problems_in_detail_2(self):
        v = rules.check_listing(facts(duplicate_sku=True, brand="X", blocked_brands=frozenset({"x"})))
        assert v.status == "duplicate_sku" and "restricted brand" in v.detail_2


class TestStock:
    @given(st.lists(st.integers(0, 50), max_size=5), st.integers(0, 300))
    def test_spread_total_sums_to_target_when_it_can(self, quantities, target):
        new = rules.spread_total(quantities, target)
        assert all(q >= 0 for q in new)
        assert sum(new) == (target if quantities else 0)

    def test_decrease_takes_in_priority_order(self):
        assert rules.spread_total([2, 5, 5], 6) == [0, 1, 5]

    def test_increase_goes_to_the_first(self):
        assert rules.spread_total([2, 5], 10) == [5, 5]

    @pytest.mark.parametrize("option,expected", [("inc_quantity", 7), ("replace_quantity", 4), ("skip", 3)])
    def test_merged_quantity(self, option, expected):
        assert rules.merged_quantity(option, 3, 4) == expected


class TestCodes:
    def test_every_spelling_of_a_upc_shares_a_key(self):
        assert rules.upc_key("036000291452") == rules.upc_key("0036000291452") == "00036000291452"

    def test_invalid_code_has_no_key(self):
        assert rules.upc_key("123") is None and rules.upc_key("B07G22S48Q") is None

    def test_tags_key_is_the_set(self):
        assert rules.tags_key(["b", "a", "b", " "]) == rules.tags_key(["a", "b"]) != rules.tags_key(["a"])

    def test_folder_numbers_round_trip(self):
        assert rules.folder_of_number(rules.folder_number(12, 4)) == (12, rules.FOLDERS[4])
        assert rules.folder_of_number(6) is None and rules.folder_of_number(8 * 3 + 7) is None

    @pytest.mark.parametrize("given,kind", [("amazon", "AmazonAccount"), ("EbayAccount", "EbayAccount"),
                                            ("WALMART", "WalmartAccount")])
    def test_channel_type(self, given, kind):
        assert rules.channel_type(given) == kind
