"""The demo catalog generator: deterministic, catalog-format records that look like Amazon's."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import ean, isbn

from sellerkit.catalog.demo import CATEGORIES, REFERENCE_NOW, generate
from sellerkit.domain.marketplaces import UnknownMarketplace

ASIN = re.compile(r"^B0[0-9A-Z]{8}$")
ISBN10 = re.compile(r"^[0-9]{9}[0-9X]$")
IMAGE = re.compile(r"^https://m\.media-amazon\.com/images/I/[0-9A-Za-z+\-]{9,12}L\.jpg$")
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")

MONEY = (
    "buybox_price",
    "buybox_price_used",
    "list_price",
    "lowest_price_new_fba",
    "lowest_price_new_fbm",
    "lowest_price_used_fba",
    "lowest_price_used_fbm",
)
COUNTS = (
    "new_fba_offers_count",
    "new_fbm_offers_count",
    "total_offers_count",
    "competitive_sellers",
)
STRINGS = (
    "marketplace",
    "asin",
    "title",
    "brand",
    "manufacturer",
    "color",
    "size_name",
    "mpn",
    "model_number",
    "part_number",
    "category",
    "category_raw",
    "product_group",
    "parent_asin",
)
FLAGS = ("sold_by_amazon", "is_hazmat", "is_meltable", "is_adult", "has_expiration")
SPEC_FIELDS = {
    *STRINGS,
    *MONEY,
    *COUNTS,
    *FLAGS,
    "rank",
    "sales_ranks",
    "amazon_pack_quantity",
    "number_of_variations",
    "variations_list",
    "package_dimensions",
    "item_dimensions",
    "identifiers",
    "images",
    "release_date",
    "bullet_points",
    "monthly_sold",
    "updated_at",
}
EXTRA_FIELDS = {"demo"}  # the spec keeps unknown extra fields; this one labels demo data


def _split(records):
    records = list(records)
    products = [r for r in records if r.get("type") != "observation"]
    observations = [r for r in records if r.get("type") == "observation"]
    return products, observations


@pytest.fixture(scope="module")
def catalog():
    return _split(list(generate(4000, seed=11, history_share=0.1)))


@pytest.fixture(scope="module")
def products(catalog):
    return catalog[0]


@pytest.fixture(scope="module")
def observations(catalog):
    return catalog[1]


@pytest.fixture(scope="module")
def listings(products):
    """Buyable listings: every product record except variation parents."""
    return [p for p in products if "rank" in p]


class TestDeterminism:
    def test_same_seed_gives_identical_records(self):
        first = json.dumps(list(generate(300, seed=5)))
        second = json.dumps(list(generate(300, seed=5)))
        assert first == second

    def test_different_seed_gives_different_records(self):
        assert list(generate(50, seed=1)) != list(generate(50, seed=2))

    def test_default_now_is_the_fixed_reference_time(self, products):
        assert REFERENCE_NOW == datetime(2026, 11, 1, tzinfo=UTC)
        assert {p["updated_at"] for p in products} == {"2026-11-01T00:00:00Z"}

    def test_records_are_json_serialisable_plain_values(self, catalog):
        products, observations = catalog
        for record in products[:500] + observations[:500]:
            assert json.loads(json.dumps(record)) == record


class TestCount:
    @settings(max_examples=30, deadline=None)
    @given(
        count=st.integers(min_value=0, max_value=120),
        seed=st.integers(min_value=0, max_value=2**32),
        markets=st.lists(
            st.sampled_from(["US", "UK", "DE", "CA", "JP", "FR"]), min_size=1, max_size=4
        ),
    )
    def test_requested_number_of_products_is_honoured(self, count, seed, markets):
        products, _ = _split(
            generate(count, seed=seed, marketplaces=markets, history_share=0.3, history_days=3)
        )
        assert len(products) == count

    def test_records_stream_one_at_a_time(self):
        records = generate(10**12, seed=1)
        assert next(records)["demo"] is True

    def test_zero_products_yields_nothing(self):
        assert list(generate(0)) == []

    def test_observations_are_not_counted_as_products(self):
        products, observations = _split(generate(200, seed=3, history_share=1.0, history_days=5))
        assert len(products) == 200
        assert observations


class TestProductRecords:
    def test_every_product_has_the_required_fields(self, products):
        for p in products:
            assert isinstance(p["marketplace"], str) and p["marketplace"]
            assert (
                isinstance(p["asin"], str)
                and len(p["asin"]) == 10
                and p["asin"] == p["asin"].upper()
            )
            assert isinstance(p["title"], str) and p["title"]

    def test_only_spec_fields_and_the_demo_label_appear(self, products):
        seen = set().union(*(p.keys() for p in products))
        assert seen <= SPEC_FIELDS | EXTRA_FIELDS

    def test_every_field_has_the_spec_type(self, products):
        for p in products:
            for key in STRINGS:
                if key in p:
                    assert isinstance(p[key], str) and p[key], (key, p[key])
            for key in (
                *COUNTS,
                "rank",
                "amazon_pack_quantity",
                "number_of_variations",
                "monthly_sold",
            ):
                if key in p:
                    assert type(p[key]) is int and p[key] >= 0, (key, p[key])
            for key in FLAGS:
                if key in p:
                    assert type(p[key]) is bool, key
            for key in ("images", "bullet_points", "variations_list"):
                if key in p:
                    assert p[key] and all(isinstance(x, str) and x for x in p[key]), key
            for entry in p.get("sales_ranks", []):
                assert set(entry) == {"rank", "title"}
                assert type(entry["rank"]) is int and entry["rank"] >= 1
            for kind, codes in p.get("identifiers", {}).items():
                assert kind in {"upc", "ean", "isbn", "gtin", "jan"}
                assert codes and all(isinstance(c, str) for c in codes)
            if "release_date" in p:
                assert date.fromisoformat(p["release_date"]) <= REFERENCE_NOW.date()

    def test_every_product_is_labelled_demo(self, products):
        assert all(p["demo"] is True for p in products)

    def test_prices_are_positive_integer_cents(self, products):
        for p in products:
            for key in MONEY:
                if key in p:
                    assert type(p[key]) is int and p[key] > 0, (key, p[key])

    def test_list_price_is_never_below_the_buybox(self, listings):
        for p in listings:
            if "list_price" in p and "buybox_price" in p:
                assert p["list_price"] >= p["buybox_price"]

    def test_dimensions_are_positive_and_sorted_longest_first(self, products):
        for p in products:
            for key in ("package_dimensions", "item_dimensions"):
                if key in p:
                    d = p[key]
                    assert set(d) == {"length", "width", "height", "weight"}
                    assert all(isinstance(v, float) and v > 0 for v in d.values()), d
                    assert d["length"] >= d["width"] >= d["height"], d

    def test_offer_counts_add_up(self, listings):
        for p in listings:
            new = p["new_fba_offers_count"] + p["new_fbm_offers_count"]
            assert new >= 1
            assert p["total_offers_count"] >= new
            assert p["competitive_sellers"] <= p["new_fba_offers_count"]

    def test_categories_are_amazon_root_categories_with_browse_paths(self, products):
        assert {p["category"] for p in products} == set(CATEGORIES)
        for p in products:
            assert p["category_raw"].startswith(p["category"] + ">")
            assert p["product_group"]

    def test_books_are_book_group_with_used_prices(self, listings):
        books = [p for p in listings if p["category"] == "Books"]
        assert books
        for p in books:
            assert p["product_group"] == "Book"
            assert "buybox_price_used" in p

    def test_images_follow_amazons_url_pattern(self, products):
        for p in products:
            for url in p["images"]:
                assert IMAGE.match(url), url

    def test_timestamps_are_iso_8601_with_offset(self, products):
        assert all(ISO_TIMESTAMP.match(p["updated_at"]) for p in products)

    def test_only_requested_marketplaces_appear(self):
        products, _ = _split(generate(300, seed=4, marketplaces=("UK", "JP"), history_share=0))
        assert {p["marketplace"] for p in products} == {"UK", "JP"}

    def test_marketplace_aliases_resolve_to_codes(self):
        products, _ = _split(generate(40, seed=4, marketplaces=("amazon.co.uk",), history_share=0))
        assert {p["marketplace"] for p in products} == {"UK"}

    def test_most_products_are_in_the_us(self, products):
        shares = Counter(p["marketplace"] for p in products)
        assert shares.most_common(1)[0][0] == "US"
        assert shares["US"] > len(products) / 2

    def test_an_asin_listed_in_two_marketplaces_has_local_prices(self, listings):
        by_asin = defaultdict(dict)
        for p in listings:
            if "buybox_price" in p:
                by_asin[p["asin"]][p["marketplace"]] = p
        shared = [m for m in by_asin.values() if "US" in m and "UK" in m]
        assert shared
        for markets in shared:
            assert markets["US"]["title"] == markets["UK"]["title"]
        assert any(m["US"]["buybox_price"] != m["UK"]["buybox_price"] for m in shared)

    def test_records_of_one_asin_share_no_mutable_object(self, products):
        by_asin = defaultdict(list)
        for p in products:
            by_asin[p["asin"]].append(p)
        pairs = [rs for rs in by_asin.values() if len(rs) > 1]
        assert pairs
        for first, second, *_ in pairs:
            for key, value in first.items():
                if isinstance(value, (list, dict)):
                    assert value is not second.get(key), key
            for kind, codes in first.get("identifiers", {}).items():
                assert codes is not second["identifiers"].get(kind)

    def test_better_ranked_products_sell_more(self, listings):
        us = [p for p in listings if p["marketplace"] == "US" and "monthly_sold" in p]
        top = [p["monthly_sold"] for p in us if p["rank"] < 3000]
        lower = [p["monthly_sold"] for p in us if p["rank"] > 30000]
        assert top and lower
        assert statistics.median(top) > statistics.median(lower)

    def test_monthly_sold_only_on_part_of_products(self, listings):
        share = sum("monthly_sold" in p for p in listings) / len(listings)
        assert 0.05 < share < 0.6

    def test_flags_appear_where_amazon_would_set_them(self, listings):
        meltable = [p for p in listings if p["is_meltable"]]
        assert meltable and {p["category"] for p in meltable} == {"Grocery & Gourmet Food"}
        assert any(p["is_hazmat"] for p in listings)
        expiring = {p["category"] for p in listings if p["has_expiration"]}
        assert {
            "Grocery & Gourmet Food",
            "Health & Household",
            "Beauty & Personal Care",
        } <= expiring
        assert sum(p["is_adult"] for p in listings) < len(listings) * 0.01


class TestIdentifiers:
    def test_asins_are_unique_per_marketplace(self, products):
        seen = Counter((p["marketplace"], p["asin"]) for p in products)
        assert max(seen.values()) == 1

    def test_asins_are_b0_codes_or_the_isbn10_of_a_book(self, products):
        for p in products:
            if p["category"] == "Books":
                assert ISBN10.match(p["asin"]) and p["asin"] == p["identifiers"]["isbn"][0]
            else:
                assert ASIN.match(p["asin"]), p["asin"]

    def test_every_upc_ean_jan_and_gtin_passes_stdnum(self, products):
        checked = 0
        for p in products:
            for kind in ("upc", "ean", "jan", "gtin"):
                for code in p.get("identifiers", {}).get(kind, []):
                    assert ean.is_valid(code), (kind, code)
                    checked += 1
        assert checked > len(products) / 2

    def test_identifier_lengths_match_their_kind(self, products):
        lengths = {"upc": 12, "ean": 13, "jan": 13, "gtin": 14}
        for p in products:
            for kind, size in lengths.items():
                for code in p.get("identifiers", {}).get(kind, []):
                    assert len(code) == size and code.isdigit(), (kind, code)

    def test_every_isbn_passes_stdnum_in_both_forms(self, products):
        books = [p for p in products if p["category"] == "Books"]
        assert books
        for p in books:
            isbn10, isbn13 = p["identifiers"]["isbn"]
            assert isbn.is_valid(isbn10) and isbn.is_valid(isbn13)
            assert isbn13.startswith("978") and isbn.to_isbn13(isbn10) == isbn13

    def test_jan_codes_carry_a_japanese_prefix(self, products):
        jans = [c for p in products for c in p.get("identifiers", {}).get("jan", [])]
        assert jans
        assert all(c[:2] in ("45", "49") for c in jans)

    def test_ean_forms_of_a_upc_add_a_leading_zero(self, products):
        found = 0
        for p in products:
            ids = p.get("identifiers", {})
            for code in ids.get("ean", []):
                if code.startswith("0"):
                    assert code[1:] in ids.get("upc", [])
                    found += 1
        assert found

    def test_a_code_is_shared_only_by_a_unit_and_its_multipacks(self, listings):
        owners = defaultdict(set)
        for p in listings:
            for codes in p["identifiers"].values():
                for code in codes:
                    owners[(p["marketplace"], code)].add((p["asin"], p["amazon_pack_quantity"]))
        for listed in owners.values():
            if len(listed) > 1:
                assert sum(1 for _, qty in listed if qty == 1) == 1, listed

    @settings(max_examples=15, deadline=None)
    @given(seed=st.integers(min_value=0, max_value=2**32))
    def test_codes_are_valid_for_any_seed(self, seed):
        products, _ = _split(
            generate(150, seed=seed, marketplaces=("US", "DE", "JP", "UK"), history_share=0)
        )
        for p in products:
            ids = p.get("identifiers", {})
            for kind in ("upc", "ean", "jan", "gtin"):
                assert all(ean.is_valid(c) for c in ids.get(kind, []))
            assert all(isbn.is_valid(c) for c in ids.get("isbn", []))
        assert len({(p["marketplace"], p["asin"]) for p in products}) == len(products)


@pytest.fixture(scope="module")
def packs(listings):
    """(unit, multipack) pairs: a multipack's unit is the single listing carrying its codes."""
    units = {}
    for p in listings:
        if p["amazon_pack_quantity"] == 1:
            for codes in p["identifiers"].values():
                for code in codes:
                    units[(p["marketplace"], code)] = p
    pairs = []
    for p in listings:
        if p["amazon_pack_quantity"] > 1:
            code = next(iter(p["identifiers"].values()))[0]
            pairs.append((units[(p["marketplace"], code)], p))
    assert len(pairs) > 20
    return pairs


