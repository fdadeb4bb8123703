"""Tests for sellerkit.domain.profit: the formulas, their edges, and the polars twin."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sellerkit.domain.fees import Package, compute, schedule_for
from sellerkit.domain.fees.frame import fee_frame
from sellerkit.domain.fees.engine import weight_scale
from sellerkit.domain.profit import CostError, CostOptions, MultipackPrep, financial_frame, financials, sale_price

WHEN = date(2026, 6, 1)
SCHEDULE = schedule_for("US", WHEN)
SCALE = weight_scale(SCHEDULE)


def _fin(price=3000, fees=800, storage=5, weight_lb=1, cost=1500, options=CostOptions(), **row):
    return financials(price, fees, storage, weight_lb * SCALE, SCALE, cost, options, **row)


class TestFinancials:
    def test_profit_margin_roi(self):
        f = _fin(options=CostOptions(prep_cost=50, inbound_per_lb=100))
        assert (f.discount_cost, f.prep_cost, f.inbound_shipping, f.total_cogs) == (1500, 50, 100, 1650)
        assert (f.net_revenue, f.fba_storage_fees, f.profit) == (2200, 5, 545)
        assert (f.margin, f.roi) == (1817, 3303)  # 545/3000, 545/1650 rounded half up

    def test_supplier_pack_is_split_and_amazon_pack_multiplied(self):
        f = _fin(cost=1200, supplier_pack_quantity=12, amazon_pack_quantity=3)
        assert f.discount_cost == 300

    def test_discounts_stack(self):
        f = _fin(cost=1000, options=CostOptions(discount_supplier_bp=1000), discount_per_product_bp=500)
        assert f.discount_cost == 855  # 10.00 x 0.90 x 0.95

    def test_multipack_override_wins_over_the_catalog(self):
        f = _fin(cost=100, amazon_pack_quantity=2,
                 options=CostOptions(multipack_override=True, multipack_override_quantity=6))
        assert (f.amazon_pack_quantity, f.discount_cost) == (6, 600)

    def test_multipack_prep_first_n_then_rest(self):
        prep = MultipackPrep(first_n=2, cost_first_n=50, cost_rest=10)
        f = _fin(amazon_pack_quantity=5, options=CostOptions(multipack_prep=prep, prep_cost=999))
        assert f.prep_cost == 2 * 50 + 3 * 10

    def test_storage_months(self):
        assert _fin(storage=7, options=CostOptions(storage_months=3)).fba_storage_fees == 21

    def test_roi_is_none_when_nothing_was_spent(self):
        assert _fin(cost=0).roi is None

    def test_negative_profit_rounds_away_from_zero(self):
        f = _fin(price=1000, fees=900, cost=1001)
        assert (f.profit, f.margin) == (-906, -9060)

    @pytest.mark.parametrize("row, message", [
        (dict(cost=-1), "cost"),
        (dict(supplier_pack_quantity=0), "supplier_pack_quantity"),
        (dict(amazon_pack_quantity=5000), "amazon_pack_quantity"),
        (dict(discount_per_product_bp=12000), "discount_per_product"),
    ])
    def test_rejects_bad_rows_naming_the_field(self, row, message):
        with pytest.raises(CostError, match=message):
            _fin(**row)

    def test_rejects_override_without_quantity(self):
        with pytest.raises(CostError, match="multipack_override_quantity"):
            CostOptions(multipack_override=True)


class TestSalePrice:
    def test_buy_box_first_then_fallbacks(self):
        assert sale_price({"buybox_price": 2999, "lowest_price_new_fba": 2500}) == (2999, "buybox_price")
        assert sale_price({"lowest_price_new_fbm": 2100, "list_price": 3000}) == (2100, "lowest_price_new_fbm")
        assert sale_price({}) == (None, None)


options = st.builds(
    CostOptions,
    discount_supplier_bp=st.integers(0, 10_000),
    prep_cost=st.integers(0, 500),
    multipack_prep=st.none() | st.builds(MultipackPrep, st.integers(0, 10), st.integers(0, 300), st.integers(0, 300)),
    inbound_per_lb=st.integers(0, 1_000),
    storage_months=st.integers(0, 12),
)
rows = st.tuples(
    st.integers(1, 12_000), st.integers(1, 12_000), st.integers(1, 12_000), st.integers(0, 1_500_000),
    st.integers(0, 200_000), st.sampled_from(sorted(SCHEDULE.categories)),
    st.integers(0, 10_000_000), st.integers(1, 1_000), st.integers(1, 1_000), st.integers(0, 10_000),
)


class TestProperties:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(rows, min_size=1, max_size=20), options)
    def test_polars_path_equals_single_path_and_profit_adds_up(self, data, opts):
        single, frame_rows = [], []
        for a, b, c, w, price, category, cost, spq, apq, dpp in data:
            longest, median, shortest = sorted((a, b, c), reverse=True)
            package = Package.checked(longest, median, shortest, w)
            fees = compute(SCHEDULE, package, price, category, WHEN)
            f = financials(price, fees.total, fees.monthly_storage_fee, fees.charged_weight, fees.weight_scale,
                           cost, opts, spq, apq, dpp)
            # profit = price - fees - costs, exactly
            assert f.profit == price - fees.total - f.discount_cost - f.prep_cost - f.inbound_shipping \
                - f.fba_storage_fees
            single.append(f)
            frame_rows.append(dict(price=price, longest=longest, median=median, shortest=shortest, weight=w,
                                   category=category, apparel=False, cost=cost, supplier_pack_quantity=spq,
                                   amazon_pack_quantity=apq, discount_per_product_bp=dpp))
        out = financial_frame(fee_frame(pl.DataFrame(frame_rows), SCHEDULE, WHEN), SCALE, opts)
        for f, got in zip(single, out.iter_rows(named=True)):
            assert got["cost_error"] is None
            for field, value in f.as_dict().items():
                assert got[field] == value, field
