"""Listings, inventory and orders: manifests with their listings' `list_status` and submission,
products with their stock by location, orders with tracking entry. Each handler reads its
input, calls the commerce services (`manifests`, `products`, `orders`) and renders; the rules
(what a submit holds back, what shipping does to stock) are the services'."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import Form, Query, Request
from starlette.concurrency import run_in_threadpool

from pydantic import ValidationError

from sellerkit.commerce.manifests import Refs, manifests
from sellerkit.commerce.orders_service import orders
from sellerkit.commerce.products import inventory, products
from sellerkit.commerce.schemas import InventoryLocationIn, ManifestIn, ProductListingIn
from sellerkit.commerce.service import channel_accounts
from sellerkit.domain import commerce as rules
from sellerkit.domain.channel_files import ORDER_STATUSES
from sellerkit.domain.money import dollars
from sellerkit.errors import Invalid, SellerkitError
from sellerkit.kit.db import utcnow
from sellerkit.kit.http import PathId, database, validation_errors_message
from sellerkit.web.page import TEMPLATES, CurrentUser, page_router, redirect, render, service

router = page_router()
PAGE = 50  # rows a page of these tables shows
MAX_PAGE = 10_000
Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
CARRIERS = ("UPS", "USPS", "FedEx", "DHL", "Amazon Logistics", "OnTrac", "Royal Mail", "Canada Post")


def _amount(cents: int | None) -> str:
    """An amount beside its currency code (orders carry the currency, not a marketplace)."""
    return dollars(cents) or "–"


TEMPLATES.env.filters["amount"] = _amount
CORRECTABLE = (400, 402, 409)  # refusals a seller can act on: shown on the page the form was on


def form_model(model, fields: dict, where: str):
    """The form's filled-in fields as the API's wire model; what it refuses is a 400 that names
    the field (`where.field`), as the API's body would be."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v not in (None, "")})
    except ValidationError as exc:
        raise Invalid(validation_errors_message(exc.errors(), prefix=where, model=model)) from None


def refused(request: Request, exc: SellerkitError, back: str):
    """A write the service refused: back to the form's page with the reason, or the error page
    (404 for another account's id, 410 for a deleted object)."""
    if exc.status_code not in CORRECTABLE:
        raise exc
    return redirect(request, back, exc.message, "error")


# ---- manifests and listings ----------------------------------------------------------------------

@router.get("/listings")
async def manifests_page(request: Request, user: CurrentUser, page: Page = 1):
    def load(s):
        return manifests.shown(s, manifests.page(s, user.account_id, None, None, page, PAGE + 1))

    rows, channels = await service(request, lambda s: (load(s), channel_accounts.list(s, user.account_id)))
    return render(request, "commerce/manifests.html", {
        "title": "Listings", "tab": "manifests", "rows": rows[:PAGE], "page": page, "more": len(rows) > PAGE,
        "folders": {f.internal_name: f.name for f in rules.FOLDERS}, "channels": channels})


ManifestField = Annotated[str, Form(max_length=400)]  # the service names a value over its column's length


@router.post("/listings")
async def create_manifest(request: Request, user: CurrentUser, name: ManifestField = "",
                          marketplace_account_id: Annotated[int | None, Form()] = None,
                          fulfilment: Annotated[str, Form(pattern="^(seller|amazon)$")] = "seller"):
    """A new manifest (`manifests.create`, as `POST /api/manifests`), empty: its listings are
    added on its page."""
    try:
        body = form_model(ManifestIn, {"name": name, "seller_fulfilled": fulfilment == "seller"}, "manifest")
        manifest = await service(request, lambda s: manifests.create(
            s, user.account_id, body, Refs(marketplace_account_id)), write=True)
    except SellerkitError as exc:
        return refused(request, exc, "/listings")
    return redirect(request, f"/listings/{manifest.id}", f"Manifest {manifest.number} created: add its listings.")


