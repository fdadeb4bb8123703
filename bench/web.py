"""Dashboard figures (issue 14): each page's server render time (the `Server-Timing` every page
sends: handler, services and template, < 100 ms) and its first contentful paint in Chromium on
loopback (< 1 s), signed in, over a demo catalog.

To add a page: append its path to `PAGES` (format fields from the context: `{asin}`; a page that
needs data adds a function to `SETUP`, called as `setup(env, base, key, context)` once the server
runs (`key["key"]` is a pro-plan API key of the signed-in user's account, `context["records"]` the
catalog), that puts what it made into `context`, e.g. `context["scan"] = id` for "/scans/{scan}"). `WEB_PRODUCTS` (default 2,000) sets
the catalog size, `WEB_SCAN_ROWS` (default 1,000,000) the scan the results pages show; `--only web`."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import web_commerce
from bench.common import PY, env_for, report, server
from bench.scans import _scan, _server_pid, supplier_csv

PAGES: list[str] = ["/", "/calculator?asin={asin}&cost=5", "/lookup", "/keys", "/password"]
SETUP: list[Callable[[dict, str, dict, dict], None]] = []
PAGES += web_commerce.PAGES  # listings, inventory, orders, tracking
SETUP.append(web_commerce.setup)
EMAIL, PASSWORD = "bench@sellerkit.local", "bench password 1"
# The results page over a real scan of WEB_SCAN_ROWS supplier rows (default 1,000,000): first
# page, filtered and sorted, and the next page of that (keyset, as the page's link has it)
SCAN_QUERY = "fn=financials.roi&fo=%3E&fv=0.2&fn=rank&fo=%3C&fv=500000&sort=-financials.profit"
PAGES += ["/scans/{scan}", f"/scans/{{scan}}?{SCAN_QUERY}", f"/scans/{{scan}}?{SCAN_QUERY}&after={{scan_after}}"]
LABELS = {f"/scans/{{scan}}?{SCAN_QUERY}": "/scans/{scan} filtered+sorted",
          f"/scans/{{scan}}?{SCAN_QUERY}&after={{scan_after}}": "/scans/{scan} filtered+sorted, next page"}
RENDERS = 30
_TIMING = re.compile(r"render;dur=([\d.]+)")
# The first contentful paint since navigation started; it may be reported just after `load`.
_FCP = """new Promise(done => {
  new PerformanceObserver(list => {
    const paint = list.getEntriesByName('first-contentful-paint')[0];
    if (paint) done(paint.startTime);
  }).observe({type: 'paint', buffered: true});
  setTimeout(() => done(-1), 5000);
})"""


def _cli(env: dict, *args: str) -> str:
    return subprocess.run([PY, "-m", "sellerkit.cli", *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text).group(1)
    r = client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    if r.status_code != 303:
        raise RuntimeError(f"bench sign-in failed: {r.status_code}")
    return client


def _render_times(client: httpx.Client, path: str) -> list[float]:
    client.get(path)  # warm: templates compiled, caches filled
    times = []
    for _ in range(RENDERS):
        r = client.get(path)
        r.raise_for_status()
        times.append(float(_TIMING.search(r.headers["server-timing"]).group(1)))
    return times


def _first_paints(base: str, client: httpx.Client, paths: list[str]) -> dict[str, float] | str:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "playwright is not installed"
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not shutil.which(chromium):
        return "chromium is not installed"
    from tests.browser import ARGS

    paints = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies([{"name": c.name, "value": c.value, "url": base} for c in client.cookies.jar])
        tab = context.new_page()
        for path in paths:
            best = []
            for _ in range(3):  # cached assets after the first, as a seller's browser has them
                tab.goto(base + path, wait_until="load")
                best.append(tab.evaluate(_FCP))
            paints[path] = statistics.median(best)
        browser.close()
    return paints


def _scan_setup(env: dict, base: str, key: dict, context: dict) -> None:
    """A supplier file of WEB_SCAN_ROWS rows drawn from the served catalog, scanned through the
    API (the scan service and its job, as a seller's upload runs)."""
    rows = int(os.environ.get("WEB_SCAN_ROWS", "1000000"))
    work = Path(env["SELLERKIT_DATA_DIR"]) / "bench-supplier"
    work.mkdir(exist_ok=True)
    catalog = work / "catalog.jsonl"
    catalog.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in context["records"]))
    csv = supplier_csv(len(context["records"]), rows, catalog=catalog, path=work / f"supplier-{rows}.csv")
    elapsed, scan, _ = _scan(base, key["key"], csv, _server_pid(base))
    if scan["status"] != "Success":
        raise RuntimeError(f"bench scan ended {scan['status']}: {scan.get('message')}")
    report("web data (scan)", f"scanned in {elapsed:.0f} s", f"{rows:,} supplier rows; {scan['products']:,} results")
    context["scan"] = scan["id"]
    client = _signed_in(base)  # the next-page link of the filtered page, as a seller follows it
    try:
        page = client.get(f"/scans/{scan['id']}?{SCAN_QUERY}").text
    finally:
        client.close()
    context["scan_after"] = re.search(r'id="next-page" href="[^"]*after=(\d+)"', page).group(1)


SETUP.append(_scan_setup)


def run(_products: int = 0) -> None:
    products = int(os.environ.get("WEB_PRODUCTS", "2000"))
    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(Path(tmp))
        _cli(env, "catalog", "demo", "--products", str(products))
        key = json.loads(_cli(env, "keys", "create", "--name", "bench", "--plan", "pro", "--json"))
        secret = Path(tmp) / "password"
        secret.write_text(PASSWORD)
        _cli(env, "users", "create", "--email", EMAIL, "--password-file", str(secret))
        records = [json.loads(line) for line in _cli(env, "catalog", "export", "--marketplace", "US").splitlines()]
        context = {"asin": next(r["asin"] for r in records if r.get("buybox_price") and r.get("package_dimensions")),
                   "records": records}  # the catalog, as the catalog format has it
        with server(env) as base:
            for setup in SETUP:
                setup(env, base, key, context)
            paths = [p.format(**context) for p in PAGES]
            labels = {p.format(**context): LABELS.get(p, p).format(**context) for p in PAGES}
            client = _signed_in(base)
            try:
                for path in paths:
                    times = sorted(_render_times(client, path))
                    p95 = times[int(len(times) * 0.95) - 1]
                    report(f"web render {labels[path].split('&')[0]}", f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms",
                           f"{RENDERS} renders, {products:,}-product catalog", "PASS < 100 ms" if p95 < 100 else "FAIL < 100 ms")
                paints = _first_paints(base, client, paths)
            finally:
                client.close()
            if isinstance(paints, str):
                report("web first paint", "SKIPPED", paints)
                return
            for path, ms in paints.items():
                verdict = "PASS < 1 s" if 0 <= ms < 1000 else "FAIL < 1 s" if ms >= 1000 else "FAIL: no paint entry"
                report(f"web first paint {labels[path].split('&')[0]}", f"{ms:.0f} ms", "Chromium, loopback, median of 3",
                       verdict)
