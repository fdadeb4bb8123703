"""SellerChamp's channel accounts, ship-from addresses, suppliers and templates (`/api/...`).

Every route also answers with `.json` and errors as `commerce.wire` says."""

from __future__ import annotations

from fastapi import Query, Request

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.commerce import views
from sellerkit.commerce.schemas import (ContactIn, Deleted, MarketplaceAccountBody, MarketplaceAccountList,
                                        MarketplaceAccountReply, ShipFromAddressBody, ShipFromAddressList,
                                        ShipFromAddressReply, SupplierBody, SupplierList, SupplierReply,
                                        TemplateBody, TemplateList, TemplateReply)
from sellerkit.commerce.service import channel_accounts, contacts, templates
from sellerkit.commerce.wire import HexId, codec, maybe, need, reply, router as make_router
from sellerkit.kit.http import database

router = make_router(["Commerce: channel accounts"])
_GONE = {410: {"description": "The marketplace account was removed."}}


@router.get("/api/marketplace_accounts", summary="Your channel accounts, each with its six manifest folders",
            response_model=MarketplaceAccountList)
async def list_marketplace_accounts(request: Request, who: CurrentPrincipal):
    ids = codec(request)
    with database(request).session() as s:
        rows = channel_accounts.list(s, who.account_id)
    return reply({"marketplace_accounts": [views.marketplace_account(ids, r) for r in rows]})


@router.post("/api/marketplace_accounts", summary="Connect a channel account (Amazon per marketplace, eBay, "
             "Shopify, Walmart, Google)", status_code=201, response_model=MarketplaceAccountReply)
async def create_marketplace_account(request: Request, who: CurrentPrincipal, body: MarketplaceAccountBody):
    ids = codec(request)
    with database(request).session(write=True) as s:
        row = channel_accounts.create(s, who.account_id, body.marketplace_account)
    return reply({"marketplace_account": views.marketplace_account(ids, row)}, 201, body)


@router.put("/api/marketplace_accounts/{marketplace_account_id}", summary="Rename a channel account",
            response_model=MarketplaceAccountReply, responses=_GONE)
async def update_marketplace_account(
        request: Request, who: CurrentPrincipal, marketplace_account_id: HexId, body: MarketplaceAccountBody,
        marketplace_account_type: str | None = Query(None, max_length=40, description="Must be the account's type.")):
    ids = codec(request)
    channel_id = need(ids, "marketplace_account", marketplace_account_id)
    with database(request).session(write=True) as s:
        row = channel_accounts.update(s, who.account_id, channel_id, body.marketplace_account,
                                      marketplace_account_type)
    return reply({"marketplace_account": views.marketplace_account(ids, row)}, body=body)


@router.delete("/api/marketplace_accounts/{marketplace_account_id}", summary="Remove a channel account",
               response_model=Deleted, responses=_GONE)
async def delete_marketplace_account(request: Request, who: CurrentPrincipal, marketplace_account_id: HexId):
    ids = codec(request)
    channel_id = need(ids, "marketplace_account", marketplace_account_id)
    with database(request).session(write=True) as s:
        channel_accounts.delete(s, who.account_id, channel_id)
    return reply({"deleted": True, "id": marketplace_account_id.lower()})


@router.get("/api/ship_from_addresses", summary="Your ship-from addresses", response_model=ShipFromAddressList)
async def list_ship_from_addresses(request: Request, who: CurrentPrincipal):
    return _list_contacts(request, who, "ship_from_address", "ship_from_addresses")


@router.post("/api/ship_from_addresses", summary="Add a ship-from address", status_code=201,
             response_model=ShipFromAddressReply)
async def create_ship_from_address(request: Request, who: CurrentPrincipal, body: ShipFromAddressBody):
    return _create_contact(request, who, "ship_from_address", body.ship_from_address, body)


@router.get("/api/suppliers", summary="Your suppliers", response_model=SupplierList)
async def list_suppliers(request: Request, who: CurrentPrincipal):
    return _list_contacts(request, who, "supplier", "suppliers")


@router.post("/api/suppliers", summary="Add a supplier", status_code=201, response_model=SupplierReply)
async def create_supplier(request: Request, who: CurrentPrincipal, body: SupplierBody):
    return _create_contact(request, who, "supplier", body.supplier, body)


def _list_contacts(request: Request, who, kind: str, plural: str):
    ids = codec(request)
    with database(request).session() as s:
        rows = contacts.list(s, who.account_id, kind)
    return reply({plural: [views.contact(ids, kind, r) for r in rows]})


def _create_contact(request: Request, who, kind: str, fields: ContactIn, body):
    ids = codec(request)
    with database(request).session(write=True) as s:
        row = contacts.create(s, who.account_id, kind, fields)
    return reply({kind: views.contact(ids, kind, row)}, 201, body)


@router.get("/api/templates", summary="Your listing templates", response_model=TemplateList)
async def list_templates(request: Request, who: CurrentPrincipal):
    ids = codec(request)
    with database(request).session() as s:
        rows = templates.list(s, who.account_id)
    return reply({"templates": [views.template(ids, r) for r in rows]})


@router.post("/api/templates", summary="Add a listing template", status_code=201, response_model=TemplateReply,
             responses={404: {"description": "`marketplace_account_id` names no channel account of yours."}})
async def create_template(request: Request, who: CurrentPrincipal, body: TemplateBody):
    ids = codec(request)
    channel_id = maybe(ids, "marketplace_account", body.template.marketplace_account_id,
                       "template.marketplace_account_id")
    with database(request).session(write=True) as s:
        row = templates.create(s, who.account_id, body.template, channel_id)
    return reply({"template": views.template(ids, row)}, 201, body)


def _include_the_rest() -> None:
    """Manifests, listings, products, variants and inventory: one router for `app.py` to mount."""
    from sellerkit.commerce.manifests_router import router as manifests_router
    from sellerkit.commerce.manifests_router import scans_router
    from sellerkit.commerce.products_router import router as products_router

    router.include_router(manifests_router)
    router.include_router(products_router)
    router.include_router(scans_router)


_include_the_rest()
