"""Orders, users and product images in the OpenAPI walk (tests/kit/test_openapi.py): every
route called, each reply checked against the published document."""

from __future__ import annotations

import io

from PIL import Image

O, U, P = "/api/orders", "/api/users", "/api/products"


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(buf, "JPEG")
    return buf.getvalue()


def walk_orders(c) -> None:
    ma = c.call("POST", "/api/marketplace_accounts", json={"marketplace_account": {
        "name": "Orders", "marketplace_account_type": "WalmartAccount"}}, expect=201).json()["marketplace_account"]
    c.call("POST", "/api/manifests/{manifest_id}/submit", "/api/manifests/" + c.call(
        "POST", "/api/manifests", json={"manifest": {"name": "O", "marketplace_account_id": ma["id"],
                                                     "product_listings_attributes": [{
                                                         "asin": "B07G22S48Q", "title": "T", "sku": "OW1",
                                                         "quantity": "3", "retail_price": "10.00"}]}},
        expect=201).json()["manifest"]["id"] + "/submit", expect=200)
    order = {"order_number": "W-1", "marketplace_account_id": ma["id"], "order_status": "awaiting_shipment",
             "purchased_at": "2024-03-01T10:00:00Z", "items": [{"sku": "OW1", "quantity": "1", "unit_price": "9.99"}]}
    [o] = c.call("POST", O, json={"orders": [order]}, expect=201).json()["orders"]
    c.call("POST", O, json={"orders": [order]}, expect=200)
    c.call("POST", O, json={"orders": [{**order, "order_status": "lost"}]}, expect=400)
    c.call("GET", O, params={"buyer_name": "x", "sort": "purchased_at", "direction": "DESC"}, expect=200)
    c.call("GET", O, params={"sort": "price"}, expect=400)
    c.call("GET", f"{O}/{{order_id}}", f"{O}/{o['id']}", expect=200)
    c.call("POST", f"{O}/{{order_id}}/acknowledge", f"{O}/{o['id']}/acknowledge", expect=200)
    c.call("PUT", f"{O}/{{order_id}}", f"{O}/{o['id']}", json={"order": {"tracking_number": "1Z", "carrier_code": "UPS"}},
           expect=200)
    c.call("PUT", f"{O}/{{order_id}}", f"{O}/{o['id']}", json={"order": {"order_status": "cancelled"}}, expect=409)
    [me] = c.call("GET", U, expect=200).json()["users"][:1]
    c.call("GET", f"{U}/{{user_id}}", f"{U}/{me['id']}", expect=200)
    c.call("PUT", f"{U}/{{user_id}}", f"{U}/{me['id']}", json={"user": {"push_notifications": {
        "order_created": [ma["id"]]}}}, expect=200)
    c.call("PATCH", f"{U}/{{user_id}}", f"{U}/{me['id']}", json={"user": {"push_notifications": {
        "order_created": [""]}}}, expect=200)
    [p] = c.call("GET", P, params={"sku": "OW1"}, expect=200).json()["products"]
    images = f"{P}/{p['id']}/product_images"
    c.call("GET", f"{P}/{{product_id}}/product_images", images, expect=200)
    image = c.call("POST", f"{P}/{{product_id}}/product_images", images, files={
        "product_image[attachment]": ("a.jpg", _jpeg(), "image/jpeg")}, expect=201).json()["product_image"]
    c.call("POST", f"{P}/{{product_id}}/product_images", images, files={
        "product_image[attachment]": ("a.jpg", b"not an image", "image/jpeg")}, expect=400)
    c.call("GET", f"{P}/{{product_id}}/product_images/{{image_id}}/{{size}}", image["small_image_url"], expect=200)
    c.call("DELETE", f"{P}/{{product_id}}/product_images/{{image_id}}", f"{images}/{image['id']}", expect=200)
