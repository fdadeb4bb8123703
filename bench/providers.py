"""Issue 21 figures: live Amazon data at the rate limits Amazon documents.

A fake SP-API (tests/fakes/spapi_server.py: a real HTTP server, bodies from the official model
examples, the documented usage plans enforced per seller with 429s) stands in for Amazon; a
real `sellerkit serve` talks to it as it would to Amazon (SELLERKIT_SPAPI_ENDPOINT and
SELLERKIT_SPAPI_LWA_URL). Figures:
- a 10,000-row scan whose codes the catalog lacks (match, then prices and fees) against the
  least time the limits allow (the slowest operation's calls at its rate): goal 1.1x, and no
  429 reaches the seller (every row matched or named, none failed);
- the same file again within the time-to-live: goal at least 50x faster, no catalog call;
- two scans of one account at once share its budget fairly (they finish together), and scans of
  two accounts share nothing (each as fast as alone).

At Amazon's limits the first scan takes about 17 minutes (pricing and fees: 20 ASINs a call at
0.5 calls a second each). SELLERKIT_BENCH_SPAPI_SCALE=10 runs every limit 10x faster (the same
ratios in a tenth of the time); SELLERKIT_BENCH_SPAPI_ROWS changes the row count.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx

from bench.common import DATA, PY, env_for, report, server

ROWS = int(os.environ.get("SELLERKIT_BENCH_SPAPI_ROWS", "10000"))
SCALE = float(os.environ.get("SELLERKIT_BENCH_SPAPI_SCALE", "1"))
PAIR_ROWS = max(100, ROWS // 10)  # each scan of the fairness figures
BATCH = 20  # codes or ASINs one call of each operation takes
SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnop"
SELLER_A, SELLER_B = "Atzr|bench-seller-a-0123456789abcdef", "Atzr|bench-seller-b-0123456789abcdef"


def _supplier(path: Path, products) -> Path:
    lines = ["code,cost,sku"] + [f"{p.code},{p.price * 0.4 / 100:.2f},SKU-{i}" for i, p in enumerate(products)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _minimum(amazon, products) -> float:
    """The least time the documented limits allow: every operation's calls at its rate (burst
    first), the operations overlapping; the slowest one decides."""
    codes = {p.key for p in products}
    asins = {a.asin for p in products for a in amazon.by_key[p.key]}
    calls = {"searchCatalogItems": math.ceil(len(codes) / BATCH),
             "getCompetitivePricing": math.ceil(len(asins) / BATCH),
             "getMyFeesEstimates": math.ceil(len(asins) / BATCH)}
    return max(amazon.minimum_seconds(op, n) for op, n in calls.items())


def _key(env: dict, name: str, account: str | None = None) -> str:
    args = [PY, "-m", "sellerkit.cli", "keys", "create", "--name", name, "--plan", "unlimited", "--json"]
    if account:
        args += ["--account", account]
    return json.loads(subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout)["key"]


def _scan(http: httpx.Client, key: str, path: Path, started: float | None = None) -> tuple[float, dict]:
    attributes = {"mapping": {"id": 0, "cost": 1, "supplier_sku": 2},
                  "options": {"marketplace_id": "US", "name": path.name, "header": True}}
    headers = {"Authorization": f"Bearer {key}"}
    t0 = started or time.perf_counter()
    with open(path, "rb") as fh:
        r = http.post("/api/v3/scans", headers=headers, files={"file": (path.name, fh)},
                      data={"attributes": json.dumps(attributes)})
    r.raise_for_status()
    scan_id = r.json()["id"]
    while True:
        scan = http.get(f"/api/v3/scans/{scan_id}", headers=headers).json()
        if scan["status"] != "InProgress":
            return time.perf_counter() - t0, scan
        time.sleep(0.2)


def _together(http: httpx.Client, jobs: list[tuple[str, Path]]) -> list[float]:
    """Start scans at once; each one's time from the common start."""
    start = time.perf_counter()
    out: list[float] = [0.0] * len(jobs)

    def one(i: int) -> None:
        out[i] = _scan(http, jobs[i][0], jobs[i][1], start)[0]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def run(products: int = 0) -> None:
    try:
        from tests.fakes.spapi_server import MISSING, FakeSpApi, examples
        examples()
    except Exception as exc:  # noqa: BLE001 - the bench says why it cannot run
        report("live-data scan (fake SP-API)", f"SKIPPED: {exc}", "", "needs ../shared (SP-API model examples)")
        return
    del MISSING
    data_dir = DATA / "providers"
    shutil.rmtree(data_dir, ignore_errors=True)  # the catalog must lack every code: a fresh one
    with FakeSpApi(products=ROWS + 4 * PAIR_ROWS, seed=7, rate_scale=SCALE) as amazon:
        env = env_for(data_dir, SELLERKIT_SPAPI_ENDPOINT=amazon.url, SELLERKIT_SPAPI_LWA_URL=amazon.token_url,
                      SELLERKIT_SPAPI_REFRESH_TOKEN=SELLER_A, SELLERKIT_SPAPI_CLIENT_ID="amzn1.application-oa2-client.bench",
                      SELLERKIT_SPAPI_CLIENT_SECRET="bench-client-secret", SELLERKIT_SPAPI_SELLER_ID=amazon.seller_id,
                      SELLERKIT_SECRET_KEY=SECRET_KEY, SELLERKIT_JOB_THREADS="2", SELLERKIT_SPAPI_MAX_RETRIES="8")
        key_a = _key(env, "bench-live-a")  # the first account: the settings' connection is its own
        key_b = _key(env, "bench-live-b", account="bench-b")
        token_file = data_dir / "seller-b.token"
        token_file.write_text(SELLER_B)
        subprocess.run([PY, "-m", "sellerkit.cli", "providers", "connect", "amazon", "--account", "bench-b",
                        "--refresh-token-file", str(token_file), "--marketplace", "US", "--seller-id", "A2FAKESELLER02"],
                       env=env, check=True, capture_output=True)
        token_file.unlink()
        goods = amazon.products
        main = goods[:ROWS]
        pairs = [goods[ROWS + i * PAIR_ROWS: ROWS + (i + 1) * PAIR_ROWS] for i in range(4)]
        files = {name: _supplier(data_dir / f"{name}.csv", rows)
                 for name, rows in [("main", main), ("a1", pairs[0]), ("a2", pairs[1]), ("b", pairs[2]), ("a3", pairs[3])]}
        size = f"{ROWS:,} rows, codes the catalog lacks; limits x{SCALE:g}"
        with server(env, workers=1) as base, httpx.Client(base_url=base, timeout=600) as http:
            least = _minimum(amazon, main)
            elapsed, scan = _scan(http, key_a, files["main"])
            throttled = amazon.throttled
            ok = scan["status"] == "Success" and scan["products"] > 0
            report("live scan: upload to Success vs the limits' least", f"{elapsed:.1f} s = {elapsed / least:.2f}x "
                   f"the least {least:.1f} s", size,
                   f"{'PASS' if ok and elapsed <= 1.1 * least else 'FAIL'} <= 1.1x; {scan['products']:,} results, "
                   f"{scan['errors']:,} errors, {throttled} 429s retried, none reached the seller"
                   if ok else f"FAIL: scan {scan['status']}: {scan.get('message')}")
            catalog_calls = amazon.calls["searchCatalogItems"]
            again, rescan = _scan(http, key_a, files["main"])
            asked = amazon.calls["searchCatalogItems"] - catalog_calls
            report("live scan: the same file again within the TTL", f"{again:.2f} s = {elapsed / again:.0f}x faster",
                   f"{ROWS:,} rows; {asked} catalog calls",
                   f"{'PASS' if elapsed / again >= 50 and asked == 0 and rescan['status'] == 'Success' else 'FAIL'} >= 50x, 0 calls")
            alone = _minimum(amazon, pairs[0])
            a1, a2 = _together(http, [(key_a, files["a1"]), (key_a, files["a2"])])
            spread = max(a1, a2) / min(a1, a2)
            report("two scans of one account at once", f"{a1:.1f} s and {a2:.1f} s (spread {spread:.2f}x; "
                   f"{max(a1, a2) / (2 * alone):.2f}x the least for both)", f"{PAIR_ROWS:,} rows each",
                   f"{'PASS' if spread <= 1.2 else 'FAIL'} fair: finish within 1.2x of each other")
            b, a3 = _together(http, [(key_b, files["b"]), (key_a, files["a3"])])
            report("two scans of two accounts at once", f"{b:.1f} s and {a3:.1f} s = {max(b, a3) / alone:.2f}x "
                   f"the least of one alone ({alone:.1f} s)", f"{PAIR_ROWS:,} rows each",
                   f"{'PASS' if max(b, a3) <= 1.1 * alone else 'FAIL'} share nothing: each <= 1.1x alone")
