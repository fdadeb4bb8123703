"""Issue 2 figures: importing a 1,000,000-product catalog, and /api/v3/convert under load."""

from __future__ import annotations

import json
import random
import resource
import shutil
import subprocess
import time
from pathlib import Path

from bench.common import DATA, PY, bench_key, env_for, have_wrk, report, sellerkit, server, wrk

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


def _sample_upcs(src: Path, n: int = 2000) -> list[str]:
    rng = random.Random(3)
    codes = []
    with open(src, "rb") as fh:
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


def bench_convert(data_dir: Path, products: int = PRODUCTS) -> None:
    if not have_wrk():
        report("POST /api/v3/convert (20 ids)", "SKIPPED: wrk not installed", "", "apt-get install wrk")
        return
    env = env_for(data_dir)
    sellerkit("catalog", "snapshot", env=env, capture_output=True)  # else the server builds them while measured
    key = bench_key(env)["key"]  # unlimited plan, request rate raised above the default 600/s
    codes = _sample_upcs(catalog_file(products))
    bodies = [json.dumps({"marketplace": "US", "ids": codes[i:i + 20]}) for i in range(0, len(codes) - 20, 20)]
    script = DATA / "convert.lua"
    script.write_text(
        "local bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n"
        "local i = 0\n"
        "wrk.method = 'POST'\n"
        f"wrk.headers['Authorization'] = 'Bearer {key}'\n"
        "wrk.headers['Content-Type'] = 'application/json'\n"
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, '/api/v3/convert', nil, bodies[i])\n"
        "end\n"
    )
    with server(env, workers=2) as base:
        wrk(base, script, connections=16, seconds=3)  # warm-up
        res = wrk(base, script, connections=16, seconds=15)
    ok = res["rps"] >= 1500 and res["p99"] < 50 and res["non2xx"] == 0
    report("POST /api/v3/convert (20 ids, HTTP/1.1 keep-alive)",
           f"{res['rps']:,.0f} req/s p50 {res['p50']:.1f} ms p99 {res['p99']:.1f} ms",
           f"{products:,}-product catalog; {res['settings']}, 2 server workers",
           f"{'PASS' if ok else 'FAIL'} >= 1,500 req/s, p99 < 50 ms, non-2xx {res['non2xx']}")


def run(products: int = PRODUCTS) -> None:
    data_dir = bench_import(products)
    bench_convert(data_dir, products)