@router.get("/listings/products")
async def products_page(request: Request, user: CurrentUser, page: Page = 1,
                        sku: Annotated[str | None, Query(max_length=100)] = None,
                        asin: Annotated[str | None, Query(max_length=10)] = None):
    filters = {k: v.strip() for k, v in (("sku", sku), ("asin", (asin or "").upper())) if v and v.strip()}

    def load(s):
        shown = products.page(s, user.account_id, dict(filters), page, PAGE + 1)
        return shown, channel_accounts.of(s, user.account_id, [p.marketplace_account_id for p in shown.products])

    shown, channels = await service(request, load)
    return render(request, "commerce/products.html", {
        "title": "Products and inventory", "tab": "products", "shown": shown, "rows": shown.products[:PAGE],
        "channels": channels, "page": page, "more": len(shown.products) > PAGE, "sku": sku or "", "asin": asin or ""})


@router.get("/listings/products/{product_id}")
async def product_page(request: Request, user: CurrentUser, product_id: PathId):
    def load(s):
        p = products.get(s, user.account_id, product_id)
        return products.shown(s, [p]), channel_accounts.of(s, user.account_id, [p.marketplace_account_id])

    shown, channels = await service(request, load)
    p = shown.products[0]
    attrs = orjson.loads(p.attributes or "{}")
    return render(request, "commerce/product.html", {
        "title": p.sku or f"Product {p.id}", "tab": "products", "p": p, "channels": channels,
        "list_status": attrs.get("list_status"), "list_detail": attrs.get("list_status_error_detail"),
        "locations": shown.locations.get(p.id, []), "variants": shown.variants.get(p.id, [])})


@router.post("/listings/products/{product_id}/locations/{location_id}")
async def update_location(request: Request, user: CurrentUser, product_id: PathId, location_id: PathId,
                          quantity_available: Annotated[str, Form(max_length=20)] = ""):
    """A location's quantity (`inventory.update`, as `PUT /api/products/{id}/inventory_locations/{id}`)."""
    back = f"/listings/products/{product_id}"
    at = utcnow()
    try:
        body = form_model(InventoryLocationIn, {"quantity_available": quantity_available.strip() or None},
                          "inventory_location")
        if body.quantity_available is None:
            raise Invalid("inventory_location.quantity_available: required")
        row, removed = await service(request, lambda s: inventory.update(
            s, user.account_id, product_id, location_id, body, at), write=True)
    except SellerkitError as exc:
        return refused(request, exc, back)
    return redirect(request, back, f"{row.location}: removed, it was empty." if removed
                    else f"{row.location}: {row.quantity:,} available.")


@router.get("/listings/{manifest_id}")
async def manifest_page(request: Request, user: CurrentUser, manifest_id: PathId, page: Page = 1):
    def load(s):
        m = manifests.get(s, user.account_id, manifest_id)
        [(m, channel, count)] = manifests.shown(s, [m])
        rows, _variants = manifests.listings_page(s, user.account_id, manifest_id, (None, None), page, PAGE + 1)
        return m, channel, count, manifests.status_counts(s, user.account_id, manifest_id), rows

    m, channel, count, counts, rows = await service(request, load)
    return render(request, "commerce/manifest.html", {"conditions": rules.ITEM_CONDITIONS,
        "title": m.name, "tab": "manifests", "m": m, "channel": channel, "count": count, "rows": rows[:PAGE],
        "counts": sorted(counts.items(), key=lambda kv: (kv[0] != rules.OKAY, kv[0])), "okay": counts.get(rules.OKAY, 0),
        "okay_name": rules.OKAY, "page": page, "more": len(rows) > PAGE, "submitting": m.submitting_since is not None})


ListingField = Annotated[str, Form(max_length=2000)]


