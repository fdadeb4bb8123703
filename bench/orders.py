"""Issue 11 figure: order intake over HTTP, at least 500 orders a second with inventory updates.

A served app (`sellerkit serve`, SQLite in a fresh data dir), one channel account, `SKUS`
products each stocked in two locations; `POST /api/orders` batches of `BATCH` orders of one or
two items each, sent by `CLIENTS` clients at once. Every order takes stock (locations locked,
the ledger written, awaiting_pick counted). The figure is orders entered per second of wall
time; a check afterwards confirms the stock taken equals the units ordered."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import bench_key, env_for, report, server

SKUS = 200
ORDERS = 5000
BATCH = 100
CLIENTS = 4
TARGET = 500  # orders per second


def _setup(base: str, headers: dict) -> str:
    with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
        channel = c.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "Bench", "marketplace_account_type": "AmazonAccount", "marketplace_id": "US"}}).json()
        channel_id = channel["marketplace_account"]["id"]
        ship = c.post("/api/ship_from_addresses", json={"ship_from_address": {
            "name": "W", "street1": "1 Main St", "city": "Austin", "state": "TX", "postal_code": "78701",
            "country": "US"}}).json()["ship_from_address"]["id"]
        listings = [{"asin": "B07G22S48Q", "title": f"Bench {n}", "sku": f"B-{n}", "quantity": 1_000_000,
                     "retail_price": "10.00", "item_location": "A1"} for n in range(SKUS)]
        r = c.post("/api/manifests", json={"manifest": {"name": "bench", "marketplace_account_id": channel_id,
                                                        "ship_from_address_id": ship, "auto_submit": True,
                                                        "product_listings_attributes": listings}})
        r.raise_for_status()
        for _ in range(600):
            if len(c.get("/api/products", params={"page_size": 1, "sku": f"B-{SKUS - 1}"}).json()["products"]):
                break
            time.sleep(0.1)
        return channel_id


def _batch(channel_id: str, start: int) -> dict:
    return {"orders": [{
        "order_number": f"BENCH-{n}", "marketplace_account_id": channel_id, "order_status": "awaiting_shipment",
        "purchased_at": "2024-03-01T10:00:00Z", "buyer_username": f"buyer {n}", "currency_code": "USD",
        "items": [{"sku": f"B-{n % SKUS}", "quantity": 1, "unit_price": "10.00"}]
        + ([{"sku": f"B-{(n * 7) % SKUS}", "quantity": 2, "unit_price": "4.99"}] if n % 2 else []),
    } for n in range(start, start + BATCH)]}


async def _send(base: str, headers: dict, channel_id: str) -> float:
    starts = list(range(0, ORDERS, BATCH))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for s in starts:
        queue.put_nowait(s)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as c:
        async def worker():
            while not queue.empty():
                r = await c.post("/api/orders", json=_batch(channel_id, queue.get_nowait()))
                r.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return time.perf_counter() - began


def run(_products: int = 0) -> None:
    with tempfile.TemporaryDirectory(prefix="sk-bench-orders-") as tmp:
        env = env_for(Path(tmp))
        headers = {"Token": bench_key(env)["key"]}
        with server(env) as base:
            channel_id = _setup(base, headers)
            seconds = asyncio.run(_send(base, headers, channel_id))
            ordered = sum(1 + (2 if n % 2 else 0) for n in range(ORDERS))
            with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
                picked = sum(p["awaiting_pick"] for page in range(1, SKUS // 50 + 2)
                             for p in c.get("/api/products", params={"page": page, "page_size": 50}).json()["products"])
        rate = ORDERS / seconds
        report("order intake (POST /api/orders, stock taken)", f"{rate:,.0f} orders/s ({seconds:.1f} s)",
               f"{ORDERS:,} orders in batches of {BATCH}, {CLIENTS} clients",
               ("ok" if rate >= TARGET else f"BELOW the {TARGET}/s target") +
               ("" if picked == ordered else f"; STOCK MISMATCH {picked:,} picked vs {ordered:,} ordered"))


if __name__ == "__main__":
    run()
