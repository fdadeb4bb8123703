"""`client_product`: a result's product object as the official TypeScript client types it."""

from __future__ import annotations

import random

import orjson
import polars as pl

from sellerkit.domain import results
from sellerkit.domain.client_product import (images_by_marketplace, offers, page_builder, public_product,
                                             record_part, without_nulls)
from sellerkit.domain.results import ALL_PRODUCT_FIELDS, Kind, product_object

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


class TestPageBuilder:
    """`page_builder` (a page's rows as tuples, nulls dropped by the object's plan) answers what
    `public_product` of each row's `product_object` does, to the byte: keys in the same order."""

    @staticmethod
    def value(rng: random.Random, column: str, kind: Kind):
        if rng.random() < 0.3:
            return None
        if column == "images":
            return rng.choice([[], [""], ["https://m.media-amazon.com/images/I/1._AC_SL1500_.jpg", "https://x/2.jpg"],
                               [f"https://x/{i}._SX300_.jpg" for i in range(11)]])
        return {
            Kind.TEXT: lambda: rng.choice(["", "Acme", "B000000001", "ünï"]),
            Kind.INT: lambda: rng.choice([0, 1, -3, 12_000]),
            Kind.MONEY: lambda: rng.choice([0, 1, 2499, -150]),
            Kind.RATIO: lambda: rng.choice([0, 3000, -1250]),
            Kind.FLOAT: lambda: rng.choice([0.0, 1.25, float("nan")]),
            Kind.BOOL: lambda: rng.choice([True, False]),
            Kind.TEXTS: lambda: rng.choice([[], ["red", None], ["012345678905"]]),
        }[kind]()

    @staticmethod
    def record(rng: random.Random) -> dict | None:
        return rng.choice([
            None, {},
            {"buybox_price_used": 650, "bullet_points": ["a", None], "model_number": None,
             "variations_list": [{"asin": "B1", "size": None}],
             "sales_ranks": [{"rank": 3, "title": "Toys"}, {"rank": 9, "title": None}, {"rank": "x"}, "not a rank"]},
            {"release_date": "2024-01-02", "category_raw": {"path": ["A", None], "id": None}, "sales_ranks": []},
        ])

    def columns(self, rng: random.Random) -> list[str]:
        names = [*ALL_PRODUCT_FIELDS, "_discount_per_product_bp", "_seen"]
        kept = [n for n in names if rng.random() > 0.15]  # older results lack some columns
        return rng.sample(kept, len(kept)) if rng.random() < 0.3 else kept

    @staticmethod
    def nested(row: dict, historical: bool) -> dict:
        """The product object of a flat row, nested plainly (not by `results`' plan)."""
        out: dict = {}
        for column, value in row.items():
            if column.startswith("_") or (column.startswith("historical.") and not historical):
                continue
            *path, last = column.split(".")
            level = out
            for part in path:
                level = level.setdefault(part, {})
            level[last] = value
        return out

    def test_equals_public_product_of_each_row(self):
        rng = random.Random(20)
        for _ in range(40):
            columns = self.columns(rng)
            kinds = {c: ALL_PRODUCT_FIELDS.get(c, Kind.INT) for c in columns}
            frame = pl.DataFrame({c: [self.value(rng, c, kinds[c]) for _ in range(25)] for c in columns},
                                 schema={c: results.dtype(kinds[c]) for c in columns})
            historical, marketplace = rng.random() < 0.5, rng.choice(["US", "UK", "BR"])
            build = page_builder(tuple(columns), historical)
            for row, named in zip(frame.rows(), frame.iter_rows(named=True)):
                record, supplier, per_product = self.record(rng), rng.choice([None, 0, 500]), rng.choice([None, 0, 25])
                assert self.nested(named, historical) == product_object(named, historical)
                expected = public_product(self.nested(named, historical), record, marketplace, US, supplier,
                                          per_product)
                got = build(row, record_part(record) if record is not None else None, marketplace, US, supplier,
                            per_product)
                assert orjson.dumps(got) == orjson.dumps(expected)
