"""RocketSource scans: `/api/v3/scans...` in the reference's shapes and the official client's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.responses import StreamingResponse

from sellerkit.accounts.dependencies import CurrentPrincipal, KeyFirstRoute
from sellerkit.errors import Invalid
from sellerkit.domain.filters import MAX_PAGE
from sellerkit.domain.marketplaces import MARKETPLACE_CHARS
from sellerkit.kit.blobs import Blobs, blobs_for, work_file
from sellerkit.kit.http import JSON, FileReply, PathId, database, takes_upload, validation_errors_message
from sellerkit.kit.uploads import WorkUpload, read_then_delete, sent_as_written
from sellerkit.scans.schemas import (DOWNLOAD_REPLIES, EXPORT_FILE_REPLIES, SHEETS_ERRORS, BrandBlocklist,
                                     ExportJob, ResultsPage, ResultsQuery, ScanDeleted, ScanList, ScanView,
                                     SheetLink, UploadRequest, download_replies)
from sellerkit.scans import files
from sellerkit.scans.service import MEDIA, scans
from sellerkit.scans.tasks import EXPORT, RUN

router = APIRouter(prefix="/api/v3", tags=["RocketSource: scans"], route_class=KeyFirstRoute)
# The reference's "most simple upload payload": identifiers in the first column, costs in the second
DEFAULT_MAPPING = {"id": 0, "cost": 1}
ATTRIBUTES_CHARS = 65_536  # the upload's JSON form fields: a mapping and options are a few hundred


def _settings(request: Request):
    return request.app.state.settings


def _enqueue(request: Request, scan_id: int) -> None:
    request.app.state.queue.enqueue(RUN, scan_id)


def _upload_request(attributes: str | None, marketplace: str | None, options: str | None) -> UploadRequest:
    """The reference's `attributes` JSON, or the client's `marketplace` + `options` (mapping inside)."""
    if attributes is not None:
        raw, where = attributes, "attributes"
    elif options is not None:
        raw, where = options, "options"
    elif marketplace is not None:  # the client's upload without options: the reference's simplest payload
        raw, where = "{}", "options"
    else:
        raise Invalid("attributes: required (JSON with mapping and options), or send marketplace (and options)")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise Invalid(f"{where}: expected a JSON object")
    if where == "options":
        opts = dict(body)
        mapping = opts.pop("mapping", DEFAULT_MAPPING)
        if marketplace and "marketplace_id" not in opts:
            opts["marketplace_id"] = marketplace
        body = {"mapping": mapping, "options": opts}
    try:
        return UploadRequest.model_validate(body)
    except ValidationError as exc:
        client_form = where == "options"  # the client's form: the mapping is inside options
        raise Invalid(validation_errors_message(exc.errors(), prefix="" if client_form else where, model=UploadRequest,
                                                moved={"mapping": "options.mapping"} if client_form else None)) from None


def _kept_upload(upload: UploadFile) -> Path:
    """The upload, already on this machine's disk within the limit (`KeyFirstRoute` read the form,
    writing the file as it arrived: `kit.uploads.WorkUpload`); once checked it goes to the blob store."""
    assert isinstance(upload, WorkUpload), "an upload route reads its form through KeyFirstRoute"
    return upload.keep()


def _blobs(request: Request) -> Blobs:
    return blobs_for(_settings(request))


@router.get("/scans", summary="Your scans, newest first", response_model=ScanList)
async def list_scans(request: Request, who: CurrentPrincipal, page: int = Query(1, ge=0, le=MAX_PAGE),
                     per_page: int = Query(25, ge=1, le=100), perPage: int | None = Query(None, ge=1, le=100)):
    with database(request).session() as session:
        return JSON(scans.list(session, who.account_id, page, perPage or per_page))


@router.post("/scans", summary="Upload a supplier file (CSV, TSV, TXT or XLSX) to scan", status_code=201,
             response_model=ScanView, response_description="The scan, queued to run")
@takes_upload  # its body may be as large as the upload limit; the key is checked before it is read
async def upload_scan(
    request: Request,
    who: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="CSV, TSV, TXT or XLSX")],
    attributes: Annotated[str | None, Form(max_length=ATTRIBUTES_CHARS,
                                           description="JSON {mapping, options} (UploadRequest)")] = None,
    marketplace: Annotated[str | None, Form(max_length=MARKETPLACE_CHARS)] = None,
    options: Annotated[str | None, Form(max_length=ATTRIBUTES_CHARS,
                                        description="JSON options with the mapping inside (client form)")] = None,
):
    spec = _upload_request(attributes, marketplace, options)
    path = _kept_upload(file)
    settings = _settings(request)

    def create() -> dict:  # reads, counts and transcodes the file: off the event loop
        with database(request).session(write=True) as session:
            scan = scans.create(session, who.account_id, blobs_for(settings), path, file.filename or "upload.csv",
                                spec, files.Limits.of(settings))
            return scans.view(scan)

    try:
        view = await run_in_threadpool(create)
    finally:
        path.unlink(missing_ok=True)  # moved into the blob store on success
    _enqueue(request, view["id"])
    return JSON(view, status_code=201)


@router.get("/scans/{scan_id}", summary="A scan: status, counts, progress and speed", response_model=ScanView)
async def get_scan(request: Request, scan_id: PathId, who: CurrentPrincipal):
    with database(request).session() as session:
        return JSON(scans.view(scans.get(session, who.account_id, scan_id)))


@router.post("/scans/{scan_id}", summary="Results: filter, sort and page products or errors",
             response_model=ResultsPage)
async def scan_results(request: Request, scan_id: PathId, who: CurrentPrincipal, body: ResultsQuery | None = None,
                       table_type: Literal["products", "errors"] | None = None):
    with database(request).session() as session:
        scan = scans.get(session, who.account_id, scan_id)
    query, blobs = body or ResultsQuery(), _blobs(request)

    def results() -> dict:
        with database(request).reader() as reader:  # the page's catalog records (one indexed read)
            return scans.results(scan, blobs, query, table_type, reader)

    return JSON(await run_in_threadpool(results) if query.heavy() else results())


@router.delete("/scans/{scan_id}", summary="Delete a scan and its files", response_model=ScanDeleted)
async def delete_scan(request: Request, scan_id: PathId, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scans.delete(session, scans.get(session, who.account_id, scan_id), _blobs(request))
    return JSON({"id": scan_id, "deleted": True})


@router.get("/scans/{scan_id}/cancel", summary="Cancel a running scan (it stops within 2 s, keeping what is done)",
            response_model=ScanView)
async def cancel_scan(request: Request, scan_id: PathId, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scan = scans.request_cancel(session, scans.get(session, who.account_id, scan_id))
        return JSON(scans.view(scan))


router.add_api_route("/scans/{scan_id}/cancel", cancel_scan, methods=["POST"], operation_id="cancel_scan_post",
                     summary="Cancel a running scan (the client's form)", response_model=ScanView)


@router.post("/scans/{scan_id}/rerun", summary="Scan the same file again (matching and prices anew)",
             status_code=202, response_model=ScanView, response_description="The scan, queued to run again",
             responses={409: {"description": "The scan is still running."}})
async def rerun_scan(request: Request, scan_id: PathId, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scan = scans.restart(session, scans.get(session, who.account_id, scan_id), _blobs(request))
        view = scans.view(scan)
    _enqueue(request, scan_id)
    return JSON(view, status_code=202)


@router.post("/scans/{scan_id}/fees-recalculate",
             summary="Recompute fees and financials with today's schedule, without re-matching",
             status_code=202, response_model=ScanView, response_description="The scan, queued to re-price",
             responses={409: {"description": "The scan is still running, or has no results to re-price."}})
async def recalculate_fees(request: Request, scan_id: PathId, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scan = scans.restart(session, scans.get(session, who.account_id, scan_id), _blobs(request),
                             recalculate=True)
        view = scans.view(scan)
    _enqueue(request, scan_id)
    return JSON(view, status_code=202)


# ---- downloads and exports ----------------------------------------------------------------------

ExportType = Literal["csv", "xlsx", "json"]


async def _download(request: Request, scan_id: PathId, who, fmt: str, body: ResultsQuery | None,
                    table_type: str | None, background: bool):
    """The file now, or (large XLSX, or `background=true`) a job to poll at its `url`."""
    with database(request).session() as session:
        scan = scans.get(session, who.account_id, scan_id)
    frame, table = await run_in_threadpool(scans.export_frame, scan, _blobs(request), body, table_type)
    if background or scans.prepares_in_background(fmt, frame.height):
        with database(request).session(write=True) as session:
            job = scans.start_export(session, scan, fmt, table, body, frame.height)
            view = scans.export_view(job)
        request.app.state.queue.enqueue(EXPORT, job.id)
        return JSON(view, status_code=202)
    return await file_reply(_settings(request), scan, frame, table, fmt)


async def file_reply(settings, scan, frame, table: str, fmt: str) -> StreamingResponse:
    """Rows of a scan as a file download (the API's and the dashboard's): a CSV sent while polars
    writes it; XLSX and JSON written to a work file first (their writers want a seekable file or
    the whole length), then sent and deleted."""
    disposition = {"Content-Disposition": f'attachment; filename="scan-{scan.id}-{table}.{fmt}"'}
    if fmt == "csv":
        return StreamingResponse(sent_as_written(lambda out: scans.write_export(scan, frame, table, fmt, out)),
                                 media_type=MEDIA[fmt], headers=disposition)
    path = await run_in_threadpool(work_file, settings, f".{fmt}")
    try:
        await run_in_threadpool(scans.write_export, scan, frame, table, fmt, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StreamingResponse(read_then_delete(path), media_type=MEDIA[fmt],
                             headers=disposition | {"Content-Length": str(path.stat().st_size)})


@router.post("/scans/{scan_id}/download", summary="Download results as CSV, XLSX or JSON (filter/sort/page body)",
             response_class=FileReply, responses=DOWNLOAD_REPLIES)
async def download(request: Request, scan_id: PathId, who: CurrentPrincipal, body: ResultsQuery | None = None,
                   type: ExportType = Query("csv", description="csv, xlsx or json"),  # noqa: A002
                   table_type: Literal["products", "errors"] | None = None, background: bool = False):
    return await _download(request, scan_id, who, type, body, table_type, background)


def _download_as(fmt: str):
    async def handler(request: Request, scan_id: PathId, who: CurrentPrincipal, body: ResultsQuery | None = None,
                      table_type: Literal["products", "errors"] | None = None, background: bool = False):
        return await _download(request, scan_id, who, fmt, body, table_type, background)
    return handler


for _fmt in ("csv", "xlsx", "json"):
    router.add_api_route(f"/scans/{{scan_id}}/{_fmt}", _download_as(_fmt), methods=["POST"],
                         operation_id=f"download_{_fmt}", summary=f"Download results as {_fmt.upper()}",
                         response_class=FileReply, responses=download_replies(_fmt))


async def _gsheet(request: Request, scan_id: PathId, who, body: ResultsQuery | None, table_type: str | None):
    settings = _settings(request)
    with database(request).session() as session:
        scan = scans.get(session, who.account_id, scan_id)
    frame, table = await run_in_threadpool(scans.export_frame, scan, blobs_for(settings), body, table_type)
    url = await run_in_threadpool(scans.export_gsheet, scan, frame, table, settings)
    return JSON({"url": url})


@router.post("/scans/{scan_id}/export", summary="Export results to a new Google spreadsheet; answers {url}",
             response_model=SheetLink, responses=SHEETS_ERRORS)
async def export_gsheet(request: Request, scan_id: PathId, who: CurrentPrincipal, body: ResultsQuery | None = None,
                        table_type: Literal["products", "errors"] | None = None):
    return await _gsheet(request, scan_id, who, body, table_type)


router.add_api_route("/scans/{scan_id}/gsheet", export_gsheet, methods=["POST"], operation_id="export_gsheet_alias",
                     summary="Export results to Google Sheets (the client's path)", response_model=SheetLink,
                     responses=SHEETS_ERRORS)


@router.get("/exports/{export_id}", summary="A download being prepared: status and progress",
            response_model=ExportJob)
async def get_export(request: Request, export_id: PathId, who: CurrentPrincipal):
    with database(request).session() as session:
        return JSON(scans.export_view(scans.get_export(session, who.account_id, export_id)))


@router.get("/exports/{export_id}/file", summary="The prepared download", response_class=FileReply,
            responses=EXPORT_FILE_REPLIES)
async def export_file(request: Request, export_id: PathId, who: CurrentPrincipal):
    with database(request).session() as session:
        job = scans.get_export(session, who.account_id, export_id)
    blobs = _blobs(request)
    key, filename = scans.export_file(blobs, job)
    info = await run_in_threadpool(blobs.head, key)
    return StreamingResponse(blobs.stream_async(key), media_type=MEDIA[job.format], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Content-Length": str(info.size)})


@router.get("/brand-blocklist", summary="Brands you do not buy (flagged in scan results)",
            response_model=BrandBlocklist)
async def get_blocklist(request: Request, who: CurrentPrincipal):
    with database(request).session() as session:
        return JSON({"brands": scans.blocked_brands(session, who.account_id)})


@router.put("/brand-blocklist", summary="Replace your brand blocklist", response_model=BrandBlocklist)
async def put_blocklist(request: Request, who: CurrentPrincipal, body: BrandBlocklist):
    with database(request).session(write=True) as session:
        return JSON({"brands": scans.set_blocked_brands(session, who.account_id, body.brands)})
