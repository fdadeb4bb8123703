"""Monthly sales estimates, always with the method that produced them and a range.

Three methods, all from data the seller's own catalog holds, so no third-party model's licence
is involved:

- `amazon_monthly_sold`: Amazon's "N+ bought in past month" badge. Amazon rounds down to a
  display step (50, 100, 200 ... 900, 1K, 2K ... 9K, 10K, 20K ...), so the range is
  [N, next step - 1] and the estimate is N, the figure Amazon vouches for.
- `rank_drops_30d`: drops of the Best Sellers Rank between observations in the last 30 days.
  A drop means at least one sale; several sales between two observations show as one drop,
  so the drop count is a floor (low = estimate = drops) and the high end is unknown (None).
- `bsr_catalog_fit`: Best Sellers Rank and category, through a power law
  `ln(units) = a + b ln(rank)` fitted by least squares on the products of the same category in
  the seller's own catalog that carry Amazon's monthly-sold figure (at least 30). The range is
  the fit's 10th to 90th percentile residuals around the estimate.

`units_per_month` is the whole listing's estimate. The seller's share of it is taken as an even
split among the new offers and the seller (`share = 1 / (new_offers + 1)`), the Buy Box
rotating evenly; `profit_per_month = round(units x share x profit per unit)`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sellerkit.domain.money import div_round

WINDOW = timedelta(days=30)
MIN_FIT_POINTS = 30


@dataclass(frozen=True, slots=True)
class SalesEstimate:
    units_per_month: int | None
    low: int | None
    high: int | None
    method: str  # amazon_monthly_sold | rank_drops_30d | none
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def _next_step(n: int) -> int:
    """Amazon's next display step above n: 50 -> 100, 100 -> 200, 900 -> 1000, 1000 -> 2000."""
    if n < 100:
        return 100
    magnitude = 10 ** (len(str(n)) - 1)
    return (n // magnitude + 1) * magnitude


def from_monthly_sold(monthly_sold: int) -> SalesEstimate:
    high = _next_step(monthly_sold) - 1
    return SalesEstimate(monthly_sold, monthly_sold, high, "amazon_monthly_sold",
                         f"Amazon shows {monthly_sold:,}+ bought in the past month")


def from_rank_history(history: Iterable[tuple[datetime, int | None]], now: datetime) -> SalesEstimate | None:
    """Count rank drops over the last 30 days; None when fewer than two ranks were observed."""
    ranks = [rank for at, rank in sorted(history) if rank and now - WINDOW <= at <= now]
    if len(ranks) < 2:
        return None
    drops = sum(1 for before, after in zip(ranks, ranks[1:]) if after < before)
    return SalesEstimate(drops, drops, None, "rank_drops_30d",
                         f"{drops} sales-rank drops in {len(ranks)} observations over 30 days (a floor)")


@dataclass(frozen=True, slots=True)
class RankModel:
    """ln(units) = intercept + slope x ln(rank), with residual quantiles for the range."""

    intercept: float
    slope: float
    low_residual: float
    high_residual: float
    points: int
    category: str

    def estimate(self, rank: int) -> SalesEstimate:
        centre = self.intercept + self.slope * math.log(rank)
        return SalesEstimate(
            round(math.exp(centre)), round(math.exp(centre + self.low_residual)),
            round(math.exp(centre + self.high_residual)), "bsr_catalog_fit",
            f"rank {rank:,} through a power law fitted on {self.points} {self.category} products "
            f"of your catalog with Amazon's monthly-sold figure")


def fit_rank_model(points: Sequence[tuple[int, int]], category: str) -> RankModel | None:
    """Least squares of ln(units) on ln(rank); None with too few points or no spread of ranks."""
    pts = [(math.log(r), math.log(u)) for r, u in points if r and r > 0 and u and u > 0]
    if len(pts) < MIN_FIT_POINTS:
        return None
    n = len(pts)
    mx, my = sum(x for x, _ in pts) / n, sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in pts) / sxx
    intercept = my - slope * mx
    residuals = sorted(y - (intercept + slope * x) for x, y in pts)
    return RankModel(intercept, slope, residuals[int(0.1 * (n - 1))], residuals[int(0.9 * (n - 1))], n, category)


