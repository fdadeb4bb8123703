"""A seller through the API: a key, an Amazon channel account and a ship-from address."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class Seller:
    client: object
    headers: dict
    channel: dict
    ship_from: dict

    def call(self, method: str, url: str, headers: dict | None = None, **kw):
        return self.client.request(method, url, headers={**self.headers, **(headers or {})}, **kw)

    def get(self, url, **kw):
        return self.call("GET", url, **kw)

    def post(self, url, **kw):
        return self.call("POST", url, **kw)

    def put(self, url, **kw):
        return self.call("PUT", url, **kw)

    def delete(self, url, **kw):
        return self.call("DELETE", url, **kw)

    def manifest(self, listings: list[dict], submit: bool = False, **fields) -> dict:
        body = {"manifest": {"name": "M", "marketplace_account_id": self.channel["id"],
                             "ship_from_address_id": self.ship_from["id"], "product_listings_attributes": listings,
                             "auto_submit": submit, **fields}}
        r = self.post("/api/manifests", json=body)
        assert r.status_code == 201, r.text
        return r.json()["manifest"]

    def product(self, sku: str = "S1", quantity: int = 5, **fields) -> dict:
        """A product made the way sellers make them: a manifest, submitted."""
        listing = {"asin": "B07G22S48Q", "title": f"Title {sku}", "sku": sku, "quantity": quantity,
                   "retail_price": "10.00", "cost_price": "3.00", **fields}
        self.manifest([listing], submit=True)
        found = self.get("/api/products", params={"sku": sku}).json()["products"]
        assert len(found) == 1, found
        return found[0]


def make_seller(client, new_key, name: str = "seller", account: str | None = None) -> Seller:
    key = new_key(name, account=account).key
    headers = {"Token": key}
    channel = client.post("/api/marketplace_accounts", headers=headers, json={"marketplace_account": {
        "name": "Main", "marketplace_account_type": "AmazonAccount", "marketplace_id": "US"}}).json()
    ship = client.post("/api/ship_from_addresses", headers=headers, json={"ship_from_address": {
        "name": "Warehouse", "street1": "1 Main St", "city": "Austin", "state": "TX", "postal_code": "78701",
        "country": "US"}}).json()
    return Seller(client, headers, channel["marketplace_account"], ship["ship_from_address"])


@pytest.fixture
def seller(client, new_key) -> Seller:
    return make_seller(client, new_key)


@pytest.fixture
def other(client, new_key) -> Seller:
    """A second tenant."""
    return make_seller(client, new_key, "other", account="other-account")
