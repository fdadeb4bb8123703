"""RocketSource scans: `/api/v3/scans...` in the reference's shapes and the official client's."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import ValidationError

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.errors import Invalid, PayloadTooLarge
from sellerkit.kit.http import JSON, database, validation_errors_message
from sellerkit.scans.schemas import ResultsQuery, UploadRequest
from sellerkit.scans.service import scans
from sellerkit.scans.tasks import RUN

router = APIRouter(prefix="/api/v3", tags=["RocketSource: scans"])
COPY_BLOCK = 1 << 20


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
    else:
        raise Invalid("attributes: required (JSON with mapping and options), or send marketplace and options")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(body, dict):
        raise Invalid(f"{where}: expected a JSON object")
    if where == "options":
        opts = dict(body)
        mapping = opts.pop("mapping", None)
        if marketplace and "marketplace_id" not in opts:
            opts["marketplace_id"] = marketplace
        body = {"mapping": mapping, "options": opts}
    try:
        return UploadRequest.model_validate(body)
    except ValidationError as exc:
        raise Invalid(validation_errors_message(exc.errors(), prefix=where if where == "attributes" else "")) from None


async def _save_upload(request: Request, upload: UploadFile) -> Path:
    """Copy the upload into the data dir (same disk as its final place), enforcing the limit."""
    limit = _settings(request).upload_limit_mb * 1_000_000
    folder = _settings(request).data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=".upload")
    size = 0
    with os.fdopen(fd, "wb") as out:
        while block := await upload.read(COPY_BLOCK):
            size += len(block)
            if size > limit:
                out.close()
                os.unlink(name)
                raise PayloadTooLarge(f"file: larger than the upload limit of {limit // 1_000_000} MB")
            out.write(block)
    return Path(name)


@router.get("/scans", summary="Your scans, newest first")
async def list_scans(request: Request, who: CurrentPrincipal, page: int = Query(1, ge=0),
                     per_page: int = Query(25, ge=1, le=100), perPage: int | None = Query(None, ge=1, le=100)):
    with database(request).session() as session:
        return JSON(scans.list(session, who.account_id, page, perPage or per_page))


@router.post("/scans", summary="Upload a supplier file (CSV, TSV, TXT or XLSX) to scan")
async def upload_scan(
    request: Request,
    who: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="CSV, TSV, TXT or XLSX")],
    attributes: Annotated[str | None, Form(description="JSON {mapping, options} (UploadRequest)")] = None,
    marketplace: Annotated[str | None, Form()] = None,
    options: Annotated[str | None, Form(description="JSON options with the mapping inside (client form)")] = None,
):
    spec = _upload_request(attributes, marketplace, options)
    path = await _save_upload(request, file)
    try:
        with database(request).session(write=True) as session:
            scan = scans.create(session, who.account_id, _settings(request).data_dir, path,
                                file.filename or "upload.csv", spec)
            view = scans.view(scan)
    finally:
        path.unlink(missing_ok=True)  # moved into the scan's folder on success
    _enqueue(request, scan.id)
    return JSON(view, status_code=201)


@router.get("/scans/{scan_id}", summary="A scan: status, counts, progress and speed")
async def get_scan(request: Request, scan_id: int, who: CurrentPrincipal):
    with database(request).session() as session:
        return JSON(scans.view(scans.get(session, who.account_id, scan_id)))


@router.post("/scans/{scan_id}", summary="Results: filter, sort and page products or errors")
async def scan_results(request: Request, scan_id: int, who: CurrentPrincipal, body: ResultsQuery | None = None,
                       table_type: Literal["products", "errors"] | None = None):
    with database(request).session() as session:
        scan = scans.get(session, who.account_id, scan_id)
    return JSON(scans.results(scan, _settings(request).data_dir, body or ResultsQuery(), table_type))


@router.delete("/scans/{scan_id}", summary="Delete a scan and its files")
async def delete_scan(request: Request, scan_id: int, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scans.delete(session, scans.get(session, who.account_id, scan_id), _settings(request).data_dir)
    return JSON({"id": scan_id, "deleted": True})


@router.get("/scans/{scan_id}/cancel", summary="Cancel a running scan (it stops within 2 s, keeping what is done)")
async def cancel_scan(request: Request, scan_id: int, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scan = scans.request_cancel(session, scans.get(session, who.account_id, scan_id))
        return JSON(scans.view(scan))


router.add_api_route("/scans/{scan_id}/cancel", cancel_scan, methods=["POST"], operation_id="cancel_scan_post",
                     summary="Cancel a running scan (the client's form)")


@router.post("/scans/{scan_id}/rerun", summary="Scan the same file again (matching and prices anew)")
async def rerun_scan(request: Request, scan_id: int, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scan = scans.restart(session, scans.get(session, who.account_id, scan_id), _settings(request).data_dir)
        view = scans.view(scan)
    _enqueue(request, scan_id)
    return JSON(view, status_code=202)


@router.post("/scans/{scan_id}/fees-recalculate",
             summary="Recompute fees and financials with today's schedule, without re-matching")
async def recalculate_fees(request: Request, scan_id: int, who: CurrentPrincipal):
    with database(request).session(write=True) as session:
        scan = scans.restart(session, scans.get(session, who.account_id, scan_id), _settings(request).data_dir,
                             recalculate=True)
        view = scans.view(scan)
    _enqueue(request, scan_id)
    return JSON(view, status_code=202)


@router.get("/brand-blocklist", summary="Brands you do not buy (flagged in scan results)")
async def get_blocklist(request: Request, who: CurrentPrincipal):
    with database(request).session() as session:
        return JSON({"brands": scans.blocked_brands(session, who.account_id)})


@router.put("/brand-blocklist", summary="Replace your brand blocklist")
async def put_blocklist(request: Request, who: CurrentPrincipal, body: dict[str, Any]):
    brands = body.get("brands")
    if not isinstance(brands, list) or not all(isinstance(b, str) for b in brands):
        raise Invalid("brands: expected a list of brand names")
    with database(request).session(write=True) as session:
        return JSON({"brands": scans.set_blocked_brands(session, who.account_id, brands)})