def estimate(monthly_sold: int | None, history: Iterable[tuple[datetime, int | None]], now: datetime,
             rank: int | None = None, model: RankModel | None = None) -> SalesEstimate:
    """Amazon's own figure first, then rank drops, then the rank model; otherwise say so."""
    if monthly_sold is not None and monthly_sold > 0:
        return from_monthly_sold(monthly_sold)
    drops = from_rank_history(history, now)
    if drops is not None:
        return drops
    if rank and model is not None:
        return model.estimate(rank)
    return SalesEstimate(None, None, None, "none",
                         "no monthly-sold figure, too little rank history and no rank model for the category")


def monthly_figures(units: int | None, price: int | None, profit: int | None,
                    new_offers: int | None) -> dict[str, int | None]:
    """RocketSource's units/sales/profit per month; profit is the seller's even share."""
    if units is None or price is None:
        return {"units_per_month": units, "sales_per_month": None, "profit_per_month": None}
    sellers = (new_offers or 0) + 1
    return {
        "units_per_month": units,
        "sales_per_month": units * price,
        "profit_per_month": div_round(units * profit, sellers) if profit is not None else None,
    }


HISTORY_PERIODS = {"d30": 30, "d60": 60, "d90": 90, "d180": 180}


def historical_frame(observations, now: datetime):
    """RocketSource's `historical` statistics per ASIN from observations (polars frame with asin,
    observed_at, buybox_price, rank, amazon_in_stock): mean rank and price, the share of
    observations with Amazon in stock (basis points), and rank drops, per 30/60/90/180 days;
    -1 where a period has no observation of that figure."""
    import polars as pl

    obs = observations.sort("asin", "observed_at").with_columns(
        (pl.col("rank") < pl.col("rank").shift(1).over("asin")).alias("_drop"))
    columns = []
    for period, days in HISTORY_PERIODS.items():
        inside = pl.col("observed_at") >= now - timedelta(days=days)
        columns += [
            pl.col("rank").filter(inside).mean().round(0).cast(pl.Int64).fill_null(-1).alias(f"historical.bsr.{period}"),
            pl.col("buybox_price").filter(inside).mean().round(0).cast(pl.Int64).fill_null(-1)
            .alias(f"historical.price.{period}"),
            (pl.col("amazon_in_stock").filter(inside).cast(pl.Float64).mean() * 10_000).round(0).cast(pl.Int64)
            .fill_null(-1).alias(f"historical.amazon_in_stock_rate.{period}"),
            pl.when(pl.col("rank").filter(inside).count() >= 2)
            .then(pl.col("_drop").filter(inside).sum().cast(pl.Int64)).otherwise(-1)
            .alias(f"historical.sales_rank_drops.{period}"),
        ]
    return obs.group_by("asin").agg(columns)


PROVIDED_STATS_MAX_AGE = timedelta(days=30)


def with_provided_stats(frame, provided: Iterable[tuple[str, dict]], now: datetime,
                        max_age: timedelta = PROVIDED_STATS_MAX_AGE):
    """`historical_frame`'s figures, replaced by a provider's own where a catalog record carries
    them (`keepa_stats`: `{"observed_at", "bsr": {"d30": ...}, "price": ..., ...}`, computed
    by Keepa over its full history) and they were observed within `max_age`; the figures a
    provider does not give stay those of the observations (-1 where there are none)."""
    import polars as pl

    names = [c for c in frame.columns if c != "asin"]
    rows = []
    for asin, stats in provided:
        try:
            at = datetime.fromisoformat(str(stats.get("observed_at")).replace("Z", "+00:00"))
        except ValueError:
            continue
        if at.tzinfo is None or now - at > max_age:
            continue
        row = {"asin": asin}
        for name in names:
            _, stat, period = name.split(".")
            value = (stats.get(stat) or {}).get(period)
            row[name] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
        rows.append(row)
    if not rows:
        return frame
    given = pl.DataFrame(rows, schema={"asin": pl.String, **{n: pl.Int64 for n in names}}, orient="row") \
        .unique("asin", keep="last")
    joined = frame.join(given, on="asin", how="full", coalesce=True, suffix="_provided")
    return joined.select("asin", *(pl.coalesce(pl.col(f"{n}_provided"), pl.col(n)).fill_null(-1).alias(n) for n in names))
