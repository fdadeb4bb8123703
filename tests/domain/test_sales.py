"""Tests for sellerkit.domain.sales: every estimate carries its method and range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sellerkit.domain import sales
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


class TestProvidedStats:
    """Keepa's own 30/60/90/180-day figures (`keepa_stats` on a catalog record) over those the
    catalog's observations give."""

    NOW = datetime(2026, 11, 2, tzinfo=UTC)

    def frame(self):
        import polars as pl

        obs = pl.DataFrame({
            "asin": ["B000000001"] * 3 + ["B000000002"] * 2,
            "observed_at": [self.NOW - timedelta(days=d) for d in (1, 2, 50, 1, 2)],
            "buybox_price": [1000, 1200, 1400, 500, 700], "rank": [90, 100, 80, 10, 20],
            "amazon_in_stock": [True, False, True, True, True],
        })
        return sales.historical_frame(obs, self.NOW)

    def test_a_providers_figures_replace_the_observations_where_given(self):
        keepa = {"observed_at": "2026-11-01T00:00:00Z", "bsr": {"d30": 1250, "d60": 1300},
                 "price": {"d90": 2620}, "sales_rank_drops": {"d30": 12}}
        out = sales.with_provided_stats(self.frame(), [("B000000001", keepa)], self.NOW).sort("asin")
        one, two = out.row(0, named=True), out.row(1, named=True)
        assert (one["historical.bsr.d30"], one["historical.bsr.d60"], one["historical.price.d90"]) == (1250, 1300, 2620)
        assert one["historical.sales_rank_drops.d30"] == 12
        assert one["historical.price.d30"] == 1100 and one["historical.bsr.d90"] == 90  # the observations'
        assert two["historical.bsr.d30"] == 15  # no Keepa figures: the observations'

    def test_an_asin_only_a_provider_knows(self):
        keepa = {"observed_at": "2026-11-01T00:00:00Z", "bsr": {"d30": 77}}
        out = sales.with_provided_stats(self.frame(), [("B000000009", keepa)], self.NOW)
        row = out.filter(out["asin"] == "B000000009").row(0, named=True)
        assert row["historical.bsr.d30"] == 77 and row["historical.price.d30"] == -1

    def test_stale_figures_are_not_used(self):
        keepa = {"observed_at": "2026-09-01T00:00:00Z", "bsr": {"d30": 1250}}
        out = sales.with_provided_stats(self.frame(), [("B000000001", keepa)], self.NOW).sort("asin")
        assert out.row(0, named=True)["historical.bsr.d30"] == 95
