"""SellerChamp's manifests and product listings (`/api/manifests...`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from sellerkit.accounts.dependencies import CurrentPrincipal, KeyFirstRoute
from sellerkit.commerce import views
from sellerkit.commerce.manifests import MAX_FROM_SCAN, Refs, from_scan, manifests
from sellerkit.commerce.schemas import (Deleted, ListingList, ListingsBody, ManifestBody, ManifestList, ManifestReply,
                                        ScanManifestBody)
from sellerkit.commerce.service import channel_accounts
from sellerkit.commerce.wire import HexId, codec, maybe, need, reply, router as make_router
from sellerkit.domain.filters import MAX_PAGE
from sellerkit.domain.timestamps import event_time
from sellerkit.errors import Conflict, Invalid
from sellerkit.kit.blobs import blobs_for
from sellerkit.kit.http import PathId, database
from sellerkit.scans.schemas import ResultsQuery
from sellerkit.scans.service import scans

router = make_router(["Commerce: manifests and listings"])
MAX_PAGE_SIZE = 250
_REF_404 = {404: {"description": "An id given in the query or body names no object of your account."}}
_SUBMIT_REPLIES = {202: {"model": ManifestReply, "description": "Large manifest: submitted by a job; "
                                                                 "`processing` is true until it ends."},
                   409: {"description": "The manifest is being submitted (or listings change while it is)."},
                   410: {"description": "The manifest was deleted."}}


def _view(request: Request, manifest_id: int) -> dict:
    ids = codec(request)
    with database(request).session() as s:
        m = manifests.get(s, _account(request), manifest_id)
        [(m, channel, count)] = manifests.shown(s, [m])
    return views.manifest(ids, m, channel, count)


def _account(request: Request) -> int:
    return request.state.principal.account_id


async def _submit(request: Request, manifest_id: int) -> int:
    """Claim the manifest (409 if held), then submit it now (200) or as a job (202)."""
    now = await run_in_threadpool(manifests.request_submission, database(request), request.app.state.queue,
                                  _account(request), manifest_id)
    return 200 if now else 202


@router.get("/api/manifests", summary="Your manifests, newest first (25 a page by default)",
            response_model=ManifestList, responses=_REF_404)
async def list_manifests(request: Request, who: CurrentPrincipal,
                         marketplace_account_id: str | None = Query(None, max_length=40),
                         manifest_folder_id: str | None = Query(None, max_length=40),
                         page: int = Query(1, ge=1, le=MAX_PAGE), page_size: int = Query(25, ge=1, le=MAX_PAGE_SIZE)):
    ids = codec(request)
    channel_id = maybe(ids, "marketplace_account", marketplace_account_id, "marketplace_account_id")
    folder = maybe(ids, "manifest_folder", manifest_folder_id, "manifest_folder_id")
    with database(request).session() as s:
        rows = manifests.shown(s, manifests.page(s, who.account_id, channel_id, folder, page, page_size))
    return reply({"manifests": [views.manifest(ids, m, c, n) for m, c, n in rows]})


@router.post("/api/manifests", summary="Create a manifest with its listings (optionally submitting it)",
             status_code=201, response_model=ManifestReply, responses={**_SUBMIT_REPLIES, **_REF_404})
async def create_manifest(request: Request, who: CurrentPrincipal, body: ManifestBody):
    ids = codec(request)
    m = body.manifest
    refs = Refs(maybe(ids, "marketplace_account", m.marketplace_account_id, "manifest.marketplace_account_id"),
                maybe(ids, "supplier", m.supplier_id, "manifest.supplier_id"),
                maybe(ids, "ship_from_address", m.ship_from_address_id, "manifest.ship_from_address_id"),
                maybe(ids, "template", m.template_id, "manifest.template_id"))

    def create() -> int:  # checks thousands of listings against the catalog: off the event loop
        with database(request).session(write=True) as s:
            return manifests.create(s, who.account_id, m, refs).id

    manifest_id = await run_in_threadpool(create)
    status = 201
    if m.auto_submit:
        status = 201 if await _submit(request, manifest_id) == 200 else 202
    return reply({"manifest": _view(request, manifest_id)}, status, body)


@router.get("/api/manifests/{manifest_id}", summary="One manifest (poll `processing` after a submit)",
            response_model=ManifestReply, responses={410: _SUBMIT_REPLIES[410]})
async def get_manifest(request: Request, who: CurrentPrincipal, manifest_id: HexId):
    return reply({"manifest": _view(request, need(codec(request), "manifest", manifest_id))})


@router.post("/api/manifests/{manifest_id}/submit", summary="Submit a manifest: its listings become products",
             response_model=ManifestReply, responses=_SUBMIT_REPLIES)
async def submit_manifest(request: Request, who: CurrentPrincipal, manifest_id: HexId):
    n = need(codec(request), "manifest", manifest_id)
    status = await _submit(request, n)
    return reply({"manifest": _view(request, n)}, status)


def _created(value: str | None) -> tuple[datetime | None, datetime | None]:
    """`created_at=DATE`: that UTC day; a full timestamp: from then on."""
    if value is None or not value.strip():
        return None, None
    text = value.strip()
    try:
        if len(text) == 10:
            start = event_time(text + "T00:00:00Z", field="created_at")
            return start, start + timedelta(days=1)
        return event_time(text if text[-1:] in "zZ" or "+" in text[10:] else text + "Z", field="created_at"), None
    except ValueError as exc:
        raise Invalid(str(exc)) from None


@router.get("/api/manifests/{manifest_id}/product_listings", summary="A manifest's listings (25 a page by default)",
            response_model=ListingList, responses={410: _SUBMIT_REPLIES[410]})
async def list_listings(request: Request, who: CurrentPrincipal, manifest_id: HexId,
                        page: int = Query(1, ge=1, le=MAX_PAGE), page_size: int = Query(25, ge=1, le=MAX_PAGE_SIZE),
                        created_at: str | None = Query(None, max_length=40, description="A day (YYYY-MM-DD, UTC) "
                                                       "or a time: listings created that day, or since then.")):
    ids = codec(request)
    n = need(ids, "manifest", manifest_id)
    window = _created(created_at)
    with database(request).session() as s:
        rows, variants = manifests.listings_page(s, who.account_id, n, window, page, page_size)
    return reply({"product_listings": [views.listing(ids, r, variants[r.id]) for r in rows]})


@router.post("/api/manifests/{manifest_id}/product_listings", summary="Add listings to a manifest",
             status_code=201, response_model=ManifestReply, responses=_SUBMIT_REPLIES)
async def create_listings(request: Request, who: CurrentPrincipal, manifest_id: HexId, body: ListingsBody,
                          auto_submit: bool | None = Query(None, description="Submit the manifest afterwards.")):
    n = need(codec(request), "manifest", manifest_id)

    def add() -> None:
        with database(request).session(write=True) as s:
            m = manifests.get(s, who.account_id, n)
            channel = channel_accounts.get(s, who.account_id, m.marketplace_account_id)
            manifests.add_listings(s, m, channel, body.product_listings_attributes, "product_listings_attributes")

    await run_in_threadpool(add)
    status = 201
    if auto_submit or body.auto_submit:
        status = 201 if await _submit(request, n) == 200 else 202
    return reply({"manifest": _view(request, n)}, status, body)


@router.delete("/api/manifests/{manifest_id}/product_listings/{product_listing_id}",
               summary="Remove a listing from a manifest (also under `product_litings`, the reference's spelling)",
               response_model=Deleted, responses={409: _SUBMIT_REPLIES[409], 410: _SUBMIT_REPLIES[410]})
async def delete_listing(request: Request, who: CurrentPrincipal, manifest_id: HexId, product_listing_id: HexId):
    ids = codec(request)
    m, pl = need(ids, "manifest", manifest_id), need(ids, "product_listing", product_listing_id)
    with database(request).session(write=True) as s:
        manifests.delete_listing(s, who.account_id, m, pl)
    return reply({"deleted": True, "id": product_listing_id.lower()})


# ---- from a scan (RocketSource's surface, SellerChamp's manifest) ------------------------------

scans_router = APIRouter(prefix="/api/v3", tags=["RocketSource: scans"], route_class=KeyFirstRoute)


@scans_router.post("/scans/{scan_id}/manifest", summary="Make a manifest of chosen scan results (a listing batch)",
                   status_code=201, response_model=ManifestReply,
                   responses={202: _SUBMIT_REPLIES[202], 409: {"description": "The scan is still running."}})
async def manifest_from_scan(request: Request, who: CurrentPrincipal, scan_id: PathId,
                             body: ScanManifestBody | None = None):
    """Results chosen by `result_ids` or by `filter` (as in results; neither: every product row),
    become the listings of a new manifest: cost from the supplier row, price from the Buy Box,
    quantity as given, else the supplier's stock, else 1; SKU `{sku_prefix}{ASIN}-S{scan}R{result}`.
    With `auto_submit` the manifest is submitted too."""
    body = body or ScanManifestBody()
    ids = codec(request)
    refs = Refs(maybe(ids, "marketplace_account", body.marketplace_account_id, "marketplace_account_id"),
                maybe(ids, "supplier", body.supplier_id, "supplier_id"),
                maybe(ids, "ship_from_address", body.ship_from_address_id, "ship_from_address_id"))
    blobs = blobs_for(request.app.state.settings)  # where the scan's results are, as for the scans routes

    def make() -> int:
        with database(request).session(write=True) as s:
            scan = scans.get(s, who.account_id, scan_id)
            if scan.status == "InProgress":
                raise Conflict(f"scan {scan_id} is still running; make a manifest when it has ended")
            _, rows, _ = scans.select(scan, blobs, ResultsQuery(filter=body.filter or []), paged=False)
            if body.result_ids is not None:
                wanted = set(body.result_ids)
                rows = rows.filter(pl.col("id").is_in(list(wanted)))
                missing = wanted - set(rows["id"].to_list())
                if missing:
                    raise Invalid(f"result_ids: no product result {', '.join(map(str, sorted(missing)[:10]))} "
                                  f"in scan {scan_id}")
            if body.limit is not None:
                rows = rows.head(max(body.limit, 0))
            # one more than the cap, so that from_scan can say the selection is too large
            return from_scan(s, who.account_id, scan, rows.head(MAX_FROM_SCAN + 1).to_dicts(), body, refs).id

    manifest_id = await run_in_threadpool(make)
    status = 201
    if body.auto_submit:
        status = 201 if await _submit(request, manifest_id) == 200 else 202
    return reply({"manifest": _view(request, manifest_id)}, status)