@router.post("/listings/{manifest_id}/listings")
async def add_listing(request: Request, user: CurrentUser, manifest_id: PathId, sku: ListingField = "",
                      asin: ListingField = "", upc: ListingField = "", title: ListingField = "",
                      quantity: ListingField = "", retail_price: ListingField = "", cost_price: ListingField = "",
                      item_condition: ListingField = ""):
    """A listing added to the manifest (`manifests.add_listings`, as
    `POST /api/manifests/{id}/product_listings`); its list status says whether it can ship."""
    back = f"/listings/{manifest_id}"
    fields = {"sku": sku, "asin": asin, "upc": upc, "title": title, "quantity": quantity,
              "retail_price": retail_price, "cost_price": cost_price, "item_condition": item_condition}
    try:
        item = form_model(ProductListingIn, {k: v.strip() for k, v in fields.items()}, "listing")

        def add(s):
            m = manifests.get(s, user.account_id, manifest_id)
            manifests.add_listings(s, m, channel_accounts.get(s, user.account_id, m.marketplace_account_id),
                                   [item], "listing")

        await service(request, add, write=True)
    except SellerkitError as exc:
        return refused(request, exc, back)
    return redirect(request, back, f"Listing {item.sku or item.asin or item.upc or ''} added.".replace("  ", " "))


@router.post("/listings/{manifest_id}/submit")
async def submit_manifest(request: Request, user: CurrentUser, manifest_id: PathId):
    back = f"/listings/{manifest_id}"
    try:
        now = await run_in_threadpool(manifests.request_submission, database(request), request.app.state.queue,
                                      user.account_id, manifest_id)
    except SellerkitError as exc:
        return refused(request, exc, back)
    if not now:
        return redirect(request, back, "Submitting: this large manifest is submitted in the background; "
                                       "reload to see when it is done.")
    m = await service(request, lambda s: manifests.get(s, user.account_id, manifest_id))
    return redirect(request, back, f"Submitted. {m.status_message or ''}".strip())


# ---- orders --------------------------------------------------------------------------------------

@router.get("/orders")
async def orders_page(request: Request, user: CurrentUser, page: Page = 1,
                      status: Annotated[str | None, Query(max_length=40)] = None,
                      number: Annotated[str | None, Query(max_length=100)] = None):
    status = status if status in ORDER_STATUSES else None
    filters = {"order_status": status, "order_number": (number or "").strip() or None}

    def load(s):
        rows, items = orders.page(s, user.account_id, filters, "purchased_at", True, page, PAGE + 1)
        return rows, items, channel_accounts.of(s, user.account_id, [o.marketplace_account_id for o in rows])

    rows, items, channels = await service(request, load)
    return render(request, "commerce/orders.html", {
        "title": "Orders", "rows": rows[:PAGE], "items": items, "channels": channels, "page": page,
        "more": len(rows) > PAGE, "status": status or "", "number": number or "", "statuses": ORDER_STATUSES})


@router.get("/orders/{order_id}")
async def order_page(request: Request, user: CurrentUser, order_id: PathId):
    def load(s):
        o = orders.get(s, user.account_id, order_id)
        return o, orders.items(s, [o.id])[o.id], channel_accounts.of(s, user.account_id, [o.marketplace_account_id])

    o, items, channels = await service(request, load)
    return render(request, "commerce/order.html", {
        "title": f"Order {o.order_number}", "o": o, "items": items, "channel": channels.get(o.marketplace_account_id),
        "can_ship": o.status == "awaiting_shipment", "carriers": CARRIERS})


ShipField = Annotated[str, Form(max_length=200)]  # the service names a value over its column's length


@router.post("/orders/{order_id}/ship")
async def ship_order(request: Request, user: CurrentUser, order_id: PathId, tracking_number: ShipField = "",
                     carrier_code: ShipField = ""):
    back = f"/orders/{order_id}"
    at = utcnow()
    try:
        o = await service(request, lambda s: orders.update(s, user.account_id, order_id, tracking_number,
                                                           carrier_code, None, at), write=True)
    except SellerkitError as exc:
        return refused(request, exc, back)
    from sellerkit.commerce.shipments import enqueue_pending  # the channel hears of it after the commit

    await run_in_threadpool(enqueue_pending, request.app.state.queue, request.app.state.db, order_id)
    return redirect(request, back, f"Order {o.order_number} shipped, tracking {o.tracking_number}.")
