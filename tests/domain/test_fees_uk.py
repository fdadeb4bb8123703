"""The fee engine on a metric schedule (UK 2026-02-01, centimetres and grams): the shared UK
cases, hand-worked edges, packages measured in inches and pounds (the catalog) or in centimetres
and grams, and the polars path held to the single path.

The UK schedule is UNCONFIRMED (one unverified code source, see its file): these tests hold the
engine to that schedule, not the schedule to Amazon. The shared cases are read in place from
`../shared/fees/uk-cases-unconfirmed.jsonl` and skip when it is absent.
"""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerkit.domain.fees import FeeError, FeeOptions, Package, compute, fees_for, schedule_for
from sellerkit.domain.fees.engine import weight_scale
from sellerkit.domain.fees.frame import fee_frame
from sellerkit.domain.fees.schedule import G_PER_LB, IMPERIAL, METRIC
from sellerkit.domain.profit import financial_frame, financials
from tests.conftest import SHARED, shared_cases

CASES = SHARED / "fees/uk-cases-unconfirmed.jsonl"
needs_cases = pytest.mark.skipif(not CASES.exists(), reason=f"shared UK fee cases not found at {CASES}")
WHEN = date(2026, 6, 1)
UK = schedule_for("UK", WHEN)


def _cases() -> list[dict]:
    return [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]


def _pence(value: float) -> int:
    return round(value * 100)


def _value(expected: object) -> object:
    return expected["value"] if isinstance(expected, dict) else expected


@needs_cases
class TestSharedUkCases:
    @pytest.mark.parametrize("case", shared_cases(CASES, _cases, recorded=3, ids=lambda c: c["id"]))
    def test_matches_case_to_the_penny(self, case):
        i, want = case["inputs"], case["expected"]
        p = i["package_cm"]
        got = fees_for(i["marketplace"], Package.metric(p["length"], p["width"], p["height"], i["unit_weight_g"]),
                       _pence(i["price_gbp_incl_vat"]), i["category"], date.fromisoformat(i["date"]))
        assert got.size_tier == _value(want["size_tier"])
        assert float(got.shipping_weight) == _value(want["chargeable_weight_g"]) and got.weight_unit == "g"
        assert got.fba_fee == _pence(_value(want["fba_fee"]))
        assert got.referral_fee == _pence(_value(want["referral_fee"]))
        assert got.variable_closing_fee == _pence(_value(want["variable_closing_fee"]))
        assert got.currency == "GBP" and got.confidence == "unconfirmed"


# Worked by hand from UK-2026-02-01.json (pence; toys: 15%, GBP 0.25 minimum; low-price up to GBP 20):
# (cm sides, grams, price, category, tier, FBA fee)
EDGES = [
    ((20, 15, 1), "100", 2500, "toys_and_games", "light_envelope", 208),  # 100 g: last light-envelope row
    ((20, 15, 1), "100.001", 2500, "toys_and_games", "standard_envelope", 210),  # over 100 g
    ((30, 20, 2.5), "200", 2500, "toys_and_games", "standard_envelope", 210),  # 2.5 cm: still an envelope
    ((30, 20, 2.51), "200", 2500, "toys_and_games", "large_envelope", 272),  # over 2.5 cm
    ((33, 23, 2), "50", 2500, "toys_and_games", "light_envelope", 189),  # 33 cm: envelopes go on unit weight
    ((33.01, 23, 2), "50", 2500, "toys_and_games", "small_parcel", 300),  # over 33 cm: parcel, dimensional 303.7 g
    ((20, 12.5, 8), "100", 2500, "toys_and_games", "small_parcel", 300),  # dimensional exactly 400 g: the 400 g row
    ((20, 12.5, 8.01), "100", 2500, "toys_and_games", "small_parcel", 304),  # dimensional 400.5 g: next row
    ((12, 10, 6.2), "150", 2000, "toys_and_games", "small_parcel", 267),  # GBP 20.00: low-price rate
    ((12, 10, 6.2), "150", 2001, "toys_and_games", "small_parcel", 291),  # GBP 20.01: standard
    ((12, 10, 6.2), "150", 1000, "books", "small_parcel", 267),  # excluded category: low-price up to GBP 10
    ((12, 10, 6.2), "150", 1001, "books", "small_parcel", 291),
    ((12, 10, 6.2), "900", 999, "toys_and_games", "small_parcel", 304),  # no low-price rate over 400 g: standard
    ((30, 20, 10), "3900", 2500, "toys_and_games", "small_parcel", 327),  # 3.9 kg: last small-parcel weight
    ((30, 20, 10), "3900.001", 2500, "toys_and_games", "standard_parcel", 356),  # over: standard parcel 5.9 kg row
    ((50, 40, 30), "1000", 2500, "toys_and_games", "small_oversize", 613),  # dimensional 12 kg: 3.49 + 12 x 0.22
    ((70, 10, 5), "1760", 2500, "toys_and_games", "standard_oversize_light", 450),  # 1 kg above 760 g: 1 step
    ((70, 10, 5), "1760.001", 2500, "toys_and_games", "standard_oversize_light", 465),  # a started kg: 2 steps
    ((70, 10, 10), "15000", 2500, "toys_and_games", "standard_oversize_light", 660),  # 15 kg: 15 steps of 0.15
    ((70, 10, 10), "15000.001", 2500, "toys_and_games", "standard_oversize_heavy", 658),  # over 15 kg: heavy base
    ((70, 50, 40), "20000", 2500, "toys_and_games", "standard_oversize_heavy", 762),  # dimensional 28 kg: 13 steps
    ((130, 30, 20), "5000", 2500, "toys_and_games", "bulky_oversize", 1380),  # over 120 cm: 15.6 kg, 15 steps
    ((50, 40, 30), "25000", 2500, "toys_and_games", "heavy_oversize", 1304),  # unit 25 kg <= 31.5 kg
]


