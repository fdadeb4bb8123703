"""Tracked collections in the Multicart dialect: `/api/v1/...`, every reply the `{code, data,
status}` envelope with HTTP 200 (failures `status: 0`, `code` the intended status, `data` the
message), as the service documents; only the raw result files and the limits that act before
routing (body size, connections) answer otherwise. Unknown body fields are ignored and named in
`X-Ignored-Fields`, as the service's clients expect."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response, StreamingResponse

from sellerkit.accounts.dependencies import authenticate
from sellerkit.errors import Invalid, PayloadTooLarge, SellerkitError
from sellerkit.kit.blobs import blobs_for
from sellerkit.kit.http import JSON, database, takes_upload, validation_errors_message
from sellerkit.tracking.service import tracking
from sellerkit.tracking.tasks import ZIPCODE, enqueue_run

BULK_LIMIT = 10_000_000  # a 5,000-row CSV is about 200 KB


def envelope(data: Any, code: int = 200, headers: dict | None = None) -> JSON:
    return JSON({"code": code, "data": data, "status": 1 if code < 300 else 0}, headers=headers)


class EnvelopeRoute(APIRoute):
    """Errors, authentication's included, as the envelope with HTTP 200."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SellerkitError as exc:
                return envelope(exc.message, exc.status_code, exc.headers or None)
            except RequestValidationError as exc:
                return envelope(validation_errors_message(exc.errors()), 400)

        return route


router = APIRouter(prefix="/api/v1", tags=["Tracking"], route_class=EnvelopeRoute, include_in_schema=False)


def _who(request: Request):
    with database(request).reader() as reader:
        return authenticate(request, reader)


