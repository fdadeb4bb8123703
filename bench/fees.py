"""Issue 3 figures: fees and financials for 1,000,000 rows (polars) and for one product (Python),
on the US schedule (inches and pounds) and on the UK one (centimetres and grams, the catalog's
inches and pounds converted exactly)."""

from __future__ import annotations

import random
import time
from datetime import date

import polars as pl

from bench.common import report
from sellerkit.domain.fees import FeeOptions, Package, compute, schedule_for
from sellerkit.domain.fees.engine import weight_scale
from sellerkit.domain.fees.frame import fee_frame
from sellerkit.domain.profit import CostOptions, MultipackPrep, financial_frame, financials

ROWS = 1_000_000
WHEN = date(2026, 6, 1)
OPTIONS = CostOptions(discount_supplier_bp=500, prep_cost=50, inbound_per_lb=40, storage_months=2,
                      multipack_prep=MultipackPrep(1, 50, 15))


def scan_rows(n: int, seed: int = 11, marketplace: str = "US") -> pl.DataFrame:
    """A scan's worth of matched products: sizes from envelopes to furniture, every category
    (UK: up to 69 lb and no apparel card, so every row has a fee, as on the US schedule)."""
    schedule = schedule_for(marketplace, WHEN)
    uk = marketplace == "UK"
    rng = random.Random(seed)
    cats = sorted(schedule.categories)
    rows = []
    for _ in range(n):
        s = sorted((rng.randint(10, 6_000), rng.randint(10, 3_000), rng.randint(10, 2_000)), reverse=True)
        rows.append((rng.randint(99, 30_000), *s, rng.randint(50, 690_000 if uk else 700_000), rng.choice(cats),
                     not uk and rng.random() < 0.1,
                     rng.randint(50, 20_000), rng.choice((1, 1, 1, 6, 12)), rng.choice((1, 1, 2, 3)),
                     rng.choice((0, 0, 500))))
    return pl.DataFrame(rows, orient="row", schema=[
        ("price", pl.Int64), ("longest", pl.Int64), ("median", pl.Int64), ("shortest", pl.Int64),
        ("weight", pl.Int64), ("category", pl.String), ("apparel", pl.Boolean), ("cost", pl.Int64),
        ("supplier_pack_quantity", pl.Int64), ("amazon_pack_quantity", pl.Int64),
        ("discount_per_product_bp", pl.Int64)])


def bench_frame(df: pl.DataFrame, marketplace: str = "US") -> None:
    schedule = schedule_for(marketplace, WHEN)
    per_lb = weight_scale(schedule)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = financial_frame(fee_frame(df, schedule, WHEN), per_lb, OPTIONS)
        times.append(time.perf_counter() - t0)
    assert out.height == df.height and out["profit"].null_count() == 0
    best = min(times)
    report(f"fees + financials, polars, {marketplace}", f"{best:.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})",
           f"{df.height:,} rows", f"{'PASS' if best < 1 else 'FAIL'} < 1 s")


def bench_single(df: pl.DataFrame, n: int = 20_000, marketplace: str = "US") -> None:
    schedule = schedule_for(marketplace, WHEN)
    rows = df.head(n).iter_rows()
    items = [(Package.checked(r[1], r[2], r[3], r[4]), r[0], r[5], FeeOptions(apparel=r[6]), r[7:]) for r in rows]
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for package, price, category, options, (cost, spq, apq, dpp) in items:
            fees = compute(schedule, package, price, category, WHEN, options)
            financials(price, fees.total, fees.monthly_storage_fee, fees.charged_weight, fees.weight_scale,
                       cost, OPTIONS, spq, apq, dpp)
        best = min(best, (time.perf_counter() - t0) / len(items))
    report(f"fees + financials, one product, {marketplace}", f"{best * 1e6:.1f} us per product", f"{len(items):,} products",
           f"{'PASS' if best < 50e-6 else 'FAIL'} < 50 us")


def run(_products: int | None = None) -> None:
    for marketplace in ("US", "UK"):
        df = scan_rows(ROWS, marketplace=marketplace)
        bench_frame(df, marketplace)
        bench_single(df, marketplace=marketplace)
