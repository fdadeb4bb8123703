"""The commerce routes' part of the OpenAPI walk (tests/kit/test_openapi.py): every route called,
each reply checked against the published document."""

from __future__ import annotations

LISTING = {"asin": "B07G22S48Q", "title": "T", "sku": "W1", "quantity": "2", "retail_price": "10.00",
           "variant_listings": [{"variant_sku": "WV", "option1_name": "Color", "option1_value": "Red", "quantity": 1}]}


def walk_commerce(c) -> None:
    MA, M, P = "/api/marketplace_accounts", "/api/manifests", "/api/products"
    ma = c.call("POST", MA, json={"marketplace_account": {"name": "W", "marketplace_account_type": "AmazonAccount"}},
                expect=201).json()["marketplace_account"]
    c.call("POST", MA, json={"marketplace_account": {"name": "W", "marketplace_account_type": "Etsy"}}, expect=400)
    c.call("GET", MA, expect=200)
    c.call("GET", MA, headers={}, expect=401)
    c.call("PUT", f"{MA}/{{marketplace_account_id}}", f"{MA}/{ma['id']}", json={"marketplace_account": {"name": "X"}},
           expect=200)
    ship = c.call("POST", "/api/ship_from_addresses", json={"ship_from_address": {"name": "S"}}, expect=201).json()
    c.call("GET", "/api/ship_from_addresses", expect=200)
    c.call("POST", "/api/suppliers", json={"supplier": {"name": "S"}}, expect=201)
    c.call("POST", "/api/suppliers", json={"supplier": {}}, expect=400)
    c.call("GET", "/api/suppliers", expect=200)
    c.call("POST", "/api/templates", json={"template": {"name": "T", "template_type": "AmazonTemplate"}}, expect=201)
    c.call("GET", "/api/templates", expect=200)
    body = {"manifest": {"name": "W", "marketplace_account_id": ma["id"],
                         "ship_from_address_id": ship["ship_from_address"]["id"], "product_listings_attributes": [LISTING]}}
    m = c.call("POST", M, json=body, expect=201).json()["manifest"]
    c.call("POST", M, json={"manifest": {"name": "W"}}, expect=400)
    c.call("GET", M, params={"marketplace_account_id": ma["id"]}, expect=200)
    c.call("GET", f"{M}/{{manifest_id}}", f"{M}/{m['id']}", expect=200)
    c.call("GET", f"{M}/{{manifest_id}}", f"{M}/0123456789abcdef01234567", expect=404)
    listings = f"{M}/{m['id']}/product_listings"
    c.call("POST", f"{M}/{{manifest_id}}/product_listings", listings,
           json={"product_listings_attributes": [{**LISTING, "sku": "W2", "variant_listings": []}]}, expect=201)
    pl = c.call("GET", f"{M}/{{manifest_id}}/product_listings", listings, expect=200).json()["product_listings"]
    c.call("DELETE", f"{M}/{{manifest_id}}/product_listings/{{product_listing_id}}", f"{listings}/{pl[1]['id']}",
           expect=200)
    c.call("POST", f"{M}/{{manifest_id}}/submit", f"{M}/{m['id']}/submit", expect=200)
    [p] = c.call("GET", P, params={"sku": "W1"}, expect=200).json()["products"]
    c.call("GET", f"{P}/{{product_id}}", f"{P}/{p['id']}", expect=200)
    c.call("PUT", f"{P}/{{product_id}}", f"{P}/{p['id']}", json={"product": {"tags_array": ["a"]}}, expect=200)
    c.call("PUT", f"{P}/bulk_update", json={"products": [{"id": p["id"], "title": "N"}]}, expect=200)
    vid = p["variants"][0]["id"]
    c.call("PUT", f"{P}/{{product_id}}/variants/{{variant_id}}", f"{P}/{p['id']}/variants/{vid}",
           json={"quantity_available": 3}, expect=200)
    c.call("PUT", "/api/variants/{variant_id}", f"/api/variants/{vid}", json={"quantity_available": 2}, expect=200)
    locs = f"{P}/{p['id']}/inventory_locations"
    c.call("GET", f"{P}/{{product_id}}/inventory_locations", locs, expect=200)
    loc = c.call("POST", f"{P}/{{product_id}}/inventory_locations", locs,
                 json={"inventory_location": {"location": "B", "quantity_available": 1}}, expect=201).json()
    lid = loc["inventory_location"]["id"]
    c.call("PUT", f"{P}/{{product_id}}/inventory_locations/{{inventory_location_id}}", f"{locs}/{lid}",
           json={"inventory_location": {"quantity_available": 4}}, expect=200)
    c.call("DELETE", f"{P}/{{product_id}}/inventory_locations/{{inventory_location_id}}", f"{locs}/{lid}", expect=200)
    c.call("POST", f"{P}/{{product_id}}/marketplace_status", f"{P}/{p['id']}/marketplace_status", expect=200)
    c.call("DELETE", f"{P}/{{product_id}}", f"{P}/{p['id']}", expect=200)
    c.call("GET", f"{P}/{{product_id}}", f"{P}/{p['id']}", expect=410)
    c.call("DELETE", f"{MA}/{{marketplace_account_id}}", f"{MA}/{ma['id']}", expect=200)
    c.call("PUT", f"{MA}/{{marketplace_account_id}}", f"{MA}/{ma['id']}", json={"marketplace_account": {"name": "X"}},
           expect=410)


def walk_scan_manifest(c, scan_url: str) -> None:
    """After the walk's scan has run: a manifest of its results (the walk's channel account was
    removed, so a new one is made)."""
    c.call("POST", "/api/marketplace_accounts", json={"marketplace_account": {
        "name": "US", "marketplace_account_type": "AmazonAccount", "marketplace_id": "US"}}, expect=201)
    c.call("POST", "/api/v3/scans/{scan_id}/manifest", f"{scan_url}/manifest", json={}, expect=201)
    c.call("POST", "/api/v3/scans/{scan_id}/manifest", f"{scan_url}/manifest", json={"result_ids": [999]}, expect=400)