class TestUkEdges:
    @pytest.mark.parametrize("dims, grams, price, category, tier, fee", EDGES,
                             ids=[f"{t}-{g}g-{p}p-{c}" for _, g, p, c, t, _ in EDGES])
    def test_edge(self, dims, grams, price, category, tier, fee):
        got = fees_for("UK", Package.metric(*dims, grams), price, category, WHEN)
        assert (got.size_tier, got.fba_fee) == (tier, fee)

    def test_low_price_band_falls_back_to_the_standard_rate_it_charges(self):
        got = fees_for("UK", Package.metric(12, 10, 6.2, 900), 999, "toys_and_games", WHEN)
        assert got.price_band == "standard"
        assert fees_for("UK", Package.metric(12, 10, 6.2, 150), 999, "toys_and_games", WHEN).price_band == "low_price"

    def test_package_over_every_tier_has_no_size_tier(self):
        with pytest.raises(FeeError, match="no size tier"):
            fees_for("UK", Package.metric(50, 40, 30, 32_000), 2500, "toys_and_games", WHEN)

    def test_catalog_inches_are_compared_exactly_with_centimetre_edges(self):
        # 12.99 in = 32.9946 cm fits 33 cm; 13.00 in = 33.02 cm does not (a parcel, dimensional 375.8 g)
        assert fees_for("UK", Package.of(12.99, 9, 0.98, 0.1), 2500, "toys_and_games", WHEN).size_tier == "light_envelope"
        over = fees_for("UK", Package.of(13, 9, 0.98, 0.1), 2500, "toys_and_games", WHEN)
        assert (over.size_tier, over.fba_fee) == ("small_parcel", 300)
        # 0.99 in = 2.5146 cm is over 2.5 cm
        assert fees_for("UK", Package.of(12, 9, 0.99, 0.1), 2500, "toys_and_games", WHEN).size_tier == "large_envelope"

    def test_catalog_pounds_are_compared_exactly_with_gram_edges(self):
        # 0.2204 lb = 99.9718 g, 0.2205 lb = 100.0171 g (the light envelope stops at 100 g)
        assert fees_for("UK", Package.of(8, 6, 0.5, "0.2204"), 2500, "toys_and_games", WHEN).size_tier == "light_envelope"
        assert fees_for("UK", Package.of(8, 6, 0.5, "0.2205"), 2500, "toys_and_games", WHEN).size_tier == "standard_envelope"

    def test_charged_weight_over_weight_scale_is_pounds(self):
        got = fees_for("UK", Package.metric(30, 20, 10, 800), 2499, "home_and_kitchen", WHEN)
        assert Fraction(got.charged_weight, got.weight_scale) * G_PER_LB == 1200  # grams, exactly
        assert float(got.shipping_weight_lb) == 2.646


