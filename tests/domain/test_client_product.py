"""`client_product`: a result's product object as the official TypeScript client types it."""

from __future__ import annotations

from sellerkit.domain.client_product import images_by_marketplace, offers, public_product, without_nulls

US = "ATVPDKIKX0DER"


def product(**fields) -> dict:
    return {"id": 1, "asin": "B000000001", "brand": None, "is_hazmat": None, "images": None,
            "inputs": {"identifier": "036000291452", "cost": 300, "supplier_pack_quantity": 1, "custom_columns": None},
            "financials": {"profit": None, "roi": None}, "amazon_fees": {"error": "fees unknown"},
            "dimensions": {"package_dimensions": {"length": None, "width": None, "height": None, "weight": None}},
            **fields}


class TestPublicProduct:
    def test_nulls_are_left_out_at_any_depth(self):
        out = public_product(product(), None, "US", US)
        assert "brand" not in out and out["financials"] == {} and out["dimensions"]["package_dimensions"] == {}

    def test_required_flags_are_false_when_unknown(self):
        out = public_product(product(), None, "US", US)
        assert (out["is_hazmat"], out["is_adult"], out["favorited"], out["small_and_light_eligible"]) == (
            False, False, False, False)
        assert out["small_and_light_eligible_reasons"] == {} and out["amazon_pack_quantity"] == 1

    def test_no_images_is_an_empty_list(self):
        assert public_product(product(), None, "US", US)["images"] == []

    def test_custom_columns_are_a_list_of_strings(self):
        out = public_product(product(inputs={"custom_columns": ["red", None], "supplier_pack_quantity": 2}),
                             None, "US", US)
        assert out["inputs"]["custom_columns"] == ["red", ""] and out["inputs"]["supplier_pack_quantity"] == 2
        assert public_product(product(), None, "US", US)["inputs"]["custom_columns"] == []

    def test_catalog_fields_pass_through_with_sales_ranks_titled(self):
        record = {"bullet_points": ["a"], "model_number": "M-1", "release_date": "2024-01-02",
                  "sales_ranks": [{"rank": 3, "title": "Puzzles"}, {"rank": 9}], "title": "not passed"}
        out = public_product(product(), record, "US", US)
        assert (out["bullet_points"], out["model_number"], out["release_date"]) == (["a"], "M-1", "2024-01-02")
        assert out["sales_ranks"] == [{"rank": 3, "title": "Puzzles", "raw_title": "Puzzles"},
                                      {"rank": 9, "raw_title": ""}]
        assert "title" not in out

    def test_the_clients_numeric_marketplace_id(self):
        assert public_product(product(), None, "UK", "A1F83G8C2ARO7P")["marketplace_id"] == 4
        assert "marketplace_id" not in public_product(product(), None, "BR", "A2Q3Y263D00KWC")

    def test_discounts_in_basis_points_only_when_given(self):
        out = public_product(product(), None, "US", US, discount_supplier_bp=500, discount_per_product_bp=0)
        assert out["inputs"]["discount_supplier"] == 500 and "discount_per_product" not in out["inputs"]

    def test_dimension_units_only_on_measured_sets(self):
        dims = {"package_dimensions": {"length": 1.0, "width": None, "height": None, "weight": 0.5},
                "item_dimensions": {"length": None, "width": None, "height": None, "weight": None}}
        out = public_product(product(dimensions=dims), None, "US", US)["dimensions"]
        assert out["package_dimensions"] == {"length": 1.0, "weight": 0.5, "length_unit": "inches",
                                             "width_unit": "inches", "height_unit": "inches", "weight_unit": "pounds"}
        assert out["item_dimensions"] == {}


class TestOffers:
    def test_prices_by_condition_and_channel(self):
        got = offers({"lowest_price_new_fba": 1000, "lowest_price_used_fbm": 700, "buybox_price": 1000,
                      "new_fba_offers_count": 2, "new_fbm_offers_count": None, "total_offers_count": 5}, 650)
        assert got["lowest_prices"] == [
            {"condition": "New", "fulfillment_channel": "Amazon", "landed_price": 1000, "listing_price": 1000,
             "shipping": 0},
            {"condition": "Used", "fulfillment_channel": "Merchant", "landed_price": 700, "listing_price": 700,
             "shipping": 0}]
        assert [(b["condition"], b["landed_price"]) for b in got["buy_box_prices"]] == [("New", 1000), ("Used", 650)]
        assert got["number_of_offers"] == [{"condition": "New", "fulfillment_channel": "Amazon", "offer_count": 2}]
        assert got["total_offers_count"] == 5 and "list_price" not in got


class TestImages:
    def test_main_first_then_pt_variants_with_sizes_from_the_url(self):
        urls = ["https://m.media-amazon.com/images/I/1._AC_SL1500_.jpg", "https://x/2.jpg"]
        [by_marketplace] = images_by_marketplace(urls, US)
        assert by_marketplace == {"marketplace_id": US, "image": [
            {"link": urls[0], "variant": "MAIN", "height": 1500, "width": 1500},
            {"link": urls[1], "variant": "PT01", "height": 0, "width": 0}]}

    def test_at_most_the_nine_the_clients_variants_name(self):
        [by_marketplace] = images_by_marketplace([f"https://x/{i}.jpg" for i in range(12)], US)
        assert [i["variant"] for i in by_marketplace["image"]][-1] == "PT08" and len(by_marketplace["image"]) == 9


def test_without_nulls_keeps_falsy_values():
    assert without_nulls({"a": 0, "b": False, "c": "", "d": [], "e": None, "f": [{"g": None}]}) == {
        "a": 0, "b": False, "c": "", "d": [], "f": [{}]}
