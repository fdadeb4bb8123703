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
from starlette.responses import StreamingResponse

from sellerkit.accounts.dependencies import authenticate
from sellerkit.errors import Invalid, PayloadTooLarge, SellerkitError
from sellerkit.kit.blobs import blobs_for
from sellerkit.kit.http import EnvelopeRoute, PathId, database, envelope, takes_upload
from sellerkit.tracking import schemas as sch
from sellerkit.tracking.service import tracking
from sellerkit.tracking.tasks import ZIPCODE, enqueue_run

BULK_LIMIT = 10_000_000  # a 5,000-row CSV is about 200 KB


router = APIRouter(prefix="/api/v1", tags=["Tracked collections"], route_class=EnvelopeRoute)


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
    named = ", ".join(ignored)[:500].encode("ascii", "backslashreplace").decode()  # a header is Latin-1 at most
    return body, ({"X-Ignored-Fields": named} if ignored else {})


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


def _post(path: str, model, reply, summary: str, public: bool = False, form: bool = False, name: str | None = None,
          deprecated: bool = False):
    """A route: POST with its body documented as `model` and its reply as `Envelope[reply]`."""
    def decorate(fn):
        router.add_api_route(path, fn, methods=["POST"], name=name or fn.__name__, summary=summary,
                             description=fn.__doc__, response_model=sch.Envelope[reply], deprecated=deprecated,
                             openapi_extra={**(sch.body(model, form) if model else {}),
                                            **({"security": []} if public else {})})
        return fn
    return decorate


def _both(path: str, model, reply, summary: str, public: bool = False):
    """A read-only route: POST with a JSON body, and GET with query parameters (for a browser)."""
    def decorate(fn):
        _post(path, model, reply, summary, public)(fn)
        router.add_api_route(path, fn, methods=["GET"], name=f"{fn.__name__}_get", summary=f"{summary} (GET)",
                             description=fn.__doc__, response_model=sch.Envelope[reply],
                             openapi_extra={**(sch.query(model) if model else {}),
                                            **({"security": []} if public else {})})
        return fn
    return decorate


async def _params(request: Request, known: set[str]) -> tuple[dict, dict]:
    if request.method == "GET":
        return dict(request.query_params), {}
    return await _body(request, known)


# ---- settings, postcodes, account ----------------------------------------------------------------

@_both("/settings/domains/", None, list[sch.DomainView], "Amazon sites", public=True)
async def domains(request: Request):
    """Every Amazon site sellerkit knows, with the id the other routes take. No key needed."""
    from sellerkit.domain.capture import DOMAINS

    return envelope([d.wire() for d in DOMAINS.values()])


@_post("/zipcodes/create-zipcode/", sch.ZipcodeCreate, sch.ZipcodeView, "Add a delivery postcode")
async def create_zipcode(request: Request):
    """`in-progress`, then `active` once the marketplace has set it as the delivery location (or
    `failed`). A duplicate is a 409 "Zipcode already exists"."""
    who = _who(request)
    body, ignored = await _body(request, {"domain", "zipcode"})
    view = _write(request, lambda s: tracking.zipcode_view(
        tracking.create_zipcode(s, who.account_id, body.get("domain"), body.get("zipcode"))))
    request.app.state.queue.enqueue(ZIPCODE, view["id"])
    return envelope(view, headers=ignored)


@_both("/zipcodes/get-zipcodes/", sch.ZipcodeQuery, list[sch.ZipcodeView], "Delivery postcodes")
async def get_zipcodes(request: Request):
    """The account's postcodes, filtered by `status` and `domain`."""
    who = _who(request)
    body, ignored = await _params(request, {"status", "domain", "skip", "limit"})
    skip, limit = _page(body)
    return envelope(_read(request, tracking.zipcodes, who.account_id, body.get("status"), body.get("domain"), skip,
                          limit), headers=ignored)


@_both("/users/credits/", None, sch.CreditsView, "Capture credits")
async def credits(request: Request):
    """One credit an item captured; a running run holds its items' credits as frozen."""
    who = _who(request)
    return envelope(_write(request, tracking.credits, who.account_id))


@_post("/users/profile/update", sch.ProfileUpdate, sch.ProfileView, "Set the account's time zone")
async def update_profile(request: Request):
    """The zone schedule hours are read in; every collection's next run is worked out again."""
    who = _who(request)
    body, ignored = await _body(request, {"timezone"})
    return envelope(_write(request, tracking.set_timezone, who.account_id, body.get("timezone")), headers=ignored)


# ---- collections ---------------------------------------------------------------------------------

COLLECTION_FIELDS = {"name", "request_type", "schedule", "schedule_time", "priority", "fetch_mode", "destinations",
                     "notification_email"}


@_post("/schedules/add_schedule/", sch.CollectionFields, sch.CollectionView, "Create a collection")
async def add_schedule(request: Request):
    """A new collection is `draft` (`schedule_status` Pending) until its first ASIN is added."""
    who = _who(request)
    body, ignored = await _body(request, COLLECTION_FIELDS)
    return envelope(_write(request, lambda s: tracking.collection_view(
        tracking.create_collection(s, who.account_id, body))), headers=ignored)


