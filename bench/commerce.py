"""Commerce (SellerChamp dialect) figures: the product list with two filters over 100,000
products, over HTTP; a 5,000-listing manifest created and submitted. Each figure is a function of
(data dir, env, base URL, key) run against one served app, so more figures (order intake) plug in
beside them in `FIGURES`."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench import orders
from bench.common import DATA, bench_key, env_for, report, sellerkit, server

PRODUCTS = 100_000
LISTINGS = 5_000
TAGS = ("clearance", "q4", "toys", "books", "fragile", "oversize", "gift", "returns")


def _seed(data_dir: Path, env: dict, products: int) -> None:
    """`products` products of one channel account, each with a location and one or two tags:
    written through the repository in bulk (as a submitted manifest writes them), once per data
    dir. Not measured."""
    from sellerkit.commerce import repository as repo
    from sellerkit.domain import commerce as rules
    from sellerkit.kit.db import Database, utcnow

    db = Database(f"sqlite:///{data_dir / 'sellerkit.db'}")
    db.migrate()
    import sqlalchemy as sa

    from sellerkit.commerce.models import MarketplaceAccount, Product

    with db.session() as s:
        have = s.execute(sa.select(sa.func.count()).select_from(Product)).scalar_one()
        channel = s.execute(sa.select(MarketplaceAccount.id, MarketplaceAccount.account_id)).first()
    if have >= products:
        db.dispose()
        return
    channel_id, account_id = channel
    now = utcnow()
    chunk = 5_000
    for start in range(have, products, chunk):
        rows, tags = [], []
        for i in range(start, min(start + chunk, products)):
            t = sorted({TAGS[i % len(TAGS)], TAGS[(i // 7) % len(TAGS)]})
            rows.append({"account_id": account_id, "marketplace_account_id": channel_id, "sku": f"SKU-{i:07d}",
                         "asin": f"B{i:09d}", "upc": None, "upc_key": None, "title": f"Product {i}",
                         "retail_price": 1000 + i % 5000, "cost_price": 300 + i % 700, "tags": str(t).replace("'", '"'),
                         "tags_key": rules.tags_key(t), "attributes": "{}", "marketplace_status": "active",
                         "created_at": now, "updated_at": now, "version": 1, "quantity_listed": 3})
            tags.append(t)
        with db.session(write=True) as s:
            ids = repo.insert_products(s, rows)
            repo.insert_locations(s, [{"account_id": account_id, "product_id": pid, "variant_id": None,
                                       "location": "A1", "quantity": 3, "awaiting_pick": 0, "priority": 1,
                                       "delete_if_empty": False, "created_at": now, "updated_at": now} for pid in ids])
            repo.insert_tags(s, [{"account_id": account_id, "tag": tag, "product_id": pid}
                                 for pid, t in zip(ids, tags, strict=True) for tag in t])
    with db.session(write=True) as s:
        repo.refresh_planner_stats(s)  # as a submission of this many products does
    db.dispose()


def _p50(client, url: str, headers: dict, params: list[dict], rounds: int) -> tuple[float, float, int]:
    times = []
    count = 0
    for i in range(rounds):
        t = time.perf_counter()
        r = client.get(url, headers=headers, params=params[i % len(params)])
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text[:300]
        count = len(r.json()["products"])
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], count


def product_list(client, base: str, headers: dict, products: int) -> None:
    channel = client.get(f"{base}/api/marketplace_accounts", headers=headers).json()["marketplace_accounts"][0]["id"]
    combos = {
        "marketplace_account_id + tag": [{"marketplace_account_id": channel, "tag": t} for t in TAGS],
        "created_at range + tags_array[]": [{"created_at_start": "2001-01-01", "tags_array[]": ["clearance", "toys"]},
                                            {"created_at_start": "2001-01-01", "tags_array[]": ["q4", "toys"]}],
        "sku + marketplace_account_id": [{"sku": f"SKU-{i:07d}", "marketplace_account_id": channel}
                                         for i in range(0, products, max(products // 50, 1))],
    }
    for name, params in combos.items():
        for p in params[:3]:  # warm-up
            client.get(f"{base}/api/products", headers=headers, params=p)
        p50, p99, n = _p50(client, f"{base}/api/products", headers, params, 300)
        report(f"GET /api/products ({name})", f"p50 {p50:.1f} ms p99 {p99:.1f} ms",
               f"{products:,} products, {n} a page, 300 sequential requests",
               f"{'PASS' if p50 < 20 else 'FAIL'} p50 < 20 ms")


def manifest_submit(client, base: str, headers: dict, products: int, listings: int = LISTINGS) -> None:
    channel = client.get(f"{base}/api/marketplace_accounts", headers=headers).json()["marketplace_accounts"][0]["id"]
    run = int(time.time())
    body = {"manifest": {"name": f"bench {run}", "marketplace_account_id": channel, "auto_submit": True,
                         "product_listings_attributes": [
                             {"asin": "B07G22S48Q", "title": f"T{i}", "sku": f"M{run}-{i}", "quantity": "2",
                              "retail_price": "9.99", "cost_price": "3.10"} for i in range(listings)]}}
    t = time.perf_counter()
    r = client.post(f"{base}/api/manifests", headers=headers, json=body, timeout=120)
    assert r.status_code in (201, 202), r.text[:300]
    created = time.perf_counter() - t
    mid = r.json()["manifest"]["id"]
    while True:
        m = client.get(f"{base}/api/manifests/{mid}", headers=headers).json()["manifest"]
        if m["processing"] is None and m["status"] in ("submitted", "failed"):
            break
        if time.perf_counter() - t > 120:
            break
        time.sleep(0.05)
    total = time.perf_counter() - t
    ok = m["status"] == "submitted" and total < 10
    report(f"{listings:,}-listing manifest created and submitted", f"{total:.2f} s (created in {created:.2f} s)",
           f"one POST /api/manifests with auto_submit ({r.status_code}), then polled",
           f"{'PASS' if ok else 'FAIL'} < 10 s, status {m['status']}")


# Figures run against one served app: figure(httpx client, base URL, key headers, products seeded).
FIGURES = [product_list, manifest_submit]


def run(_catalog_products: int | None = None, products: int = PRODUCTS) -> None:
    """The `--products` of `python -m bench` sizes the catalog, not this suite: always 100,000."""
    import httpx

    data_dir = DATA / f"commerce-{products}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = env_for(data_dir)
    marker = data_dir / "key.txt"
    if not marker.exists():
        key = bench_key(env)["key"]
        sellerkit("accounts", "add-channel", "amazon", "--name", "Bench US", "--marketplace", "US", env=env,
                  capture_output=True)
        marker.write_text(key)
    key = marker.read_text().strip()
    _seed(data_dir, env, products)
    headers = {"Token": key}
    with server(env, workers=1) as base, httpx.Client(timeout=60) as client:
        for figure in FIGURES:
            figure(client, base, headers, products)
    orders.run()  # order intake (bench/orders.py): its own fresh data dir and server
