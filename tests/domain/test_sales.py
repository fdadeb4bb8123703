"""Tests for sellerkit.domain.sales: every estimate carries its method and range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sellerkit.domain.sales import estimate, fit_rank_model, from_monthly_sold, from_rank_history, monthly_figures

NOW = datetime(2026, 11, 23, tzinfo=UTC)


class TestMonthlySold:
    @pytest.mark.parametrize("shown, high", [(50, 99), (100, 199), (900, 999), (1000, 1999), (20000, 29999)])
    def test_range_runs_to_amazons_next_display_step(self, shown, high):
        e = from_monthly_sold(shown)
        assert (e.units_per_month, e.low, e.high, e.method) == (shown, shown, high, "amazon_monthly_sold")


class TestRankDrops:
    def test_counts_drops_in_the_last_30_days_only(self):
        history = [(NOW - timedelta(days=40), 100), (NOW - timedelta(days=20), 900), (NOW - timedelta(days=15), 800),
                   (NOW - timedelta(days=10), 850), (NOW - timedelta(days=5), 700)]
        e = from_rank_history(history, NOW)
        assert (e.low, e.high, e.method) == (2, None, "rank_drops_30d")

    def test_needs_two_ranks(self):
        assert from_rank_history([(NOW, 500)], NOW) is None


class TestEstimate:
    def test_amazons_figure_wins_over_rank_drops(self):
        assert estimate(300, [(NOW - timedelta(days=2), 9), (NOW, 5)], NOW).method == "amazon_monthly_sold"

    def test_says_when_there_is_no_estimate(self):
        e = estimate(None, [], NOW)
        assert (e.units_per_month, e.method) == (None, "none") and e.detail


class TestMonthlyFigures:
    def test_profit_is_the_sellers_even_share(self):
        assert monthly_figures(100, 2000, 300, 4) == {"units_per_month": 100, "sales_per_month": 200_000,
                                                      "profit_per_month": 6000}

    def test_no_units_no_figures(self):
        assert monthly_figures(None, 2000, 300, 4)["profit_per_month"] is None


class TestRankModel:
    POINTS = [(rank, round(50_000 * rank ** -0.8)) for rank in range(100, 20_000, 500)]

    def test_recovers_a_power_law_with_a_range(self):
        model = fit_rank_model(self.POINTS, "Toys & Games")
        assert model.slope == pytest.approx(-0.8, abs=0.01)
        e = model.estimate(1_000)
        assert e.method == "bsr_catalog_fit" and e.low <= e.units_per_month <= e.high
        assert e.units_per_month == pytest.approx(50_000 * 1_000 ** -0.8, rel=0.05)

    def test_needs_thirty_products(self):
        assert fit_rank_model(self.POINTS[:29], "Toys & Games") is None

    def test_is_used_after_amazons_figure_and_rank_drops(self):
        model = fit_rank_model(self.POINTS, "Toys & Games")
        assert estimate(None, [], NOW, rank=1_000, model=model).method == "bsr_catalog_fit"
        assert estimate(None, [], NOW, rank=None, model=model).method == "none"