@_post("/schedules/update_schedule/", sch.CollectionUpdate, sch.CollectionView, "Change a collection")
async def update_schedule(request: Request):
    """Any of the create fields; its next run is worked out again."""
    who = _who(request)
    body, ignored = await _body(request, COLLECTION_FIELDS | {"collection_id", "id"})
    return envelope(_write(request, lambda s: tracking.collection_view(
        tracking.update_collection(s, who.account_id, body))), headers=ignored)


@_both("/schedules/list/", sch.Paging, sch.CollectionList, "Collections")
async def list_collections(request: Request):
    """Running ones first, then newest first (a route of sellerkit's: the service documents none)."""
    who = _who(request)
    body, ignored = await _params(request, {"skip", "limit"})
    skip, limit = _page(body)
    return envelope(_read(request, tracking.collections, who.account_id, skip, limit), headers=ignored)


@_both("/schedules/get/", sch.CollectionRef, sch.CollectionView, "A collection")
async def get_collection(request: Request):
    """One collection (a route of sellerkit's: the service documents none)."""
    who = _who(request)
    body, ignored = await _params(request, {"collection_id", "id"})
    return envelope(_read(request, lambda s: tracking.collection_view(
        tracking.collection(s, who.account_id, body.get("collection_id", body.get("id"))))), headers=ignored)


@_post("/schedules/delete/", sch.CollectionIds, str, "Delete collections")
async def delete_collections(request: Request):
    """Up to 50 at once, with their items, runs, outputs and files; a running one is a 409."""
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


@_post("/schedules/pause/", sch.CollectionRef, sch.CollectionView, "Pause a collection's schedule")
async def pause(request: Request):
    """No scheduled runs until resumed; a manual trigger still runs it."""
    return await _pause(request, True)


@_post("/schedules/resume/", sch.CollectionRef, sch.CollectionView, "Resume a collection's schedule")
async def resume(request: Request):
    """Its next run is worked out from now."""
    return await _pause(request, False)


# ---- runs and results ----------------------------------------------------------------------------

@_post("/schedules/run/result/", sch.CollectionRef, sch.RunView, "Run a collection now")
async def trigger_run(request: Request):
    """Every item enqueued at once. Fewer spendable credits than items: 402, nothing queued or
    deducted; already running: 409."""
    who = _who(request)
    body, ignored = await _body(request, {"collection_id"})
    view = _write(request, lambda s: tracking.run_view(tracking.start_run(s, who.account_id, body.get("collection_id"))))
    enqueue_run(request.app.state.queue, view["id"], 50)
    return envelope(view, headers=ignored)


@_both("/schedules/collections/results/download/", sch.RunHistory, list[sch.RunView], "A collection's runs")
async def run_history(request: Request):
    """Newest first, with counts, credits and the result files once `is_download_generated`."""
    who = _who(request)
    body, ignored = await _params(request, {"collection_id", "skip", "limit"})
    skip, limit = _page(body)
    return envelope(_read(request, tracking.runs, who.account_id, body.get("collection_id"), skip, limit),
                    headers=ignored)


@router.get("/results/{collection_id}/{runner_id}/{file_name}", summary="A run's result file",
            response_model=sch.Envelope[str], responses={200: {"content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}, "description": "The file; a failure is the "
                "envelope (JSON)."}})
async def result_file(request: Request, collection_id: PathId, runner_id: PathId, file_name: str):
    """A page file (JSON) or the ZIP, as `application/octet-stream`, for the owner's key only."""
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

    routes = (
        ("create/", create, sch.ItemCreate, sch.ItemView, "Add an ASIN",
         "`domain` and `customer_postcode` are ids here. A duplicate (collection, domain, postcode, ASIN) is a 409."),
        ("create/multiple/", create_multiple, sch.ItemsCreate, sch.RowsAdded, "Add ASINs",
         "`domain` and `customer_postcode` are values here; bad or duplicate ASINs go to `error_rows`."),
        ("create/bulk/", bulk, sch.BulkForm, sch.RowsAdded, "Add ASINs from a CSV",
         "Bad rows go to `error_rows` (with their line) without stopping the rest; at most 5,000 rows."),
        ("list/", listing, sch.ItemList, list[sch.ItemView] | sch.ItemCount, "A collection's ASINs",
         "With `domain` and `customer_postcode` joined; `with_count` wraps them in `{total_count, asin_list}`."),
        ("get/", get, sch.ItemGet, sch.ItemView, "An ASIN row", "By `id`; `collection` is accepted and ignored."),
        ("update/", update, sch.ItemUpdate, sch.ItemUpdated, "Change an ASIN row", "Any of its fields."),
        ("delete/", delete, sch.ItemRef, str, "Delete an ASIN row", "Answers a sentence."),
        ("output/list/", output_list, sch.OutputList, list[sch.OutputSummary], "A collection's outputs",
         "Newest first, without `output_json` (get one to read it)."),
        ("output/", output, sch.OutputRef, sch.OutputView, "An output",
         "What a run captured for one ASIN row; `asin_id` is the output's id."),
    )
    for path, fn, model, reply, summary, doc in routes:
        fn.__doc__ = doc + (" Deprecated alias of `/api/v1/schedules/amazon/asin/" + path + "`." if suffix else "")
        _post(f"{base}{path}", model, reply, summary + (" (deprecated alias)" if suffix else ""),
              form=fn is bulk, name=f"tracking_items_{path}{suffix}", deprecated=bool(suffix))(fn)


_items_routes("/schedules/amazon/asin/")
_items_routes("/schedules/asin/", "_deprecated")  # the service's deprecated aliases
