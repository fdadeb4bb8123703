"""SellerChamp's products, variants and inventory locations (`/api/products...`, `/api/variants/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.commerce import tasks, views
from sellerkit.commerce.channel_listings import channel_listings
from sellerkit.commerce.products import Shown, inventory, products
from sellerkit.commerce.schemas import (BulkUpdateBody, BulkUpdateReply, Deleted, InventoryLocationBody, LocationList,
                                        LocationReply, ProductBody, ProductList, ProductReply, VariantBody,
                                        VariantReply)
from sellerkit.commerce.wire import HexId, codec, filter_time, maybe, need, reply, router as make_router
from sellerkit.domain.commerce_ids import IdCodec
from sellerkit.domain.filters import MAX_PAGE
from sellerkit.domain.timestamps import event_time
from sellerkit.errors import Invalid
from sellerkit.kit.http import database

router = make_router(["Commerce: products and inventory"])
MAX_PAGE_SIZE = 250
_GONE = {410: {"description": "The product was deleted."}}


def _flag(what: str):
    return Query(None, description=what)



def _products(ids: IdCodec, shown: Shown) -> list[dict[str, Any]]:
    return [views.product(ids, p, shown.variants[p.id], shown.locations[p.id], shown.images[p.id])
            for p in shown.products]


def _at(value: str | None) -> datetime:
    """The event time of an inventory change: the request's `timestamp`, else now."""
    try:
        return event_time(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def _one(request: Request, account_id: int, product_id: int) -> dict[str, Any]:
    ids = codec(request)
    with database(request).session() as s:
        shown = products.shown(s, [products.get(s, account_id, product_id)])
    return _products(ids, shown)[0]


@router.get("/api/products", summary="Your products, filtered as the reference says (50 a page by default)",
            response_model=ProductList,
            responses={404: {"description": "`marketplace_account_id` names no channel account of yours."}})
async def list_products(
        request: Request, who: CurrentPrincipal,
        marketplace_account_id: str | None = Query(None, max_length=40),
        sku: str | None = Query(None, max_length=100, description="Exact, case-sensitive."),
        asin: str | None = Query(None, max_length=10),
        upc: str | None = Query(None, max_length=20, description="A UPC, EAN or ISBN: every spelling of the code."),
        marketplace_id: str | None = Query(None, max_length=40, description="The channel's item id."),
        created_at_start: str | None = Query(None, max_length=40), created_at_end: str | None = Query(None, max_length=40),
        updated_at_start: str | None = Query(None, max_length=40), updated_at_end: str | None = Query(None, max_length=40),
        tag: str | None = Query(None, max_length=200, description="Products that have this tag."),
        tags_array: list[str] | None = Query(None, alias="tags_array[]", description="Products with exactly these tags."),
        tags_array_plain: list[str] | None = Query(None, alias="tags_array", include_in_schema=False),
        page: int = Query(1, ge=1, le=MAX_PAGE), page_size: int = Query(50, ge=1, le=MAX_PAGE_SIZE)):
    ids = codec(request)
    filters: dict[str, Any] = {
        "marketplace_account_id": maybe(ids, "marketplace_account", marketplace_account_id, "marketplace_account_id"),
        "sku": sku or None, "asin": asin.strip().upper() if asin else None, "upc": upc or None,
        "marketplace_id": marketplace_id or None, "tag": tag or None,
        "tags_array": tags_array if tags_array is not None else tags_array_plain,
        **{name: filter_time(value, name) for name, value in (
            ("created_at_start", created_at_start), ("created_at_end", created_at_end),
            ("updated_at_start", updated_at_start), ("updated_at_end", updated_at_end))}}
    filters = {k: v for k, v in filters.items() if v is not None}
    with database(request).session() as s:
        shown = products.page(s, who.account_id, filters, page, page_size)
    return reply({"products": _products(ids, shown)})


@router.put("/api/products/bulk_update", summary="Update many products: each item applied or listed with why",
            response_model=BulkUpdateReply)
async def bulk_update(request: Request, who: CurrentPrincipal, body: BulkUpdateBody,
                      relist: bool | None = _flag("Relist inactive products on their channel.")):
    ids = codec(request)
    items = [(ids.decode("product", (p.id or "").lower()), p, p.id) for p in body.products]
    at = _at(body.timestamp)
    with database(request).session(write=True) as s:
        done, errors = products.bulk_update(s, who.account_id, items, bool(relist or body.relist), at)
        shown = products.shown(s, done)
    if relist or body.relist:
        tasks.kick(request.app.state.queue)  # a relist on a live channel is a put
    return reply({"products": _products(ids, shown), "errors": errors}, body=body)


@router.get("/api/products/{product_id}", summary="One product", response_model=ProductReply, responses=_GONE)
async def get_product(request: Request, who: CurrentPrincipal, product_id: HexId):
    return reply({"product": _one(request, who.account_id, need(codec(request), "product", product_id))})


@router.put("/api/products/{product_id}", summary="Update a product (`tags_array` replaces its tags)",
            response_model=ProductReply, responses=_GONE)
async def update_product(request: Request, who: CurrentPrincipal, product_id: HexId, body: ProductBody,
                         relist: bool | None = _flag("Relist the product on its channel if inactive.")):
    n = need(codec(request), "product", product_id)
    with database(request).session(write=True) as s:
        products.update(s, who.account_id, n, body.product, bool(relist), _at(body.timestamp))
    if relist:
        tasks.kick(request.app.state.queue)  # a relist on a live channel is a put
    return reply({"product": _one(request, who.account_id, n)}, body=body)


@router.post("/api/products/{product_id}/marketplace_status",
             summary="Read the product's listing back from its channel now (sellerkit's own route)",
             response_model=ProductReply, responses={**_GONE, 502: {"description": "The channel did not answer."}})
async def refresh_marketplace_status(request: Request, who: CurrentPrincipal, product_id: HexId):
    """Amazon: `getListingsItem`. The product's `marketplace_status`, `list_status` and
    `list_status_error_detail` become what the channel says; the reply is the product, with
    `marketplace_listing` saying what was asked and answered."""
    n = need(codec(request), "product", product_id)
    outcome = await run_in_threadpool(channel_listings.refresh, database(request), request.app.state.settings,
                                      who.account_id, n)
    product = _one(request, who.account_id, n)
    product["marketplace_listing"] = {"answered": outcome.verdict is not None, "channel_status": outcome.channel_status,
                                      "issues": outcome.issues, "error": outcome.error}
    return reply({"product": product})


@router.delete("/api/products/{product_id}", summary="Delete a product, end or remove its listing",
               response_model=Deleted, responses=_GONE)
async def delete_product(request: Request, who: CurrentPrincipal, product_id: HexId,
                         delete_product: bool | None = Query(None, description="Delete it from sellerkit "
                                                             "(default: true when no flag is given)."),
                         end_listing_on_marketplace: bool | None = _flag("End the listing (status `ended`)."),
                         delete_listing_on_marketplace: bool | None = _flag("Remove the listing (status "
                                                                            "`deleted`)."),
                         delete_linked_products: bool | None = _flag("Do the same to the account's products of "
                                                                     "the same SKU on its other channels.")):
    ids = codec(request)
    n = need(ids, "product", product_id)
    flags = (end_listing_on_marketplace, delete_listing_on_marketplace, delete_linked_products)
    remove = delete_product if delete_product is not None else not any(flags)
    with database(request).session(write=True) as s:
        done = products.delete(s, who.account_id, n, remove, bool(end_listing_on_marketplace),
                               bool(delete_listing_on_marketplace), bool(delete_linked_products))
    if end_listing_on_marketplace or delete_listing_on_marketplace:
        tasks.kick(request.app.state.queue)  # a live channel's listing ends there (deleteListingsItem)
    return reply({"deleted": remove, "id": product_id.lower(),
                  "products": [{"id": ids.encode("product", p.id), "sku": p.sku,
                                "marketplace_status": p.marketplace_status, "deleted": p.deleted_at is not None}
                               for p in done]})


async def _update_variant(request: Request, who, variant_id: str, product_id: str | None, body: VariantBody):
    ids = codec(request)
    vid = need(ids, "variant", variant_id)
    pid = need(ids, "product", product_id) if product_id is not None else None
    fields = body.variant if body.variant is not None else body
    with database(request).session(write=True) as s:
        v = products.update_variant(s, who.account_id, vid, pid, fields, _at(body.timestamp))
        locations = inventory.locations(s, who.account_id, v.product_id)
    return reply({"variant": views.variant(ids, v, locations)}, body=body)


@router.put("/api/products/{product_id}/variants/{variant_id}", summary="Update a variant (its quantity through "
            "its locations)", response_model=VariantReply, responses=_GONE)
async def update_variant(request: Request, who: CurrentPrincipal, product_id: HexId, variant_id: HexId,
                         body: VariantBody):
    return await _update_variant(request, who, variant_id, product_id, body)


@router.put("/api/variants/{variant_id}", summary="Update a variant by its id alone (as clients call it)",
            response_model=VariantReply, responses=_GONE)
async def update_variant_alone(request: Request, who: CurrentPrincipal, variant_id: HexId, body: VariantBody):
    return await _update_variant(request, who, variant_id, None, body)


@router.get("/api/products/{product_id}/inventory_locations", summary="A product's inventory locations",
            response_model=LocationList, responses=_GONE)
async def list_locations(request: Request, who: CurrentPrincipal, product_id: HexId):
    ids = codec(request)
    n = need(ids, "product", product_id)
    with database(request).session() as s:
        rows = inventory.locations(s, who.account_id, n)
    return reply({"inventory_locations": [views.location(ids, r) for r in rows]})


@router.post("/api/products/{product_id}/inventory_locations", summary="Add an inventory location",
             status_code=201, response_model=LocationReply,
             responses={**_GONE, 409: {"description": "The product (or variant) already has a location of that name."}})
async def create_location(request: Request, who: CurrentPrincipal, product_id: HexId, body: InventoryLocationBody):
    ids = codec(request)
    n = need(ids, "product", product_id)
    loc_in = body.inventory_location
    variant = maybe(ids, "variant", loc_in.variant_id, "inventory_location.variant_id")
    with database(request).session(write=True) as s:
        row = inventory.create(s, who.account_id, n, variant, loc_in, _at(body.timestamp))
        out = views.location(ids, row)
    return reply({"inventory_location": out}, 201, body)


@router.put("/api/products/{product_id}/inventory_locations/{inventory_location_id}",
            summary="Update an inventory location (quantity 0 with delete_if_empty removes it)",
            response_model=LocationReply, responses=_GONE)
async def update_location(request: Request, who: CurrentPrincipal, product_id: HexId, inventory_location_id: HexId,
                          body: InventoryLocationBody):
    ids = codec(request)
    n, loc_id = need(ids, "product", product_id), need(ids, "inventory_location", inventory_location_id)
    with database(request).session(write=True) as s:
        row, removed = inventory.update(s, who.account_id, n, loc_id, body.inventory_location, _at(body.timestamp))
        out = {**views.location(ids, row), "deleted": removed}
    return reply({"inventory_location": out}, body=body)


@router.delete("/api/products/{product_id}/inventory_locations/{inventory_location_id}",
               summary="Remove an inventory location and its stock", response_model=Deleted,
               responses={**_GONE, 409: {"description": "Units at the location await pick."}})
async def delete_location(request: Request, who: CurrentPrincipal, product_id: HexId, inventory_location_id: HexId,
                          timestamp: str | None = Query(None, max_length=40, description="ISO 8601 time of the change.")):
    ids = codec(request)
    n, loc_id = need(ids, "product", product_id), need(ids, "inventory_location", inventory_location_id)
    with database(request).session(write=True) as s:
        inventory.delete(s, who.account_id, n, loc_id, _at(timestamp))
    return reply({"deleted": True, "id": inventory_location_id.lower()})