class TestUkReferral:
    @pytest.mark.parametrize("category, price, fee", [
        ("toys_and_games", 50, 25),  # 7.5p: the GBP 0.25 minimum
        ("books", 50, 8),  # no minimum for media
        ("clothing_and_accessories", 1500, 75),  # 5% at and up to GBP 15 (whole price)
        ("clothing_and_accessories", 1501, 150),  # 10% up to GBP 20
        ("clothing_and_accessories", 2001, 300),  # 15% of the portion up to GBP 40
        ("clothing_and_accessories", 10000, 600 + 420),  # + 7% of the portion above GBP 40
        ("furniture", 20000, 2625 + 250),  # 15% of GBP 175, 10% above
        ("automotive_and_powersports", 10000, 675 + 495),  # 15% of GBP 45, 9% above
        ("beauty_health_personal_care", 1000, 80),  # 8% at GBP 10 (whole price)
        ("beauty_health_personal_care", 1001, 150),  # 15% above
        ("home_products", 2000, 160),  # 8% at and up to GBP 20
        ("grocery_and_gourmet", 200, 10),  # 5%, no minimum
    ])
    def test_referral(self, category, price, fee):
        got = fees_for("UK", Package.metric(10, 10, 5, 150), price, category, WHEN, FeeOptions(fulfilment="FBM"))
        assert got.referral_fee == fee

    def test_referral_is_charged_on_price_plus_delivery(self):
        got = fees_for("UK", Package.metric(10, 10, 5, 150), 2000, "toys_and_games", WHEN,
                       FeeOptions(fulfilment="FBM", shipping_charge=399))
        assert got.referral_fee == 360  # 15% of GBP 23.99, rounded half up


class TestUkSchedule:
    def test_breakdown_says_the_schedule_is_unconfirmed(self):
        got = fees_for("UK", Package.metric(20, 15, 1, 50), 1299, "toys_and_games", WHEN)
        assert got.as_dict()["confidence"] == "unconfirmed" and got.as_dict()["currency"] == "GBP"

    def test_components_the_schedule_lacks_are_listed_not_guessed(self):
        got = fees_for("UK", Package.metric(20, 15, 1, 50), 1299, "books", WHEN, FeeOptions(individual_plan=True))
        assert set(got.missing) == {"monthly_storage_fee", "variable_closing_fee"}
        assert (got.monthly_storage_fee, got.variable_closing_fee, got.per_item_fee) == (0, 0, 75)

    def test_apparel_card_is_not_in_the_schedule(self):
        with pytest.raises(FeeError, match="no apparel fulfilment fees"):
            fees_for("UK", Package.metric(30, 20, 3, 300), 1999, "clothing_and_accessories", WHEN,
                     FeeOptions(apparel=True))

    def test_no_placement_estimate(self):
        with pytest.raises(FeeError, match="no inbound placement estimate"):
            fees_for("UK", Package.metric(30, 20, 3, 300), 1999, "toys_and_games", WHEN, FeeOptions(placement="estimate"))

    def test_before_the_schedule_is_an_error(self):
        with pytest.raises(FeeError, match="no UK fee schedule in force on 2026-01-31"):
            schedule_for("UK", date(2026, 1, 31))

    def test_other_marketplaces_still_have_no_schedule(self):
        for code in ("CA", "DE", "FR", "IT", "ES", "JP", "MX"):
            with pytest.raises(FeeError, match=f"no fee schedule for {code}"):
                schedule_for(code, WHEN)


class TestUnits:
    def test_metric_and_imperial_packages_agree_on_the_us_schedule(self):
        imperial = fees_for("US", Package.of(10, 8, 3, "1.2"), 2499, "toys_and_games", WHEN)
        metric = fees_for("US", Package.metric(25.4, 20.32, 7.62, "544.311"), 2499, "toys_and_games", WHEN)
        assert (metric.size_tier, metric.fba_fee, metric.referral_fee) == \
            (imperial.size_tier, imperial.fba_fee, imperial.referral_fee)
        assert metric.monthly_storage_fee == imperial.monthly_storage_fee

    def test_us_edges_stay_exact_for_metric_packages(self):
        # 0.75 in = 1.905 cm: the small standard limit
        assert fees_for("US", Package.metric(30, 20, 1.905, 200), 1999, "toys_and_games", WHEN).size_tier == "small_standard"
        assert fees_for("US", Package.metric(30, 20, 1.91, 200), 1999, "toys_and_games", WHEN).size_tier == "large_standard"

    def test_metric_package_limits(self):
        with pytest.raises(FeeError, match="larger than any parcel"):
            Package.metric(1270.0001, 10, 10, 100)
        with pytest.raises(ValueError, match="height: expected a number"):
            Package.metric(10, 10, "tall", 100)

    def test_measures_are_per_unit_system(self):
        assert UK.measure(IMPERIAL) is UK.measure(IMPERIAL) and UK.measure(METRIC).units == METRIC
        assert weight_scale(UK) == UK.measure(IMPERIAL).per_lb


