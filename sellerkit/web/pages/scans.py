"""Scans: the list, the upload (drop a file, preview its first rows, pick the mapping, save it as
a supplier's preset), live progress, the results table (filter builder, sort, keyset paging,
column chooser, totals), the errors table, a product's detail, downloads and Sheets export,
cancel, rerun, delete. Every handler calls `scans.service`; no rule lives here."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import QueryParams
from starlette.responses import Response, StreamingResponse

from sellerkit.domain import results
from sellerkit.domain.filters import OPERATORS
from sellerkit.domain.mapping import FIELDS as MAPPING_FIELDS
from sellerkit.errors import Invalid, SellerkitError
from sellerkit.kit.blobs import blobs_for, work_file
from sellerkit.kit.http import PathId, database, validation_errors_message
from sellerkit.kit.uploads import copy_limited
from sellerkit.scans import files
from sellerkit.scans.schemas import Options, ResultsQuery, UploadRequest
from sellerkit.scans.router import file_reply
from sellerkit.scans.service import MEDIA, scans
from sellerkit.scans.tasks import EXPORT, RUN
from sellerkit.web.page import CurrentUser, page_router, redirect, render, service

router = page_router()
PER_PAGE = 50
DEFAULT_COLUMNS = ("asin", "amazon_title", "brand", "rank", "inputs.cost", "financials.sale_price",
                   "amazon_fees.total", "financials.profit", "financials.roi", "units_per_month", "profit_per_month")
# The upload form's options a page offers (the rest keep their defaults; the API takes them all)
FORM_OPTIONS = ("marketplace_id", "name", "discount_supplier", "prep_cost", "inbound_shipping_per_lb",
                "storage_months", "fulfilment", "inbound_placement", "pull_historical_data")


def _settings(request: Request):
    return request.app.state.settings


# ---- list and upload ------------------------------------------------------------------------


@router.get("/scans")
async def scans_page(request: Request, user: CurrentUser, page: int = Query(1, ge=1, le=100_000)):
    listed = await service(request, lambda s: scans.list(s, user.account_id, page, 25))
    presets = await service(request, lambda s: scans.presets(s, user.account_id))
    return render(request, "scans.html", {"title": "Scans", "listed": listed, "presets": presets, "page": page})


@router.post("/scans/preview")
async def preview(request: Request, user: CurrentUser, file: Annotated[UploadFile, File()],
                  preset: Annotated[int | None, Form()] = None):
    """The dropped file, kept under a token, with its first rows and a mapping to confirm."""
    settings = _settings(request)
    path = await run_in_threadpool(work_file, settings, ".upload")
    name = (file.filename or "upload.csv")[:300]
    try:
        await run_in_threadpool(copy_limited, file.file, path, settings.upload_limit_mb * 1_000_000)
        view = await run_in_threadpool(scans.preview, path, name, files.Limits.of(settings))
        token = await run_in_threadpool(scans.stage, blobs_for(settings), path, user.account_id)
    except BaseException as exc:
        path.unlink(missing_ok=True)
        if isinstance(exc, SellerkitError):
            return render(request, "scans_mapping.html", {"error": exc.message}, status_code=exc.status_code)
        raise
    presets = await service(request, lambda s: scans.presets(s, user.account_id))
    chosen = next((p for p in presets if p["id"] == preset), None)
    mapping = {k: v for k, v in (chosen["mapping"] if chosen else view["mapping"]).items() if k in MAPPING_FIELDS}
    custom = chosen["mapping"].get("custom_columns") or [] if chosen else []
    options = {**Options().model_dump(mode="json"), **(chosen["options"] if chosen else {})}
    return render(request, "scans_mapping.html", {
        "view": view, "token": token, "file_name": name, "mapping": mapping, "fields": list(MAPPING_FIELDS),
        "custom": custom, "options": options, "preset": chosen})


@router.post("/scans")
async def create_scan(request: Request, user: CurrentUser):
    """The scan from a staged file and the mapping and options picked on its preview."""
    form = await request.form()
    token, name = str(form.get("token") or ""), str(form.get("file_name") or "upload.csv")[:300]
    mapping: dict[str, Any] = {f: int(form[f"map_{f}"]) for f in MAPPING_FIELDS
                               if str(form.get(f"map_{f}") or "").isdigit()}
    options: dict[str, Any] = {k: form[k] for k in FORM_OPTIONS if form.get(k) not in (None, "")}
    options["pull_historical_data"] = form.get("pull_historical_data") == "on"
    # custom columns: the file's columns ticked to pass through, named by their header (the
    # upload form's mapping.custom_columns and options.custom_columns)
    custom = sorted({int(c) for c in form.getlist("custom") if str(c).isdigit()})
    names = [str(n) for n in form.getlist("column_name")]
    if custom:
        mapping["custom_columns"] = custom
        options["custom_columns"] = [names[c] if c < len(names) and names[c] else f"Column {c + 1}" for c in custom]
    try:
        spec = UploadRequest.model_validate({"mapping": mapping, "options": options})
    except ValidationError as exc:
        return redirect(request, "/scans", validation_errors_message(exc.errors(), model=UploadRequest), "error")
    settings, supplier = _settings(request), str(form.get("supplier") or "").strip()
    path = await run_in_threadpool(scans.staged, blobs_for(settings), settings.data_dir, user.account_id, token)

    def create(session):
        scan = scans.create(session, user.account_id, blobs_for(settings), path, name, spec, files.Limits.of(settings))
        if supplier:
            scans.save_preset(session, user.account_id, supplier, spec.mapping, spec.options)
        return scan.id

    try:
        scan_id = await service(request, create, write=True)
    except SellerkitError as exc:
        return redirect(request, "/scans", exc.message, "error")
    finally:
        path.unlink(missing_ok=True)
        await run_in_threadpool(scans.unstage, blobs_for(settings), user.account_id, token)
    request.app.state.queue.enqueue(RUN, scan_id)
    return redirect(request, f"/scans/{scan_id}", "Scan started." + (f" Mapping saved for {supplier}." if supplier else ""))


@router.post("/scans/presets/{preset_id}/delete")
async def delete_preset(request: Request, user: CurrentUser, preset_id: PathId):
    await service(request, lambda s: scans.delete_preset(s, user.account_id, preset_id), write=True)
    return redirect(request, "/scans", "Preset deleted.")


# ---- one scan ---------------------------------------------------------------------------------


def _query(params, table: str, paged: bool = True) -> tuple[ResultsQuery, list[dict], str | None]:
    """The results query the page's filter builder and sort links put in the address; unpaged
    for a download (every matching row)."""
    names, ops, values = params.getlist("fn"), params.getlist("fo"), params.getlist("fv")
    items = [{"name": n, "operator": o, **({"value": v} if o not in ("is_empty", "is_not_empty") else {})}
             for n, o, v in zip(names, ops, values + [""] * len(names)) if n]
    sort = params.get("sort") or None
    try:
        page = {"per_page": PER_PAGE} if paged else {}
        return ResultsQuery(filter=items, sort=sort, table_type=table, **page), items, sort
    except ValidationError as exc:
        raise Invalid(validation_errors_message(exc.errors(), model=ResultsQuery)) from None


@router.get("/scans/{scan_id}")
async def scan_page(request: Request, user: CurrentUser, scan_id: PathId,
                    table: str = Query("products", pattern="^(products|errors)$"),
                    after: int | None = Query(None, ge=0)):
    scan = await service(request, lambda s: scans.get(s, user.account_id, scan_id))
    progress = scans.progress(scan)
    blobs = blobs_for(_settings(request))
    params = request.query_params
    error, count, rows, totals, columns, chosen = None, 0, [], None, [], []
    items, sort = [], None
    try:
        query, items, sort = _query(params, table)
        count, frame, _ = await run_in_threadpool(scans.select, scan, blobs, query, None, True, False, after)
        columns = frame.columns
        chosen = [c for c in (params.getlist("col") or DEFAULT_COLUMNS) if c in columns] or columns
        rows = frame.select(["id", *[c for c in chosen if c != "id"]]).to_dicts()
        if table == "products":
            totals = await run_in_threadpool(scans.totals, scan, blobs, query, chosen)
    except SellerkitError as exc:
        error = exc.message
    kinds = {c: d["type"] for c, d in results.column_definitions(columns, table).items()}
    keep = [(k, v) for k, v in params.multi_items() if k not in ("after", "export")]
    export = None
    if (wanted := params.get("export", "")).isdigit():  # a download being prepared (another account's: 404)
        export = await service(request, lambda s: scans.export_view(scans.get_export(s, user.account_id, int(wanted))))
    return render(request, "scan.html", {
        "title": scan.name, "wide": True, "scan": progress, "table": table, "rows": rows, "count": count,
        "columns": columns, "chosen": chosen, "kinds": kinds, "totals": totals, "filters": items, "sort": sort,
        "after": after, "error": error, "operators": OPERATORS, "keep": keep, "per_page": PER_PAGE, "export": export,
        "next_after": rows[-1]["id"] if len(rows) == PER_PAGE else None})


@router.get("/scans/{scan_id}/progress")
async def progress_fragment(request: Request, user: CurrentUser, scan_id: PathId):
    """Polled by the scan page while it runs; once the run ends the page reloads with its results."""
    scan = await service(request, lambda s: scans.get(s, user.account_id, scan_id))
    view = scans.progress(scan)
    return render(request, "scan_progress.html", {"scan": view},
                  headers={"HX-Refresh": "true"} if view["finished"] else None)


@router.get("/scans/{scan_id}/products/{row_id}")
async def product_page(request: Request, user: CurrentUser, scan_id: PathId, row_id: PathId):
    scan = await service(request, lambda s: scans.get(s, user.account_id, scan_id))
    blobs = blobs_for(_settings(request))

    def detail():
        with database(request).reader() as reader:
            return scans.product(scan, blobs, row_id, reader)

    found = await run_in_threadpool(detail)
    row = found["row"]
    kinds = {c: d["type"] for c, d in results.column_definitions(row, "products").items()}
    chart = {"t": [int(at.timestamp()) for at, _, _ in found["history"]],
             "price": [p / 100 if p is not None else None for _, p, _ in found["history"]],
             "rank": [r for _, _, r in found["history"]]}
    return render(request, "scan_product.html", {
        "title": row.get("amazon_title") or row.get("asin") or f"Product {row_id}", "scan": scans.view(scan),
        "row": row, "kinds": kinds, "prices": found["prices"], "chart": orjson.dumps(chart).decode()})


@router.post("/scans/{scan_id}/download")
async def download(request: Request, user: CurrentUser, scan_id: PathId,
                   type: Annotated[str, Form(pattern="^(csv|xlsx|json)$")] = "csv",  # noqa: A002
                   table: Annotated[str, Form(pattern="^(products|errors)$")] = "products",
                   query: Annotated[str, Form(max_length=65_536)] = ""):
    """The rows the page shows (its filter and sort, every page of them) as a file."""
    scan = await service(request, lambda s: scans.get(s, user.account_id, scan_id))
    body, _, _ = _query(QueryParams(query), table, paged=False)
    blobs, settings = blobs_for(_settings(request)), _settings(request)
    frame, table = await run_in_threadpool(scans.export_frame, scan, blobs, body, None)
    if scans.prepares_in_background(type, frame.height):  # as the API: an export job, then its file
        rows = frame.height
        export_id = await service(request, lambda s: scans.start_export(s, scan, type, table, body, rows).id,
                                  write=True)
        request.app.state.queue.enqueue(EXPORT, export_id)
        return redirect(request, f"/scans/{scan_id}?{query}{'&' if query else ''}export={export_id}",
                        f"Preparing the {type.upper()} of {rows:,} rows; its link appears here when it is ready.")
    return await file_reply(settings, scan, frame, table, type)


@router.get("/scans/exports/{export_id}")
async def export_fragment(request: Request, user: CurrentUser, export_id: PathId):
    """A download being prepared: polled by the scan page until its file is ready."""
    job = await service(request, lambda s: scans.export_view(scans.get_export(s, user.account_id, export_id)))
    return render(request, "scan_export.html", {"export": job})


@router.get("/scans/exports/{export_id}/file")
async def export_file(request: Request, user: CurrentUser, export_id: PathId):
    """The prepared download (the API's `GET /api/v3/exports/{id}/file`, for the signed-in user)."""
    job = await service(request, lambda s: scans.get_export(s, user.account_id, export_id))
    blobs = blobs_for(_settings(request))
    key, filename = scans.export_file(blobs, job)
    info = await run_in_threadpool(blobs.head, key)
    return StreamingResponse(blobs.stream_async(key), media_type=MEDIA[job.format], headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Content-Length": str(info.size)})


@router.post("/scans/{scan_id}/gsheet")
async def gsheet(request: Request, user: CurrentUser, scan_id: PathId,
                 table: Annotated[str, Form(pattern="^(products|errors)$")] = "products",
                 query: Annotated[str, Form(max_length=65_536)] = ""):
    scan = await service(request, lambda s: scans.get(s, user.account_id, scan_id))
    body, _, _ = _query(QueryParams(query), table, paged=False)
    settings = _settings(request)
    try:
        frame, table = await run_in_threadpool(scans.export_frame, scan, blobs_for(settings), body, None)
        url = await run_in_threadpool(scans.export_gsheet, scan, frame, table, settings)
    except SellerkitError as exc:
        return redirect(request, f"/scans/{scan_id}?{query}", exc.message, "error")
    return redirect(request, f"/scans/{scan_id}?{query}", f"Exported to Google Sheets: {url}")


@router.post("/scans/{scan_id}/cancel")
async def cancel(request: Request, user: CurrentUser, scan_id: PathId):
    await service(request, lambda s: scans.request_cancel(s, scans.get(s, user.account_id, scan_id)), write=True)
    return redirect(request, f"/scans/{scan_id}", "Cancelling: the scan stops within 2 s, keeping what is done.")


@router.post("/scans/{scan_id}/rerun")
async def rerun(request: Request, user: CurrentUser, scan_id: PathId):
    blobs = blobs_for(_settings(request))
    try:
        await service(request, lambda s: scans.restart(s, scans.get(s, user.account_id, scan_id), blobs), write=True)
    except SellerkitError as exc:
        if exc.status_code == 404:
            raise
        return redirect(request, f"/scans/{scan_id}", exc.message, "error")
    request.app.state.queue.enqueue(RUN, scan_id)
    return redirect(request, f"/scans/{scan_id}", "Scanning again.")


@router.post("/scans/{scan_id}/delete")
async def delete(request: Request, user: CurrentUser, scan_id: PathId) -> Response:
    blobs = blobs_for(_settings(request))
    await service(request, lambda s: scans.delete(s, scans.get(s, user.account_id, scan_id), blobs), write=True)
    return redirect(request, "/scans", f"Scan {scan_id} deleted.")
