"""Issue 2 figures: importing a 1,000,000-product catalog (convert under load: bench/lookup.py)."""

from __future__ import annotations

import json
import random
import resource
import shutil
import subprocess
import time
from pathlib import Path

from bench.common import DATA, PY, env_for, report

PRODUCTS = 1_000_000


def catalog_file(products: int = PRODUCTS) -> Path:
    """The deterministic demo generator's products (no history), generated once and kept."""
    path = DATA / f"catalog-{products}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        code = (
            "import sys, orjson\n"
            "from sellerkit.catalog.demo import generate\n"
            f"out = open({str(tmp)!r}, 'wb')\n"
            f"for rec in generate({products}, seed=7, history_share=0.0):\n"
            "    out.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))\n"
            "out.close()\n"
        )
        subprocess.run([PY, "-c", code], check=True)
        tmp.rename(path)
    return path


def bench_import(products: int = PRODUCTS) -> Path:
    """Import into a fresh SQLite database through the real CLI; returns the data dir."""
    src = catalog_file(products)
    data_dir = DATA / f"db-{products}"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = env_for(data_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run([PY, "-m", "sellerkit.cli", "catalog", "import", str(src), "--json"],
                         env=env, check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    summary = json.loads(out)
    rate = summary["inserted"] / elapsed
    report("catalog import (JSONL, SQLite)", f"{rate:,.0f} products/s ({elapsed:.1f} s)",
           f"{summary['inserted']:,} products, {src.stat().st_size / 2**20:,.0f} MiB",
           f"{'PASS' if rate >= 20_000 else 'FAIL'} >= 20,000/s")
    report("catalog import peak memory", f"{rss_mb:,.0f} MiB RSS" + (" (max of runs)" if before else ""),
           f"{products:,} products", f"{'PASS' if rss_mb < 1024 else 'FAIL'} bounded (< 1 GiB)")
    return data_dir


def sample_codes(products: int = PRODUCTS, n: int = 2000) -> list[str]:
    """UPC, EAN and ISBN codes of every 97th product of the catalog file, shuffled."""
    rng = random.Random(3)
    codes = []
    with open(catalog_file(products), "rb") as fh:
        for i, line in enumerate(fh):
            if i % 97:
                continue
            rec = json.loads(line)
            for fam in ("upc", "ean", "isbn"):
                codes += rec.get("identifiers", {}).get(fam, [])[:1]
            if len(codes) >= n:
                break
    rng.shuffle(codes)
    return codes


def run(products: int = PRODUCTS) -> None:
    bench_import(products)  # convert is measured beside /health by the lookup suite
