"""Tracked collections: the list with credits, a collection's items and runs with "Run now",
and an item's price, stock and rank over the runs as a chart. Handlers call `tracking` (the
Multicart dialect's service) and enqueue the run after the commit, as the API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from sellerkit.domain import capture
from sellerkit.domain.schedules import MANUAL
from sellerkit.errors import NotFound, SellerkitError
from sellerkit.kit.blobs import blobs_for
from sellerkit.kit.http import PathId
from sellerkit.tracking.service import tracking
from sellerkit.tracking.tasks import ZIPCODE, enqueue_run
from sellerkit.web.page import CurrentUser, page_router, redirect, render, service
from sellerkit.web.pages.commerce import refused

router = page_router()
PAGE = 50
RUNS = 20  # latest runs a collection's page lists
MANUAL_PRIORITY = 50  # the API's "run now" queues at this priority too
ZIPCODES = 200  # delivery postcodes the forms offer
Page = Annotated[int, Query(ge=1, le=10_000)]


@router.get("/tracking")
async def collections_page(request: Request, user: CurrentUser, page: Page = 1):
    def load(s):
        return (tracking.collections(s, user.account_id, (page - 1) * PAGE, PAGE + 1),
                tracking.credits(s, user.account_id))

    listed, credits = await service(request, load)
    zipcodes = await service(request, lambda s: tracking.zipcodes(s, user.account_id, None, None, 0, ZIPCODES))
    rows = listed["collections"]
    return render(request, "tracking/collections.html", {
        "title": "Tracking", "rows": rows[:PAGE], "total": listed["total_count"], "credits": credits, "page": page,
        "more": len(rows) > PAGE, "zipcodes": zipcodes, "domains": list(capture.DOMAINS.values())})


TextField = Annotated[str, Form(max_length=400)]  # the service names a value over its column's length


@router.post("/tracking")
async def create_collection(request: Request, user: CurrentUser, name: TextField = ""):
    """A manual collection (`tracking.create_collection`, as `POST /api/v1/schedules/add_schedule/`);
    a schedule is set through the API. Its ASINs are added on its page."""
    body = {"name": name, "request_type": capture.REQUEST_TYPES[0], "schedule": MANUAL}
    try:
        c = await service(request, lambda s: tracking.create_collection(s, user.account_id, body), write=True)
    except SellerkitError as exc:
        return refused(request, exc, "/tracking")
    return redirect(request, f"/tracking/{c.id}", f"Collection {c.name} created: add its ASINs.")


@router.post("/tracking/zipcodes")
async def create_zipcode(request: Request, user: CurrentUser, domain: Annotated[int, Form()],
                         zipcode: Annotated[str, Form(max_length=40)] = ""):
    """A delivery postcode (`tracking.create_zipcode`, then the job that sets it on the
    marketplace, as `POST /api/v1/zipcodes/create-zipcode/`); usable once active."""
    try:
        z = await service(request, lambda s: tracking.zipcode_view(
            tracking.create_zipcode(s, user.account_id, domain, zipcode)), write=True)
    except SellerkitError as exc:
        return refused(request, exc, "/tracking")
    request.app.state.queue.enqueue(ZIPCODE, z["id"])
    return redirect(request, "/tracking", f"Postcode {z['zipcode']} added ({z['status']}): it can be used once active.")


@router.get("/tracking/{collection_id}")
async def collection_page(request: Request, user: CurrentUser, collection_id: PathId, page: Page = 1):
    def load(s):
        c = tracking.collection_view(tracking.collection(s, user.account_id, collection_id))
        items = tracking.items(s, user.account_id, collection_id, (page - 1) * PAGE, PAGE + 1, with_count=True)
        return c, items, tracking.runs(s, user.account_id, collection_id, 0, RUNS), tracking.credits(s, user.account_id)

    c, items, runs, credits = await service(request, load)
    zipcodes = await service(request, lambda s: tracking.zipcodes(s, user.account_id, "active", None, 0, ZIPCODES))
    rows = items["asin_list"]
    return render(request, "tracking/collection.html", {
        "title": c["name"], "c": c, "rows": rows[:PAGE], "total": items["total_count"], "runs": runs,
        "credits": credits, "page": page, "more": len(rows) > PAGE, "zipcodes": zipcodes,
        "running": any(r["status"] == "Processing" for r in runs)})


@router.post("/tracking/{collection_id}/items")
async def add_items(request: Request, user: CurrentUser, collection_id: PathId,
                    asins: Annotated[str, Form(max_length=200_000)] = "",
                    postcode: Annotated[str, Form(max_length=300)] = ""):
    """ASINs added to the collection at one delivery postcode (`tracking.create_items`, as
    `POST /api/v1/schedules/amazon/asin/create/multiple/`): each refused one is listed with its reason."""
    back = f"/tracking/{collection_id}"
    domain, _, zipcode = postcode.partition("|")  # "<domain>|<postcode>", as the form's options give it
    body = {"collection": collection_id, "domain": domain, "customer_postcode": zipcode,
            "asins": ",".join(asins.replace(",", " ").split())}
    try:
        added = await service(request, lambda s: tracking.create_items(s, user.account_id, body), write=True)
    except SellerkitError as exc:
        return refused(request, exc, back)
    errors = added["error_rows"]
    message = f"{added['success_count']:,} ASIN{'' if added['success_count'] == 1 else 's'} added."
    if errors:
        message += f" {len(errors):,} refused: " + "; ".join(f"{e['asin']}: {e['error']}" for e in errors[:5]) + \
            ("; ..." if len(errors) > 5 else "")
    return redirect(request, back, message, "error" if errors else "ok")


@router.post("/tracking/{collection_id}/run")
async def run_now(request: Request, user: CurrentUser, collection_id: PathId):
    back = f"/tracking/{collection_id}"
    try:
        run = await service(request, lambda s: tracking.start_run(s, user.account_id, collection_id), write=True)
    except SellerkitError as exc:
        return refused(request, exc, back)
    enqueue_run(request.app.state.queue, run.id, MANUAL_PRIORITY)
    return redirect(request, back, f"Run {run.id} started: {run.records:,} ASINs queued.")


@router.get("/tracking/{collection_id}/items/{item_id}")
async def item_page(request: Request, user: CurrentUser, collection_id: PathId, item_id: PathId):
    def load(s):
        item = tracking.item(s, user.account_id, item_id)
        if item.collection_id != collection_id:
            raise NotFound(f"ASIN {item_id} is not in collection {collection_id}")
        c = tracking.collection(s, user.account_id, collection_id)
        return c, item, tracking.item_history(s, user.account_id, item_id)

    c, item, points = await service(request, load)
    market = capture.DOMAINS[item.domain_id].market
    for p in points:  # the chart plots the currency's own unit
        p["price_major"] = market.major_units(p["price"]) if p["price"] is not None else None
    return render(request, "tracking/item.html", {"title": f"{item.asin} · {c.name}", "c": c, "item": item,
                                                  "points": points, "market": market})


@router.get("/tracking/{collection_id}/runs/{run_id}/files/{file_name}")
async def run_file(request: Request, user: CurrentUser, collection_id: PathId, run_id: PathId,
                   file_name: Annotated[str, Path(max_length=200)]):
    """A run's result file (a page's JSON or the ZIP), for the signed-in account only, as the
    API's `/api/v1/results/...` gives it to a key."""
    key = await service(request, lambda s: tracking.result_file(s, user.account_id, collection_id, run_id, file_name))
    blobs = blobs_for(request.app.state.settings)
    info = await run_in_threadpool(blobs.head, key)
    return StreamingResponse(blobs.stream_async(key), media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{file_name}"', "Content-Length": str(info.size)})