class TestMultipacks:
    def test_multipacks_share_the_unit_code_and_hold_more_than_one(self, packs):
        for unit, pack in packs:
            assert pack["amazon_pack_quantity"] in (2, 3, 4, 6, 12)
            assert pack["identifiers"] == unit["identifiers"]
            assert pack["asin"] != unit["asin"]

    def test_multipack_price_is_about_n_times_the_unit_price(self, packs):
        for unit, pack in packs:
            n = pack["amazon_pack_quantity"]
            if "buybox_price" in unit and "buybox_price" in pack:
                expected = n * unit["buybox_price"]
                assert 0.6 * expected <= pack["buybox_price"] <= 0.96 * expected, (
                    unit["buybox_price"],
                    n,
                    pack["buybox_price"],
                )

    def test_multipack_package_is_bigger_and_heavier(self, packs):
        for unit, pack in packs:
            u, p = unit["package_dimensions"], pack["package_dimensions"]
            assert p["weight"] > u["weight"]
            assert p["length"] * p["width"] * p["height"] > u["length"] * u["width"] * u["height"]


class TestVariations:
    def test_children_point_at_a_parent_that_lists_them(self, products):
        parents = {
            (p["marketplace"], p["asin"]): p
            for p in products
            if "variations_list" in p and "parent_asin" not in p
        }
        children = [p for p in products if "parent_asin" in p]
        assert children and parents
        for child in children:
            parent = parents[(child["marketplace"], child["parent_asin"])]
            assert child["asin"] in parent["variations_list"]
            assert child["variations_list"] == parent["variations_list"]
            assert (
                child["number_of_variations"]
                == parent["number_of_variations"]
                == len(parent["variations_list"])
            )

    def test_every_listed_child_exists(self, products):
        present = {(p["marketplace"], p["asin"]) for p in products}
        for p in products:
            for asin in p.get("variations_list", []):
                assert (p["marketplace"], asin) in present

    def test_siblings_differ_by_color_or_size(self, products):
        families = defaultdict(list)
        for p in products:
            if "parent_asin" in p:
                families[(p["marketplace"], p["parent_asin"])].append(
                    (p.get("color"), p.get("size_name"))
                )
        for variants in families.values():
            assert len(variants) >= 2
            assert len(set(variants)) == len(variants)
            assert all(color or size for color, size in variants)

    def test_parents_are_not_buyable(self, products):
        for p in products:
            if "variations_list" in p and "parent_asin" not in p:
                assert "buybox_price" not in p and "rank" not in p and "identifiers" not in p


