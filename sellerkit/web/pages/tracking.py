"""Tracked collections: the list with credits, a collection's items and runs with "Run now",
and an item's price, stock and rank over the runs as a chart. Handlers call `tracking` (the
Multicart dialect's service) and enqueue the run after the commit, as the API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from sellerkit.domain import capture
from sellerkit.errors import NotFound, SellerkitError
from sellerkit.kit.blobs import blobs_for
from sellerkit.kit.http import PathId
from sellerkit.tracking.service import tracking
from sellerkit.tracking.tasks import enqueue_run
from sellerkit.web.page import CurrentUser, page_router, redirect, render, service
from sellerkit.web.pages.commerce import refused

router = page_router()
PAGE = 50
RUNS = 20  # latest runs a collection's page lists
MANUAL_PRIORITY = 50  # the API's "run now" queues at this priority too
Page = Annotated[int, Query(ge=1, le=10_000)]


@router.get("/tracking")
async def collections_page(request: Request, user: CurrentUser, page: Page = 1):
    def load(s):
        return (tracking.collections(s, user.account_id, (page - 1) * PAGE, PAGE + 1),
                tracking.credits(s, user.account_id))

    listed, credits = await service(request, load)
    rows = listed["collections"]
    return render(request, "tracking/collections.html", {
        "title": "Tracking", "rows": rows[:PAGE], "total": listed["total_count"], "credits": credits, "page": page,
        "more": len(rows) > PAGE})


@router.get("/tracking/{collection_id}")
async def collection_page(request: Request, user: CurrentUser, collection_id: PathId, page: Page = 1):
    def load(s):
        c = tracking.collection_view(tracking.collection(s, user.account_id, collection_id))
        items = tracking.items(s, user.account_id, collection_id, (page - 1) * PAGE, PAGE + 1, with_count=True)
        return c, items, tracking.runs(s, user.account_id, collection_id, 0, RUNS), tracking.credits(s, user.account_id)

    c, items, runs, credits = await service(request, load)
    rows = items["asin_list"]
    return render(request, "tracking/collection.html", {
        "title": c["name"], "c": c, "rows": rows[:PAGE], "total": items["total_count"], "runs": runs,
        "credits": credits, "page": page, "more": len(rows) > PAGE,
        "running": any(r["status"] == "Processing" for r in runs)})


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
