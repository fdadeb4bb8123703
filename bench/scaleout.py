"""Issue 17 figures: a scan whose files are in an S3-compatible store (moto's S3 server on
loopback) against the same scan on local disk, and result pages from a server that did not run
the scan against the one that did.

Every server here shares the benchmark catalog's SQLite database (SELLERKIT_DATABASE_URL) and has
a data dir of its own, with its catalog snapshot built before anything is timed. The disk server
keeps its files in its data dir; the S3 servers keep theirs in one bucket (SELLERKIT_BLOB_URL).
Server A runs the scan on its embedded job thread (as `bench/scans.py` does); server B
(SELLERKIT_EMBEDDED_WORKER=0) never saw it and reads its results from the bucket.
SELLERKIT_BENCH_SCALEOUT_ROWS changes the supplier file's row count (default 1,000,000).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.catalog import PRODUCTS, bench_import
from bench.common import DATA, bench_key, env_for, report, sellerkit, server_process
from bench.scans import _scan, supplier_csv
from tests.deploy.stack import S3_CREDENTIALS, MotoS3, moto_missing

ROWS = int(os.environ.get("SELLERKIT_BENCH_SCALEOUT_ROWS", str(1_000_000)))
BUCKET = "sellerkit-bench"
# Result pages as a seller browses them: filters, sorts, and pages further in.
QUERIES = [
    {"sort": "-profit", "per_page": 100, "page": 1},
    {"filter": [{"name": "roi", "operator": ">", "value": 0.2}], "sort": "-profit", "per_page": 100, "page": 2},
    {"filter": [{"name": "roi", "operator": ">", "value": 0.2}, {"name": "rank", "operator": "<", "value": 500000}],
     "sort": "-profit", "per_page": 100, "page": 1},
    {"sort": "rank", "per_page": 100, "page": 5},
    {"filter": [{"name": "profit", "operator": ">", "value": 1}], "sort": "-roi", "per_page": 50, "page": 3},
    {"per_page": 100, "page": 40},
]
ROUNDS = 10  # each query this many times on each server, interleaved A, B, A, B ...


def run(products: int = PRODUCTS) -> None:
    if why := moto_missing():
        report("scale-out (files on S3)", f"SKIPPED: {why}", "", "")
        return
    catalog_dir = DATA / f"db-{products}"
    if not (catalog_dir / "sellerkit.db").exists():
        catalog_dir = bench_import(products)
    csv = supplier_csv(products, ROWS)
    size = f"{ROWS:,} rows vs {products:,} products"
    work = Path(tempfile.mkdtemp(prefix="scaleout-", dir=DATA))
    try:
        with ExitStack() as stack:
            s3 = MotoS3(BUCKET, work / "s3.log").start()
            stack.callback(s3.stop)
            shared = {"SELLERKIT_DATABASE_URL": f"sqlite:///{catalog_dir / 'sellerkit.db'}",
                      "SELLERKIT_JOB_THREADS": "1"}  # default chunk size, as bench/scans.py
            on_s3 = {"SELLERKIT_BLOB_URL": f"s3://{BUCKET}/bench", "SELLERKIT_S3_ENDPOINT_URL": s3.endpoint,
                     **S3_CREDENTIALS}
            envs = {"disk": _env(work / "disk", shared), "a": _env(work / "a", shared, on_s3),
                    "b": _env(work / "b", shared, on_s3, snapshot=False, SELLERKIT_EMBEDDED_WORKER="0")}
            key = bench_key(envs["disk"])["key"]
            bases, pids = {}, {}
            for name, env in envs.items():
                bases[name], proc = stack.enter_context(server_process(env))
                pids[name] = proc.pid
            runs: dict[str, list[tuple[float, dict]]] = {"disk": [], "a": []}
            for order in (("disk", "a"), ("a", "disk")):  # either order once: neither goes first always
                for name in order:
                    elapsed, scan, _ = _scan(bases[name], key, csv, pids[name])
                    runs[name].append((elapsed, scan))
            (disk_s, disk_scan), (s3_s, s3_scan) = (min(runs[name], key=lambda r: r[0]) for name in ("disk", "a"))
            same = disk_scan["status"] == s3_scan["status"] == "Success" and \
                (disk_scan["products"], disk_scan["errors"]) == (s3_scan["products"], s3_scan["errors"])
            in_bucket = len(s3.keys(f"bench/scans/{s3_scan['id']}/"))
            ratio = s3_s / disk_s
            why = ("" if same else "; the two scans' counts differ") + \
                ("" if in_bucket else "; the S3 scan left no object in the bucket")
            report("scan, files on S3 (moto, loopback) vs local disk, best of 2",
                   f"{s3_s:.1f} s vs {disk_s:.1f} s: {ratio:.2f}x (upload {s3_scan['_upload_s']:.1f} s vs "
                   f"{disk_scan['_upload_s']:.1f} s)", f"{size}; {s3_scan['products']:,} results, {in_bucket} objects",
                   f"{'PASS' if ratio <= 1.3 and not why else 'FAIL'} <= 1.3x{why}")
            _pages(bases["a"], bases["b"], key, s3_scan["id"], s3_scan["products"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _env(data_dir: Path, *settings: dict[str, str], snapshot: bool = True, **more: str) -> dict[str, str]:
    """A server's environment: its own data dir, holding its own catalog snapshot (for a server
    that scans), built now so that no scan below pays for it."""
    data_dir.mkdir(parents=True)
    env = {**env_for(data_dir), **{k: v for s in settings for k, v in s.items()}, **more}
    if snapshot:
        sellerkit("catalog", "snapshot", env=env, capture_output=True)
    return env


def _pages(a: str, b: str, key: str, scan_id: int, rows: int) -> None:
    """The same result pages from A (ran the scan) and B (never saw it), interleaved so both
    meet the same machine; the first page of each is reported on its own (B reads the scan's
    parts from the bucket then, A has them from the run or its own first read)."""
    headers = {"Authorization": f"Bearer {key}"}
    times: dict[str, list[float]] = {a: [], b: []}
    first: dict[str, float] = {}
    differ = 0  # pages B answered otherwise than A (B must read the same results)
    with httpx.Client(headers=headers, timeout=600) as http:
        for _ in range(ROUNDS):
            for query in QUERIES:
                pages = []
                for base in (a, b):
                    t0 = time.perf_counter()
                    reply = http.post(f"{base}/api/v3/scans/{scan_id}", json=query)
                    elapsed = (time.perf_counter() - t0) * 1000
                    reply.raise_for_status()
                    body = reply.json()
                    pages.append((body["count"], [item["id"] for item in body["data"]]))
                    if base not in first:
                        first[base] = elapsed
                    else:
                        times[base].append(elapsed)
                differ += pages[0] != pages[1]
    p50 = {base: statistics.median(t) for base, t in times.items()}
    ratio = p50[b] / p50[a]
    ok = ratio <= 1.2 and differ == 0
    report("result pages, server B (did not run it) vs A (did)",
           f"p50 {p50[b]:.1f} ms vs {p50[a]:.1f} ms: {ratio:.2f}x",
           f"{rows:,}-row scan on S3; {len(QUERIES)} queries x {ROUNDS}, 1 client",
           f"{'PASS' if ok else 'FAIL'} <= 1.2x" + (f"; {differ} pages differ from A's" if differ else ""))
    report("result pages, first page (cold) B vs A", f"{first[b]:.0f} ms vs {first[a]:.0f} ms",
           f"{rows:,}-row scan on S3", "for information: B reads the results from the bucket")