async def _body(request: Request, known: set[str]) -> tuple[dict, dict]:
    """The JSON body (a form is read too) and the header naming the fields ignored."""
    ctype = request.headers.get("content-type", "")
    if "form" in ctype:
        body = {k: v for k, v in (await request.form()).items()}
    else:
        raw = await request.body()
        if not raw.strip():
            body = {}
        else:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise Invalid(f"request body is not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise Invalid("request body must be a JSON object")
    ignored = sorted(k for k in body if k not in known)
    return body, ({"X-Ignored-Fields": ", ".join(ignored)[:500]} if ignored else {})


def _int(value: Any, field: str, default: int, high: int = 10_000) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{field}: {value!r:.40} is not a whole number") from None
    if not 0 <= number <= high:
        raise Invalid(f"{field}: from 0 to {high}")
    return number


def _page(body: dict) -> tuple[int, int]:
    return _int(body.get("skip"), "skip", 0, 2**31 - 1), _int(body.get("limit"), "limit", 100)


def _write(request: Request, fn, *args):
    with database(request).session(write=True) as session:
        return fn(session, *args)


def _read(request: Request, fn, *args):
    with database(request).session() as session:
        return fn(session, *args)


def _both(path: str, name: str):
    """A read-only route: POST with a JSON body, and GET with query parameters (for a browser)."""
    def decorate(fn):
        router.add_api_route(path, fn, methods=["POST", "GET"], name=name)
        return fn
    return decorate


async def _params(request: Request, known: set[str]) -> tuple[dict, dict]:
    if request.method == "GET":
        return dict(request.query_params), {}
    return await _body(request, known)


# ---- settings, postcodes, account ----------------------------------------------------------------

@_both("/settings/domains/", "tracking_domains")
async def domains(request: Request):
    from sellerkit.domain.capture import DOMAINS

    return envelope([d.wire() for d in DOMAINS.values()])


@router.post("/zipcodes/create-zipcode/")
async def create_zipcode(request: Request):
    who = _who(request)
    body, ignored = await _body(request, {"domain", "zipcode"})
    view = _write(request, lambda s: tracking.zipcode_view(
        tracking.create_zipcode(s, who.account_id, body.get("domain"), body.get("zipcode"))))
    request.app.state.queue.enqueue(ZIPCODE, view["id"])
    return envelope(view, headers=ignored)


@_both("/zipcodes/get-zipcodes/", "tracking_zipcodes")
async def get_zipcodes(request: Request):
    who = _who(request)
    body, ignored = await _params(request, {"status", "domain", "skip", "limit"})
    skip, limit = _page(body)
    return envelope(_read(request, tracking.zipcodes, who.account_id, body.get("status"), body.get("domain"), skip,
                          limit), headers=ignored)


@_both("/users/credits/", "tracking_credits")
async def credits(request: Request):
    who = _who(request)
    return envelope(_write(request, tracking.credits, who.account_id))


@router.post("/users/profile/update")
async def update_profile(request: Request):
    who = _who(request)
    body, ignored = await _body(request, {"timezone"})
    return envelope(_write(request, tracking.set_timezone, who.account_id, body.get("timezone")), headers=ignored)


# ---- collections ---------------------------------------------------------------------------------

COLLECTION_FIELDS = {"name", "request_type", "schedule", "schedule_time", "priority", "fetch_mode", "destinations",
                     "notification_email"}


@router.post("/schedules/add_schedule/")
async def add_schedule(request: Request):
    who = _who(request)
    body, ignored = await _body(request, COLLECTION_FIELDS)
    return envelope(_write(request, lambda s: tracking.collection_view(
        tracking.create_collection(s, who.account_id, body))), headers=ignored)


@router.post("/schedules/update_schedule/")
async def update_schedule(request: Request):
    who = _who(request)
    body, ignored = await _body(request, COLLECTION_FIELDS | {"collection_id", "id"})
    return envelope(_write(request, lambda s: tracking.collection_view(
        tracking.update_collection(s, who.account_id, body))), headers=ignored)


@_both("/schedules/list/", "tracking_collections")
async def list_collections(request: Request):
    who = _who(request)
    body, ignored = await _params(request, {"skip", "limit"})
    skip, limit = _page(body)
    return envelope(_read(request, tracking.collections, who.account_id, skip, limit), headers=ignored)


@_both("/schedules/get/", "tracking_collection")
async def get_collection(request: Request):
    who = _who(request)
    body, ignored = await _params(request, {"collection_id", "id"})
    return envelope(_read(request, lambda s: tracking.collection_view(
        tracking.collection(s, who.account_id, body.get("collection_id", body.get("id"))))), headers=ignored)


@router.post("/schedules/delete/")
async def delete_collections(request: Request):
    who = _who(request)
    body, ignored = await _body(request, {"collection_ids", "collection_id", "ids"})
    ids = body.get("collection_ids", body.get("ids", body.get("collection_id")))
    blobs = blobs_for(request.app.state.settings)
    deleted = await run_in_threadpool(_write, request, tracking.delete_collections, who.account_id, ids, blobs)
    return envelope(f"{len(deleted)} collection(s) deleted successfully", headers=ignored)


async def _pause(request: Request, paused: bool):
    who = _who(request)
    body, ignored = await _body(request, {"collection_id", "id"})
    return envelope(_write(request, lambda s: tracking.collection_view(
        tracking.pause(s, who.account_id, body.get("collection_id", body.get("id")), paused))), headers=ignored)


@router.post("/schedules/pause/")
async def pause(request: Request):
    return await _pause(request, True)


@router.post("/schedules/resume/")
async def resume(request: Request):
    return await _pause(request, False)


# ---- runs and results ----------------------------------------------------------------------------

@router.post("/schedules/run/result/")
async def trigger_run(request: Request):
    who = _who(request)
    body, ignored = await _body(request, {"collection_id"})
    view = _write(request, lambda s: tracking.run_view(tracking.start_run(s, who.account_id, body.get("collection_id"))))
    enqueue_run(request.app.state.queue, view["id"], 50)
    return envelope(view, headers=ignored)


@_both("/schedules/collections/results/download/", "tracking_runs")
async def run_history(request: Request):
    who = _who(request)
    body, ignored = await _params(request, {"collection_id", "skip", "limit"})
    skip, limit = _page(body)
    return envelope(_read(request, tracking.runs, who.account_id, body.get("collection_id"), skip, limit),
                    headers=ignored)


@router.get("/results/{collection_id}/{runner_id}/{file_name}")
async def result_file(request: Request, collection_id: int, runner_id: int, file_name: str):
    who = _who(request)
    key = _read(request, tracking.result_file, who.account_id, collection_id, runner_id, file_name)
    blobs = blobs_for(request.app.state.settings)
    info = await run_in_threadpool(blobs.head, key)
    return StreamingResponse(blobs.stream_async(key), media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{file_name}"', "Content-Length": str(info.size)})


# ---- items (the seed's routes, and the deprecated /schedules/asin/* aliases) ----------------------

def _items_routes(base: str, suffix: str = "") -> None:
    async def create(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"collection", "domain", "customer_postcode", "asin", "custom_id",
                                              "include_raw_html", "output"})
        return envelope(_write(request, tracking.create_item, who.account_id, body), headers=ignored)

    async def create_multiple(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"collection", "domain", "customer_postcode", "asins", "including_raw_html"})
        return envelope(_write(request, tracking.create_items, who.account_id, body), headers=ignored)

    @takes_upload
    async def bulk(request: Request):
        who = _who(request)
        form = await request.form()
        upload = form.get("csv")
        if upload is None or isinstance(upload, str):
            raise Invalid("csv: required, a CSV file field with the header domain,customer_postcode,asin,include_raw_html")
        data = await upload.read(BULK_LIMIT + 1)
        if len(data) > BULK_LIMIT:
            raise PayloadTooLarge(f"csv: larger than {BULK_LIMIT // 1_000_000} MB")
        return envelope(await run_in_threadpool(_write, request, tracking.bulk_items, who.account_id,
                                                form.get("collection_id"), data))

    async def listing(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"collection_id", "skip", "limit", "with_count"})
        skip, limit = _page(body)
        with_count = bool(body.get("with_count")) and str(body.get("with_count")).lower() not in ("0", "false")
        return envelope(_read(request, tracking.items, who.account_id, body.get("collection_id"), skip, limit,
                              with_count), headers=ignored)

    async def get(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"id", "collection"})
        return envelope(_read(request, tracking.get_item, who.account_id, body.get("id")), headers=ignored)

    async def update(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"asin_id", "asin", "include_raw_html", "output", "custom_id"})
        return envelope(_write(request, tracking.update_item, who.account_id, body), headers=ignored)

    async def delete(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"asin_id"})
        return envelope(_write(request, tracking.delete_item, who.account_id, body.get("asin_id")), headers=ignored)

    async def output_list(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"collection_id", "skip", "limit"})
        skip, limit = _page(body)
        return envelope(_read(request, tracking.outputs, who.account_id, body.get("collection_id"), skip, limit),
                        headers=ignored)

    async def output(request: Request):
        who = _who(request)
        body, ignored = await _body(request, {"asin_id"})
        blobs = blobs_for(request.app.state.settings)
        return envelope(await run_in_threadpool(_read, request, tracking.output, who.account_id, body.get("asin_id"),
                                                blobs), headers=ignored)

    for path, fn in (("create/", create), ("create/multiple/", create_multiple), ("create/bulk/", bulk),
                     ("list/", listing), ("get/", get), ("update/", update), ("delete/", delete),
                     ("output/list/", output_list), ("output/", output)):
        router.add_api_route(f"{base}{path}", fn, methods=["POST"], name=f"tracking_items_{path}{suffix}")


_items_routes("/schedules/amazon/asin/")
_items_routes("/schedules/asin/", "_deprecated")  # the service's deprecated aliases
