"""Scan result exports: CSV and JSON of 1,000,000 rows, XLSX of 200,000 rows, every result column."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from bench.common import DATA, report
from sellerkit.domain.results import ALL_PRODUCT_FIELDS, Kind
from sellerkit.scans import exports

CSV_ROWS = 1_000_000
XLSX_ROWS = 200_000
CUSTOM_NAMES = ["Supplier note", "Case pack"]
_WORDS = ("Stainless", "Steel", "Organic", "Dog", "Treats", "Wireless", "Charger", "Kitchen", "Set",
          "Premium", "Pack", "of", "12", "Bamboo", "Towels", "Vitamin", "D3", "Gummies", "LED", "Lamp")


def _rand(name: str, modulo: int) -> pl.Expr:
    """A deterministic pseudo-random integer in [0, modulo) per row, different per column."""
    seed = sum(map(ord, name)) * 7919
    return (pl.int_range(pl.len(), dtype=pl.UInt64).hash(seed) % modulo).cast(pl.Int64)


def _titles() -> pl.Expr:
    pool = [" ".join(_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range(6 + i % 9)) + f" {i}"
            for i in range(5_000)]
    pool[13] = "=HYPERLINK(\"http://example.com\",\"free\")"  # one formula-looking title in 5,000
    return pl.lit(pl.Series(pool)).gather(_rand("title", len(pool)))


def result_frame(n: int) -> pl.DataFrame:
    """`n` result rows holding every product and historical column, values of realistic size."""
    titles = _titles()
    exprs = []
    for name, kind in ALL_PRODUCT_FIELDS.items():
        r = _rand(name, 1_000_000)
        nulls = _rand(name + "?", 20) == 0  # 5% nulls everywhere
        if name == "inputs.custom_columns":
            expr = pl.concat_list(r.cast(pl.String), pl.lit("case ") + (r % 24).cast(pl.String))
        elif name in ("amazon_title", "inputs.supplier_title"):
            expr = titles
        elif kind is Kind.TEXT:
            expr = pl.lit("B0") + r.cast(pl.String).str.zfill(8)
        elif kind is Kind.TEXTS:
            one = r.cast(pl.String).str.zfill(12)
            expr = pl.when(r % 3 == 0).then(pl.concat_list(one, pl.lit("0") + one)).otherwise(pl.concat_list(one))
        elif kind is Kind.MONEY:
            expr = r % 40_000 - 5_000  # some negative profits
        elif kind is Kind.RATIO:
            expr = r % 20_000 - 5_000
        elif kind is Kind.FLOAT:
            expr = r.cast(pl.Float64) / 1_000
        elif kind is Kind.BOOL:
            expr = r % 2 == 0
        else:
            expr = r
        exprs.append(pl.when(nulls).then(None).otherwise(expr).alias(name))
    return pl.DataFrame({"_": pl.Series([0] * n, dtype=pl.Int8)}).select(exprs)


def _timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t0


def run(_products: int | None = None) -> None:
    frame = result_frame(CSV_ROWS)
    size = f"{frame.height:,} rows x {frame.width} columns"
    out: Path = DATA / "export.csv"
    times = [_timed(exports.write_csv, frame, out, custom_names=CUSTOM_NAMES) for _ in range(3)]
    mb = out.stat().st_size / 2**20
    runs = ", ".join(f"{t:.2f}" for t in times)
    report("export CSV (polars write_csv, prepared chunks)", f"{min(times):.2f} s (runs {runs}; {mb:.0f} MiB)",
           size, f"{'PASS' if min(times) < 10 else 'FAIL'} < 10 s")
    seconds = _timed(exports.write_json, frame, DATA / "export.json")
    report("export JSON (product objects, polars structs)", f"{seconds:.1f} s", size)
    small = frame.head(XLSX_ROWS)
    seconds = _timed(exports.write_xlsx, small, DATA / "export.xlsx", custom_names=CUSTOM_NAMES)
    report("export XLSX (sheet XML built by polars, a chunk at a time)", f"{seconds:.1f} s",
           f"{small.height:,} rows x {small.width} columns")
    narrow = small.select(frame.columns[:10])
    seconds = _timed(exports.write_xlsx, narrow, DATA / "export-narrow.xlsx")
    report("export XLSX, 10 columns", f"{seconds:.1f} s", f"{narrow.height:,} rows x 10 columns",
           "DESIGN.md: about 21 s")
    for name in ("export.csv", "export.json", "export.xlsx", "export-narrow.xlsx"):
        (DATA / name).unlink(missing_ok=True)