# ---- properties: the polars path is the single path, on the UK schedule too ---------------------

CATEGORIES = sorted(UK.categories)
sides = st.integers(min_value=1, max_value=50_000)  # 1/100 in, up to 500 in (the package limit)
weights = st.integers(min_value=0, max_value=100_000_000)  # 1/10000 lb, up to 10,000 lb
small_sides = st.integers(min_value=1, max_value=5_000)  # up to 50 in: mostly inside the tiers
small_weights = st.integers(min_value=0, max_value=800_000)  # up to 80 lb
prices = st.integers(min_value=0, max_value=500_000)
DATES = st.dates(min_value=date(2026, 2, 1), max_value=date(2027, 1, 31))


def _row(p: Package, price: int, category: str) -> dict:
    return dict(price=price, longest=p.longest, median=p.median, shortest=p.shortest, weight=p.weight,
                category=category, apparel=False)


def _package(a: int, b: int, c: int, w: int) -> Package:
    longest, median, shortest = sorted((a, b, c), reverse=True)
    return Package.checked(longest, median, shortest, w)


def _same(row: dict, p: Package, price: int, category: str, when: date, options: FeeOptions) -> None:
    try:
        one = compute(UK, p, price, category, when, options)
    except FeeError:
        assert row["fee_error"] is not None
        return
    assert row["fee_error"] is None
    for name in ("size_tier", "price_band", "fba_fee_base", "fba_fee", "referral_fee", "variable_closing_fee",
                 "per_item_fee", "inbound_placement_fee", "monthly_storage_fee", "weight_steps", "charged_weight"):
        assert row[name] == getattr(one, name), name
    assert row["fees_total"] == one.total


class TestUkProperties:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.one_of(st.tuples(small_sides, small_sides, small_sides, small_weights),
                                        st.tuples(sides, sides, sides, weights)),
                              prices, st.sampled_from(CATEGORIES)), min_size=1, max_size=20),
           DATES, st.booleans())
    def test_polars_path_equals_single_path(self, rows, when, fbm):
        options = FeeOptions(fulfilment="FBM" if fbm else "FBA", shipping_charge=199 if fbm else 0)
        packages = [_package(*dims) for dims, _, _ in rows]
        frame = fee_frame(pl.DataFrame([_row(p, price, cat) for p, (_, price, cat) in zip(packages, rows)]),
                          UK, when, options)
        for p, (_, price, cat), got in zip(packages, rows, frame.iter_rows(named=True)):
            _same(got, p, price, cat, when, options)

    @settings(max_examples=200, deadline=None)
    @given(small_sides, small_sides, small_sides, small_weights, st.integers(min_value=1, max_value=200_000), prices)
    def test_fba_fee_is_monotone_in_weight_within_a_tier(self, a, b, c, w, extra, price):
        try:
            one = compute(UK, _package(a, b, c, w), price, "toys_and_games", WHEN)
            two = compute(UK, _package(a, b, c, w + extra), price, "toys_and_games", WHEN)
        except FeeError:
            return
        if (one.size_tier, one.price_band) == (two.size_tier, two.price_band):
            assert two.fba_fee >= one.fba_fee

    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.tuples(sides, sides, sides, weights), min_size=1, max_size=10),
           st.integers(min_value=0, max_value=10_000))
    def test_inbound_shipping_is_exact_on_the_largest_metric_weights(self, rows, per_lb):
        # scaled metric weights reach 1e18; x $100 a pound must not leave Int64 in the frame
        from sellerkit.domain.profit import CostOptions

        scale = weight_scale(UK)
        charged = [_package(*r).weight * UK.measure().unit_scale for r in rows]
        df = pl.DataFrame({"price": [1000] * len(rows), "fees_total": [0] * len(rows),
                           "monthly_storage_fee": [0] * len(rows), "charged_weight": charged,
                           "cost": [0] * len(rows), "supplier_pack_quantity": [1] * len(rows),
                           "amazon_pack_quantity": [1] * len(rows), "discount_per_product_bp": [0] * len(rows)})
        options = CostOptions(inbound_per_lb=per_lb)
        out = financial_frame(df, scale, options)
        for c, got in zip(charged, out["inbound_shipping"].to_list()):
            assert got == financials(1000, 0, 0, c, scale, 0, options).inbound_shipping
