"""The last unit, raced for by real concurrent requests against `sellerkit serve` (two worker
processes), on SQLite and on PostgreSQL: exactly one order takes it, never two."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.served import env_for, new_key, serve

RACERS = 12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served_env(request, tmp_path):
    """A data dir, and for PostgreSQL the suite's test database (conftest's `postgres_url`)."""
    env = env_for(tmp_path / "data")
    if request.param == "postgres":
        env["SELLERKIT_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return env


def setup_last_unit(base: str, headers: dict) -> tuple[str, str]:
    """A channel account and a product with one unit left; their ids."""
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        channel = c.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "Main", "marketplace_account_type": "AmazonAccount", "marketplace_id": "US"}}).json()
        ship = c.post("/api/ship_from_addresses", json={"ship_from_address": {
            "name": "W", "street1": "1 Main St", "city": "Austin", "state": "TX", "postal_code": "78701",
            "country": "US"}}).json()
        channel_id = channel["marketplace_account"]["id"]
        r = c.post("/api/manifests", json={"manifest": {
            "name": "M", "marketplace_account_id": channel_id, "ship_from_address_id": ship["ship_from_address"]["id"],
            "auto_submit": True, "product_listings_attributes": [{"asin": "B07G22S48Q", "title": "Last one",
                                                                  "sku": "LAST", "quantity": "1",
                                                                  "retail_price": "10.00"}]}})
        assert r.status_code == 201, r.text
        for _ in range(100):
            found = c.get("/api/products", params={"sku": "LAST"}).json()["products"]
            if found:
                break
            asyncio.run(asyncio.sleep(0.1))
        (product,) = found
        assert product["quantity_available"] == 1
        return channel_id, product["id"]


async def race(base: str, headers: dict, channel_id: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as c:
        async def one(n: int):
            body = {"orders": [{"order_number": f"RACE-{n}", "marketplace_account_id": channel_id,
                                "order_status": "awaiting_shipment", "purchased_at": "2024-03-01T10:00:00Z",
                                "buyer_username": f"buyer {n}", "currency_code": "USD",
                                "items": [{"sku": "LAST", "quantity": 1, "unit_price": "10.00"}]}]}
            r = await c.post("/api/orders", json=body)
            assert r.status_code == 201, r.text
            return r.json()["orders"][0]

        return await asyncio.gather(*(one(n) for n in range(RACERS)))


class TestLastUnitRace:
    def test_only_one_of_many_concurrent_orders_takes_the_last_unit(self, served_env):
        key = new_key(served_env, "racer")["key"]
        headers = {"Token": key}
        with serve(served_env, workers=2) as base:
            channel_id, product_id = setup_last_unit(base, headers)
            orders = asyncio.run(race(base, headers, channel_id))
            taken = sorted(o["items"][0]["quantity_taken"] for o in orders)
            assert taken == [0] * (RACERS - 1) + [1]
            product = httpx.get(f"{base}/api/products/{product_id}", headers=headers).json()["product"]
            assert (product["quantity_available"], product["awaiting_pick"]) == (0, 1)
            assert all(loc["quantity_available"] >= 0 for loc in product["inventory_locations"])
