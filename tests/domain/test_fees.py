"""Tests for sellerkit.domain.fees: schedules, the engine and its polars twin.

The worked cases are read at test time from `../shared/fees/us-cases.jsonl`: Amazon's published
examples (each cites where Amazon published it) and cases computed from the cited tables, across
every size tier and both sides of every weight and price boundary. They skip with a reason when
the folder is absent.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerkit.domain.fees import FeeError, FeeOptions, Package, compute, fees_for, schedule_for
from sellerkit.domain.fees.engine import storage_fee
from sellerkit.domain.fees.frame import fee_frame
from sellerkit.domain.fees.schedule import SCHEDULES
from tests.conftest import SHARED, shared_cases

FEES = SHARED / "fees"
CASES = FEES / "us-cases.jsonl"
needs_cases = pytest.mark.skipif(not CASES.exists(), reason=f"shared fee cases not found at {CASES}")


def _cases() -> list[dict]:
    return [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]


def _run(case: dict):
    i = case["inputs"]
    p = i["package_in"]
    package = Package.of(p["length"], p["width"], p["height"], i["unit_weight_lb"])
    price = round(i["price_usd"] * 100)
    return fees_for(i["marketplace"], package, price, i["category"], date.fromisoformat(i["date"]),
                    FeeOptions(apparel=i["apparel_rate_card"]))


def _cents(value: float) -> int:
    return round(value * 100)


@needs_cases
class TestPublishedCases:
    @pytest.mark.parametrize("case", shared_cases(CASES, _cases, recorded=44, ids=lambda c: c["id"]))
    def test_matches_case_to_the_cent(self, case):
        got, want = _run(case), case["expected"]
        assert got.size_tier == want["size_tier"]["value"]
        assert got.price_band == want["price_band"]
        assert got.card == want["schedule_id"]
        assert float(got.shipping_weight_lb) == want["shipping_weight_lb"]["value"]
        assert got.weight_steps == want.get("increment_steps", 0)
        assert got.fba_fee_base == _cents(want["fba_fee_base"]["value"])
        assert got.fuel_surcharge == _cents(want["fuel_surcharge"]["value"])
        assert got.fba_fee == _cents(want["fba_fee"]["value"])
        assert got.referral_fee == _cents(want["referral_fee"]["value"])
        assert got.variable_closing_fee == _cents(want["variable_closing_fee"]["value"])

    def test_with_the_boundaries_below_covers_every_size_tier_of_2026(self):
        tiers = {c["expected"]["size_tier"]["value"] for c in _cases() if c["inputs"]["date"] >= "2026"}
        tiers |= {tier for _, _, _, tier, _ in BOUNDARIES}
        assert tiers == {t.name for t in schedule_for("US", date(2026, 6, 1)).tiers}

    def test_polars_path_agrees_on_every_case(self):
        for case in _cases():
            i = case["inputs"]
            when = date.fromisoformat(i["date"])
            schedule = schedule_for("US", when)
            one = _run(case)
            p = Package.of(i["package_in"]["length"], i["package_in"]["width"], i["package_in"]["height"],
                           i["unit_weight_lb"])
            frame = fee_frame(pl.DataFrame([_row(p, round(i["price_usd"] * 100), one.category,
                                                 i["apparel_rate_card"])]), schedule, when)
            _assert_same(frame.row(0, named=True), one)


# Both sides of the weight and price edges, worked by hand from US 2026-01-15 non-peak
# (us_2026_nonpeak_non_apparel): (dims in, unit lb, price cents, tier, FBA fee cents).
BOUNDARIES = [
    ((7, 4, 0.5), "1", 1999, "small_standard", 396),  # 16 oz: last small-standard row
    ((7, 4, 0.5), "1.0001", 1999, "large_standard", 504),  # over 16 oz: large standard 1-1.25 lb
    ((7, 4, 0.5), "0.25", 999, "small_standard", 249),  # $9.99: low-price rate
    ((7, 4, 0.5), "0.25", 1000, "small_standard", 342),  # $10.00: middle band
    ((7, 4, 0.5), "0.25", 5000, "small_standard", 342),  # $50.00: still the middle band
    ((7, 4, 0.5), "0.25", 5001, "small_standard", 368),  # $50.01: over $50
    ((12, 9, 3), "3", 2499, "large_standard", 667),  # 3 lb: last row
    ((12, 9, 3), "3.0001", 2499, "large_standard", 705),  # over 3 lb: base + one 4-oz step
    ((14, 10, 8), "2", 2499, "large_standard", 865),  # dimensional 8.06 lb wins: 21 steps
    ((14, 10, 8), "9", 2499, "large_standard", 889),  # unit 9 lb wins: 24 steps
    ((18, 14, 8), "20", 2499, "large_standard", 1241),  # 20 lb: last large-standard weight
    ((18, 14, 8), "20.0001", 2499, "small_bulky", 1515),  # over 20 lb: small bulky, 20 steps
    ((36, 1, 1), "1", 2499, "small_bulky", 793),  # 2-in minimum: 36x2x2/139 = 1.036 lb, one step
    ((30, 20, 10), "50", 2499, "small_bulky", 2617),  # 50 lb: last bulky weight, 49 steps
    ((30, 20, 10), "50.0001", 2499, "extra_large_50_70", 3732),  # over 50 lb: XL 50-70, no step yet
    ((62, 10, 6), "51.0001", 4999, "extra_large_50_70", 3807),  # one started pound above 51
    ((62, 10, 6), "60", 4999, "extra_large_50_70", 4407),  # 9 steps of $0.75
]


class TestBoundaries:
    @pytest.mark.parametrize("dims, weight, price, tier, fee", BOUNDARIES,
                             ids=[f"{t}-{w}lb-{p}c" for _, w, p, t, _ in BOUNDARIES])
    def test_boundary(self, dims, weight, price, tier, fee):
        got = fees_for("US", Package.of(*dims, weight), price, "toys_and_games", date(2026, 3, 1))
        assert (got.size_tier, got.fba_fee) == (tier, fee)

    def test_fuel_surcharge_from_april_17_2026(self):
        # Amazon's baby cot (small bulky, $10.21) shipped after the 3.5% surcharge began
        cot = Package.of(24, 7.5, 6, "7.9")
        before = fees_for("US", cot, 5999, "baby_products", date(2026, 4, 16))
        after = fees_for("US", cot, 5999, "baby_products", date(2026, 4, 17))
        assert (before.fba_fee, after.fuel_surcharge, after.fba_fee) == (1021, 36, 1057)


class TestSchedules:
    def test_no_schedule_is_a_clear_error_not_a_us_number(self):
        with pytest.raises(FeeError, match="no fee schedule for BR"):
            schedule_for("BR", date(2026, 6, 1))

    def test_date_before_the_first_schedule_is_an_error(self):
        with pytest.raises(FeeError, match="no US fee schedule in force on 2024-06-01"):
            schedule_for("US", date(2024, 6, 1))

    def test_picks_the_schedule_in_force(self):
        assert schedule_for("US", date(2026, 1, 14)).id == "US 2025-01-15"
        assert schedule_for("US", date(2026, 1, 15)).id == "US 2026-01-15"

    def test_peak_card_from_october_15(self):
        s = schedule_for("US", date(2026, 10, 15))
        assert s.card(date(2026, 10, 14), False).season == "non_peak"
        assert s.card(date(2026, 10, 15), False).season == "peak"
        assert s.card(date(2027, 1, 14), True).id == "us_2026_peak_apparel"

    def test_missing_apparel_card_is_an_error(self):
        package = Package.of(10, 8, 1, 0.5)
        with pytest.raises(FeeError, match="no apparel fulfilment fees"):
            fees_for("US", package, 1999, "Clothing, Shoes & Jewelry", date(2025, 6, 1), FeeOptions(apparel=True))

    def test_dangerous_goods_fba_is_an_error(self):
        with pytest.raises(FeeError, match="no dangerous-goods fulfilment fees"):
            fees_for("US", Package.of(10, 8, 1, 0.5), 1999, "toys_and_games", date(2026, 6, 1),
                     FeeOptions(dangerous_goods=True))

    def test_category_by_display_name_or_slug(self):
        s = schedule_for("US", date(2026, 6, 1))
        assert s.category("Toys & Games").slug == s.category("toys_and_games").slug == "toys_and_games"

    def test_unknown_category_names_the_field(self):
        with pytest.raises(FeeError, match='category: unknown category "Widgets"'):
            schedule_for("US", date(2026, 6, 1)).category("Widgets")

    @pytest.mark.parametrize("path", sorted(SCHEDULES.glob("*.json")), ids=lambda p: p.stem)
    def test_every_table_cites_a_known_source(self, path):
        doc = json.loads(path.read_text())
        tables = [doc["dimensional_weight"], doc["size_tiers"], doc["price_bands"], doc["referral"],
                  doc["closing_fee"], doc["per_item_fee"], doc["storage"], doc["inbound_placement"],
                  *doc["fulfilment"], *doc["referral"]["categories"].values()]
        if doc.get("fuel_surcharge"):
            tables.append(doc["fuel_surcharge"])
        for table in tables:
            ids = [i.split(" ")[0] for i in table["source"]["ids"]]
            assert ids and all(i in doc["sources"] for i in ids), table["source"]


class TestEngine:
    when = date(2026, 6, 1)

    def test_storage_matches_amazons_example(self):
        # S12 quoting Amazon's storage page: 100 units x 0.05 cu ft x $0.78 = $3.90 (one 5 cu ft parcel)
        s = schedule_for("US", date(2026, 3, 1))
        assert storage_fee(s, Package.of(12, 12, 60, 1), "large_standard", date(2026, 3, 1), False) == 390

    def test_storage_uses_the_october_to_december_rate(self):
        s = schedule_for("US", date(2026, 11, 1))
        assert storage_fee(s, Package.of(12, 12, 12, 1), "large_standard", date(2026, 11, 1), False) == 240
        assert storage_fee(s, Package.of(12, 12, 12, 1), "large_bulky", date(2026, 11, 1), True) == 243

    def test_individual_plan_adds_99_cents_per_item(self):
        # S16: two items sold on the Individual plan -> $1.98
        b = fees_for("US", Package.of(10, 8, 1, 0.5), 1999, "toys_and_games", self.when,
                     FeeOptions(individual_plan=True))
        assert 2 * b.per_item_fee == 198

    def test_fbm_pays_referral_on_price_plus_shipping_and_no_fba_fee(self):
        b = fees_for("US", Package.of(10, 8, 1, 0.5), 2000, "toys_and_games", self.when,
                     FeeOptions(fulfilment="FBM", shipping_charge=500))
        assert (b.fba_fee, b.referral_fee, b.monthly_storage_fee) == (0, 375, 0)

    def test_media_referral_ignores_shipping(self):
        b = fees_for("US", Package.of(9, 6, 1, 1), 2000, "Books", self.when,
                     FeeOptions(fulfilment="FBM", shipping_charge=399))
        assert (b.referral_fee, b.variable_closing_fee) == (300, 180)

    def test_referral_portions_charge_each_bracket(self):
        # electronics accessories: 15% of the first $100, 8% above (official wording: "portion")
        b = fees_for("US", Package.of(10, 8, 1, 0.5), 15000, "electronics_accessories", self.when)
        assert b.referral_fee == 1500 + 400

    def test_referral_minimum(self):
        b = fees_for("US", Package.of(5, 3, 0.5, 0.1), 150, "toys_and_games", self.when)
        assert b.referral_fee == 30

    def test_placement_estimate_and_own_fee(self):
        p = Package.of(10, 8, 1, 0.5)
        assert fees_for("US", p, 1999, "toys_and_games", self.when, FeeOptions(placement="estimate")) \
            .inbound_placement_fee == 27
        assert fees_for("US", p, 1999, "toys_and_games", self.when, FeeOptions(placement_fee=41)) \
            .inbound_placement_fee == 41

    def test_rejects_a_negative_price(self):
        with pytest.raises(FeeError, match="price"):
            fees_for("US", Package.of(10, 8, 1, 0.5), -1, "toys_and_games", self.when)

    def test_rejects_a_package_no_carrier_takes(self):
        with pytest.raises(FeeError, match="larger than any parcel"):
            Package.of(600, 8, 1, 0.5)

    def test_rejects_a_dimension_that_is_not_a_number(self):
        with pytest.raises(ValueError, match="width: expected a number"):
            Package.of(10, "wide", 1, 0.5)


# ---- properties ----------------------------------------------------------------------------

SCHEDULE_DATES = st.dates(min_value=date(2025, 1, 15), max_value=date(2027, 1, 14))
CATEGORIES = sorted(schedule_for("US", date(2026, 6, 1)).categories)
sides = st.integers(min_value=1, max_value=12_000)  # 1/100 in, up to 120 in
weights = st.integers(min_value=0, max_value=2_000_000)  # 1/10000 lb, up to 200 lb
prices = st.integers(min_value=0, max_value=500_000)


def _package(a: int, b: int, c: int, w: int) -> Package:
    longest, median, shortest = sorted((a, b, c), reverse=True)
    return Package.checked(longest, median, shortest, w)


def _row(p: Package, price: int, category: str, apparel: bool) -> dict:
    return dict(price=price, longest=p.longest, median=p.median, shortest=p.shortest, weight=p.weight,
                category=category, apparel=apparel)


def _assert_same(row: dict, one) -> None:
    for field in ("size_tier", "price_band", "fba_fee_base", "fuel_surcharge", "fba_fee", "referral_fee",
                  "variable_closing_fee", "per_item_fee", "inbound_placement_fee", "monthly_storage_fee",
                  "weight_steps", "charged_weight"):
        assert row[field] == getattr(one, field), field
    assert row["fees_total"] == one.total
    assert row["fee_error"] is None


class TestProperties:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(sides, sides, sides, weights, prices, st.sampled_from(CATEGORIES), st.booleans()),
                    min_size=1, max_size=20), SCHEDULE_DATES)
    def test_polars_path_equals_single_path(self, rows, when):
        schedule = schedule_for("US", when)
        has_apparel = any(c.apparel for c in schedule.cards)
        rows = [(a, b, c, w, price, cat, apparel and has_apparel) for a, b, c, w, price, cat, apparel in rows]
        packages = [_package(a, b, c, w) for a, b, c, w, *_ in rows]
        frame = fee_frame(pl.DataFrame([_row(p, r[4], r[5], r[6]) for p, r in zip(packages, rows)]), schedule, when)
        for p, r, got in zip(packages, rows, frame.iter_rows(named=True)):
            _assert_same(got, compute(schedule, p, r[4], r[5], when, FeeOptions(apparel=r[6])))

    @settings(max_examples=300, deadline=None)
    @given(sides, sides, sides, weights, prices, st.sampled_from(CATEGORIES), SCHEDULE_DATES)
    def test_fees_are_never_negative(self, a, b, c, w, price, category, when):
        got = fees_for("US", _package(a, b, c, w), price, category, when)
        assert min(got.fba_fee, got.referral_fee, got.variable_closing_fee, got.monthly_storage_fee) >= 0

    @settings(max_examples=300, deadline=None)
    @given(sides, sides, sides, weights, st.integers(min_value=1, max_value=400_000), prices, SCHEDULE_DATES)
    def test_fba_fee_is_monotone_in_weight_within_a_tier(self, a, b, c, w, extra, price, when):
        light, heavy = _package(a, b, c, w), _package(a, b, c, w + extra)
        one = fees_for("US", light, price, "toys_and_games", when)
        two = fees_for("US", heavy, price, "toys_and_games", when)
        if one.size_tier == two.size_tier:
            assert two.fba_fee >= one.fba_fee