class TestObservations:
    def test_observations_reference_generated_products(self, products, observations):
        known = {(p["marketplace"], p["asin"]) for p in products}
        assert observations
        assert {(o["marketplace"], o["asin"]) for o in observations} <= known

    def test_each_history_has_one_observation_a_day_for_180_days(self, observations):
        histories = defaultdict(list)
        for o in observations:
            histories[(o["marketplace"], o["asin"])].append(o["observed_at"])
        for stamps in histories.values():
            assert len(stamps) == 180
            days = [datetime.fromisoformat(s) for s in stamps]
            assert all(b - a == timedelta(days=1) for a, b in pairwise(days))
            assert days[-1] == REFERENCE_NOW

    def test_history_follows_its_product_and_ends_at_current_values(self, products, observations):
        current = {(p["marketplace"], p["asin"]): p for p in products}
        last = {}
        for o in observations:
            key = (o["marketplace"], o["asin"])
            assert key not in last or last[key]["observed_at"] < o["observed_at"]
            last[key] = o
        for key, o in last.items():
            p = current[key]
            assert o["rank"] == p["rank"]
            assert o.get("buybox_price") == p.get("buybox_price")
            assert o["new_offers_count"] == p["new_fba_offers_count"] + p["new_fbm_offers_count"]
            assert o["amazon_in_stock"] == p["sold_by_amazon"]
            assert o.get("monthly_sold") == p.get("monthly_sold")

    def test_observation_values_are_plausible(self, observations):
        for o in observations:
            assert set(o) <= {
                "type",
                "marketplace",
                "asin",
                "observed_at",
                "buybox_price",
                "rank",
                "amazon_in_stock",
                "new_offers_count",
                "monthly_sold",
            }
            assert type(o["rank"]) is int and o["rank"] >= 1
            assert type(o["new_offers_count"]) is int and o["new_offers_count"] >= 1
            assert type(o["amazon_in_stock"]) is bool
            if "buybox_price" in o:
                assert type(o["buybox_price"]) is int and o["buybox_price"] > 0

    def test_history_moves(self, observations):
        ranks = defaultdict(set)
        for o in observations:
            ranks[(o["marketplace"], o["asin"])].add(o["rank"])
        assert statistics.median(len(r) for r in ranks.values()) > 10

    def test_about_history_share_of_products_get_history(self, listings, observations):
        with_history = {(o["marketplace"], o["asin"]) for o in observations}
        assert 0.07 < len(with_history) / len(listings) < 0.13

    def test_zero_history_share_gives_no_observations(self):
        _, observations = _split(generate(300, seed=2, history_share=0.0))
        assert observations == []

    def test_history_days_sets_the_length(self):
        _, observations = _split(generate(30, seed=2, history_share=1.0, history_days=7))
        assert Counter((o["marketplace"], o["asin"]) for o in observations).keys()
        assert set(Counter((o["marketplace"], o["asin"]) for o in observations).values()) == {7}

    def test_now_moves_every_timestamp(self):
        now = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
        products, observations = _split(
            generate(30, seed=2, history_share=1.0, history_days=2, now=now)
        )
        assert {p["updated_at"] for p in products} == {"2025-03-01T10:00:00Z"}
        assert {o["observed_at"] for o in observations} == {
            "2025-02-28T10:00:00Z",
            "2025-03-01T10:00:00Z",
        }


class TestArguments:
    def test_unknown_marketplace_is_rejected(self):
        with pytest.raises(UnknownMarketplace):
            generate(10, marketplaces=("US", "XX"))

    def test_naive_now_is_rejected(self):
        with pytest.raises(ValueError, match="now"):
            generate(10, now=datetime(2026, 1, 1))

    @pytest.mark.parametrize("count", [-1, 1.5, True])
    def test_bad_product_count_is_rejected(self, count):
        with pytest.raises(ValueError, match="products"):
            generate(count)

    @pytest.mark.parametrize("share", [-0.1, 1.5])
    def test_history_share_outside_0_1_is_rejected(self, share):
        with pytest.raises(ValueError, match="history_share"):
            generate(10, history_share=share)
