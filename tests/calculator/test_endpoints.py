"""`POST /api/v3/calculate` against the real app and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.catalog.factories import product
from tests.conftest import import_records

TOY = product(
    "B000000001", category="Toys & Games", buybox_price=2499, lowest_price_new_fba=2399,
    package_dimensions={"length": 10, "width": 8, "height": 3, "weight": 1.2},
    new_fba_offers_count=3, new_fbm_offers_count=1, monthly_sold=200,
)


def _history(asin: str, ranks: list[int]) -> list[dict]:
    start = datetime.now(UTC) - timedelta(days=20)
    return [{"type": "observation", "marketplace": "US", "asin": asin, "rank": rank,
             "observed_at": (start + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ")}
            for i, rank in enumerate(ranks)]


CATALOG = [
    TOY,
    product("B000000002", category="Books", list_price=1999,
            package_dimensions={"length": 9, "width": 6, "height": 1, "weight": 1}),
    product("B000000003", category="Toys & Games", buybox_price=1500),
    product("B000000004", category="Pet Supplies", buybox_price=1500, rank=1_000,
            package_dimensions={"length": 10, "width": 8, "height": 3, "weight": 1.2}),
    *[product(f"B0PET{i:05d}", category="Pet Supplies", rank=100 + 500 * i,
              monthly_sold=round(50_000 * (100 + 500 * i) ** -0.8)) for i in range(40)],
    *_history("B000000002", [900, 800, 850, 700, 720, 600]),
]


@pytest.fixture(scope="module")
def client(module_app):
    """Every test reads the same catalog, with a key of a new account: one app and one import
    per backend (`module_app`) instead of one per test."""
    import_records(module_app[1], CATALOG)
    return module_app[0]


@pytest.fixture
def key(client, account_key):
    return account_key


def _post(client, key, **body):
    return client.post("/api/v3/calculate", json={"date": "2026-03-01", **body}, headers=key)


class TestCalculate:
    def test_asin_from_the_catalog_gives_fees_financials_and_estimates(self, client, key):
        r = _post(client, key, asin="B000000001", cost=8, prep_cost=0.5, inbound_shipping_per_lb=0.4)
        assert r.status_code == 200, r.text
        body = r.json()
        # 10x8x3 in: dimensional 240/139 = 1.727 lb beats 1.2 lb -> large standard 1.5-1.75 lb row $5.57
        # (2026 non-peak, $10-$50); referral 15% of $24.99 = $3.75
        assert (body["price"], body["price_source"], body["size_tier"]) == (2499, "buybox_price", "Large Standard")
        assert body["amazon_fees"] == {"referral_fee": 375, "fba_fees": 557, "per_item_fee": None,
                                       "variable_closing_fee": None, "inbound_placement_fee": None, "error": None}
        fin = body["financials"]
        assert (fin["discount_cost"], fin["prep_cost"], fin["inbound_shipping"]) == (800, 50, 69)  # $0.40 x 1.727 lb
        assert fin["net_revenue"] == 2499 - 932
        assert fin["profit"] == 2499 - 932 - 919 - fin["fba_storage_fees"]
        assert fin["fba_storage_fees"] == 11  # 240 in3 = 0.139 cu ft x $0.78
        assert body["fee_breakdown"]["schedule"] == "US 2026-01-15"
        assert body["sales_estimate"]["method"] == "amazon_monthly_sold"
        assert (body["units_per_month"], body["sales_per_month"]) == (200, 200 * 2499)
        assert body["profit_per_month"] == round(200 * fin["profit"] / 5)

    def test_explicit_inputs_without_an_asin(self, client, key):
        r = _post(client, key, price=59.99, category="baby_products",
                  package_dimensions={"length": 24, "width": 7.5, "height": 6, "weight": 7.9})
        assert r.status_code == 200, r.text
        assert r.json()["size_tier"] == "Small Bulky" and r.json()["amazon_fees"]["fba_fees"] == 1021

    def test_uk_in_centimetres_and_grams_says_the_schedule_is_unconfirmed(self, client, key):
        r = _post(client, key, marketplace="UK", price=24.99, category="Home & Kitchen", date="2026-06-01",
                  package_dimensions={"length": 30, "width": 20, "height": 10, "weight": 800, "units": "metric"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["size_tier"], body["amazon_fees"]["fba_fees"], body["amazon_fees"]["referral_fee"]) == \
            ("Small Parcel", 305, 375)
        fees = body["fee_breakdown"]
        assert (fees["schedule"], fees["currency"], fees["confidence"]) == ("UK 2026-02-01", "GBP", "unconfirmed")
        assert (fees["shipping_weight"], fees["weight_unit"], fees["missing"]) == (1200.0, "g", ["monthly_storage_fee"])

    def test_media_closing_fee_and_rank_drop_estimate(self, client, key):
        r = _post(client, key, asin="B000000002")
        body = r.json()
        assert body["price_source"] == "list_price"
        assert body["amazon_fees"]["variable_closing_fee"] == 180
        assert body["sales_estimate"]["method"] == "rank_drops_30d"
        assert (body["sales_estimate"]["low"], body["sales_estimate"]["high"]) == (3, None)

    def test_rank_and_category_through_the_catalogs_own_fit(self, client, key):
        body = _post(client, key, asin="B000000004").json()
        est = body["sales_estimate"]
        assert est["method"] == "bsr_catalog_fit" and "40 Pet Supplies products" in est["detail"]
        assert est["low"] <= body["units_per_month"] <= est["high"]

    def test_unknown_asin_is_404(self, client, key):
        r = _post(client, key, asin="B0NOTTHERE")
        assert r.status_code == 404 and "asin" in r.json()["message"]

    def test_missing_dimensions_are_named(self, client, key):
        r = _post(client, key, asin="B000000003")
        assert r.status_code == 400 and "package_dimensions" in r.json()["message"]

    def test_marketplace_without_a_schedule_says_so(self, client, key):
        r = _post(client, key, marketplace="BR", price=10, category="Toys & Games",
                  package_dimensions={"length": 10, "width": 8, "height": 3, "weight": 1})
        assert r.status_code == 400 and "no fee schedule for BR" in r.json()["message"]

    def test_unknown_field_is_rejected_by_name(self, client, key):
        r = _post(client, key, asin="B000000001", discount=5)
        assert r.status_code == 400 and "discount" in r.json()["message"]

    def test_empty_body_names_every_missing_input_in_the_apis_error_shape(self, client, key):
        r = client.post("/api/v3/calculate", json={}, headers=key)
        assert r.status_code == 400 and r.json() == {
            "message": "price, package_dimensions, category: required without an asin; send them, or an asin "
                       "the catalog holds", "status": 400}

    def test_asin_lacking_an_input_says_the_catalog_has_none(self, client, key):
        r = _post(client, key, asin="B000000003")
        assert r.status_code == 400 and r.json()["message"] == \
            'package_dimensions: required (the catalog has none for "B000000003"); send it'

    def test_out_of_range_money_is_a_400_naming_the_field_and_limit(self, client, key):
        r = _post(client, key, asin="B000000001", price="1e999999999")
        assert r.status_code == 400 and r.json()["message"] == "price: Input should be less than or equal to 1000000"

    def test_misspelled_nested_field_names_its_path(self, client, key):
        r = _post(client, key, price=10, category="Toys & Games",
                  package_dimensions={"length": 10, "width": 8, "height": 3, "wieght": 1})
        assert r.status_code == 400 and "package_dimensions.wieght: unknown field; did you mean weight?" in \
            r.json()["message"]

    def test_needs_a_key(self, client, key):
        r = client.post("/api/v3/calculate", json={"asin": "B000000001"})
        assert r.status_code == 401
