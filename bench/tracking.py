"""Tracked-collection figures (issue 19): the page parser on real saved pages (one core), and a
run of N ASINs against the fake storefront with 50 ms latency a page at concurrency 20, against
the ideal time that latency and cap allow (N x 0.05 / 20 s).

`TRACKING_ITEMS` (default 5,000) sets the run's size; `--only tracking`. The run's figure is wall
time: on a machine other processes share, it counts their turns too (its CPU time is shown beside)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, report

PAGES = ROOT.parent / "shared" / "fixtures" / "external" / "amazon-product-pages"
LATENCY, CAP = 0.05, 20


def parser() -> None:
    from sellerkit.domain.pages import parse_page

    files = sorted(PAGES.glob("*/details/*.html"))
    if not files:
        report("tracking parser", "SKIPPED", f"no saved pages at {PAGES}")
        return
    pages = [(f.read_bytes(), "amazon.co.uk" if f.parts[-3] == "uk" else "amazon.com") for f in files]
    for raw, domain in pages:  # warm
        parse_page(raw, domain)
    n, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < 5:
        for raw, domain in pages:
            parse_page(raw, domain)
            n += 1
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = n / cpu  # pages a second of one core's time: the wall clock counts other processes' turns too
    report("tracking parser", f"{rate:.0f} pages/s ({1000 * cpu / n:.1f} ms CPU a page)",
           f"{len(pages)} real pages of 0.65-1.1 MB, one core ({n / wall:.0f}/s by the wall clock)",
           "ok (>= 50)" if rate >= 50 else "SLOW (< 50)")


def run(_products: int = 0) -> None:
    parser()
    sys.path.insert(0, str(ROOT))
    from sellerkit.config import Settings
    from sellerkit.kit.db import Database
    from sellerkit.accounts.service import keys
    from sellerkit.tracking.fetcher import close_fetchers
    from sellerkit.tracking.runner import CaptureRun
    from sellerkit.tracking.service import tracking

    items = int(os.environ.get("TRACKING_ITEMS", "5000"))
    # the storefront in a process of its own, as a real one is elsewhere: its work is not the run's
    storefront = subprocess.Popen([sys.executable, "-m", "tests.fakes.amazon_pages", str(LATENCY)], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = storefront.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), demo=False, embedded_worker=False, capture_concurrency=CAP,
                            capture_host_rps=100_000, capture_base_urls={"amazon.com": url})
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.migrate()
        with db.session(write=True) as s:
            account = keys.create(s, name="bench", plan="pro").account_id
            tracking.set_credits(s, account, items)
            z = tracking.create_zipcode(s, account, 2, "10001")
            z.status = "active"
            c = tracking.create_collection(s, account, {"name": "Bench", "request_type": "amazon", "schedule": "Manual"})
            s.flush()
            tracking.create_items(s, account, {"collection": c.id, "domain": "amazon.com", "customer_postcode": "10001",
                                               "asins": ",".join(f"B{n:09d}" for n in range(items))})
        with db.session(write=True) as s:
            run_id = tracking.start_run(s, account, c.id).id
        started, cpu = time.perf_counter(), time.process_time()
        status = CaptureRun(db, settings).run(run_id)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        ideal = items * LATENCY / CAP
        report("tracking run", f"{took:.1f} s ({took / ideal:.2f}x ideal {ideal:.1f} s)",
               f"{items} ASINs, 50 ms a page, concurrency {CAP}, {status}, {1000 * cpu / items:.2f} ms CPU an item",
               "ok (<= 1.2x)" if took <= 1.2 * ideal else "SLOW (> 1.2x)")
        db.dispose()
        close_fetchers()
    storefront.stdin.close()
    storefront.wait(10)
