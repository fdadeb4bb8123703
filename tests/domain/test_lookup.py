"""Tests for sellerkit.domain.lookup: ASINScope queries and items."""

from __future__ import annotations

import pytest

from sellerkit.domain.lookup import InvalidLookup, item, parse_query
from sellerkit.domain.marketplaces import MARKETPLACES

US, DE, JP = MARKETPLACES["US"], MARKETPLACES["DE"], MARKETPLACES["JP"]


class TestParseQuery:
    def test_asins_are_upper_cased_and_deduplicated(self):
        query = parse_query("b088h39pxx, B088H39PXX,B00NNUMI86", None, None, None)
        assert (query.family, query.codes, query.cost) == ("asin", ("B088H39PXX", "B00NNUMI86"), 2)

    def test_upc_is_keyed_by_its_gtin(self):
        assert parse_query(None, "36000291452", None, "com").codes == ("00036000291452",)

    def test_upc_and_its_ean_are_one_code(self):
        assert parse_query(None, None, "036000291452,0036000291452", None).cost == 1

    @pytest.mark.parametrize("domain, code", [("com", "US"), ("uk", "UK"), ("de", "DE"), ("jp", "JP"),
                                              ("mx", "MX"), ("in", "IN"), ("AU", "AU")])
    def test_domain_maps_to_marketplace(self, domain, code):
        assert parse_query("B088H39PXX", None, None, domain).marketplace.code == code

    def test_default_domain_is_com(self):
        assert parse_query("B088H39PXX", None, None, None).marketplace.code == "US"

    @pytest.mark.parametrize("domain", ["br", "sg", "amazon.com", "US", "xx"])
    def test_rejects_domains_the_reference_does_not_list(self, domain):
        with pytest.raises(InvalidLookup, match="^domain: unknown domain"):
            parse_query("B088H39PXX", None, None, domain)

    def test_rejects_more_than_ten_codes(self):
        with pytest.raises(InvalidLookup, match="11 codes given; send at most 10"):
            parse_query(",".join(["B088H39PXX"] * 11), None, None, None)

    def test_rejects_two_identifier_types(self):
        with pytest.raises(InvalidLookup, match="^upc and ean: send one identifier type"):
            parse_query(None, "036000291452", "4006381333931", None)

    def test_rejects_no_identifier(self):
        with pytest.raises(InvalidLookup, match="one is required"):
            parse_query(None, None, None, None)

    def test_rejects_a_code_with_a_bad_check_digit_saying_why(self):
        with pytest.raises(InvalidLookup, match='^ean: "4006381333932"'):
            parse_query(None, None, "4006381333932", None)


class TestItem:
    def test_lowest_new_offer_wins_over_buy_box(self):
        rec = {"asin": "B1", "lowest_price_new_fba": 2500, "lowest_price_new_fbm": 2279, "buybox_price": 2100}
        assert item(rec, US)["lowestNewPrice"] == 22.79

    def test_buy_box_when_no_new_offer_price_is_known(self):
        assert item({"asin": "B1", "buybox_price": 999}, US)["lowestFormattedPrice"] == "$9.99"

    def test_no_price_is_null(self):
        it = item({"asin": "B1"}, US)
        assert (it["lowestNewPrice"], it["lowestFormattedPrice"]) == (None, None)

    def test_euro_prices_are_written_as_amazon_writes_them(self):
        assert item({"asin": "B1", "buybox_price": 123456}, DE)["lowestFormattedPrice"] == "1.234,56 €"

    def test_yen_price_is_whole_yen(self):
        assert item({"asin": "B1", "buybox_price": 1980}, JP)["lowestNewPrice"] == 1980

    def test_upc_is_listed_as_its_ean_too(self):
        it = item({"asin": "B1", "identifiers": {"upc": ["036000291452"]}}, US)
        assert (it["upcList"], it["eanList"]) == (["036000291452"], ["0036000291452"])

    def test_ean_starting_with_zero_is_listed_as_its_upc_too(self):
        it = item({"asin": "B1", "identifiers": {"ean": ["0036000291452"]}}, US)
        assert (it["upc"], it["ean"]) == ("036000291452", "0036000291452")

    def test_new_offers_add_fba_and_merchant(self):
        assert item({"asin": "B1", "new_fba_offers_count": 3, "new_fbm_offers_count": 2}, US)["totalNew"] == 5

    def test_mpn_falls_back_to_part_number(self):
        assert item({"asin": "B1", "part_number": "X-1"}, US)["mpn"] == "X-1"

    def test_first_image_is_small_and_medium(self):
        it = item({"asin": "B1", "images": ["a.jpg", "b.jpg"]}, US)
        assert (it["smallImage"], it["mediumImage"], it["images"]) == ("a.jpg", "a.jpg", ["a.jpg", "b.jpg"])

    def test_missing_fields_are_null_or_empty(self):
        it = item({"asin": "B1"}, US)
        assert (it["packageDimensions"], it["upcList"], it["images"], it["soldByAmazon"]) == (None, [], [], False)
