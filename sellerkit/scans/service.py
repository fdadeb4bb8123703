"""Scan use cases: upload, status, results pages, cancel, rerun, delete, fees recalculation.

The running of a scan (reading, matching, pricing, in chunks, resumable) is `scans.runner`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from sqlalchemy.orm import Session

from sellerkit.calculator.schemas import CalculateRequest
from sellerkit.calculator.service import calculator
from sellerkit.catalog.cache import RevisionCache
from sellerkit.catalog.service import catalog, resolve_marketplace
from sellerkit.config import get_settings
from sellerkit.domain import client_product, filters, mapping as mapping_guess, results
from sellerkit.domain.marketplaces import marketplace as marketplace_of
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Invalid, NotFound
from sellerkit.kit.blobs import BlobNotFound, Blobs, BlobStoreError, as_blobs
from sellerkit.kit.db import Reader
from sellerkit.scans import exports, files
from sellerkit.scans import repository as repo
from sellerkit.scans.models import MappingPreset, Scan, ScanExport
from sellerkit.scans.schemas import Mapping, Options, ResultsQuery, UploadRequest, wire_options
from sellerkit.scans.store import ScanFiles, results_cache

SOURCE_TYPE, SOURCE_TYPE_ID = "Upload", 1  # the client's `ScanSource` (Upload, API) and its number
SAMPLE_ROWS = 200  # rows read at upload to check the mapping
STAGED = ".staged"  # suffix of an upload kept between its preview and its scan
PREVIEW_ROWS = 10  # rows the upload page shows to pick the mapping on
PRICE_STEPS_BP = (8000, 9000, 10000, 11000, 12000)  # a product's profit at these shares of its sale price
ORDER_WINDOW = 1_000  # rows of a query's order kept with a finished scan's frame (10 pages of 100)
XLSX_NOW_ROWS = 20_000  # larger XLSX downloads are prepared as a job (about 1 s at 20,000 rows of 94 columns)
MEDIA = {"csv": "text/csv", "json": "application/json",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# What a results page shows of its products' catalog records, kept for the catalog's revision:
# the same page is refreshed, paged back to, or sorted another way (a write is seen at once).
_PAGE_RECORDS: RevisionCache[dict] = RevisionCache(capacity=20_000)


def _staged_key(account_id: int, token: str) -> str:
    return f"staged/{account_id}/{token}"


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at else None


def _custom_names(scan: Scan, table: str) -> list[str]:
    """Headers for the products table's custom columns (the errors table has none)."""
    return (orjson.loads(scan.options).get("custom_columns") or []) if table == "products" else []


class ScanService:
    def create(self, session: Session, account_id: int, blobs: Blobs | Path, upload: Path, file_name: str,
               request: UploadRequest, limits: files.Limits | None = None) -> Scan:
        """Check the file can be scanned at all (400 with the reason if not, 413 past a limit),
        then record the scan and keep the file (a text file as UTF-8). The caller commits, then
        enqueues the run."""
        marketplace = resolve_marketplace(request.options.marketplace_id)
        limits = limits or files.Limits.of(get_settings())
        fmt, rows = files.examine(upload, file_name, limits)
        decimal = request.options.decimal or marketplace_of(marketplace).decimal
        sample = files.read(upload, fmt, limits, n_rows=SAMPLE_ROWS, name=file_name, decimal=decimal)
        mapping = request.mapping
        header = request.options.header
        if header is None:
            header = files.looks_like_header(sample, mapping.id, mapping.cost, decimal)
        files.check_mapping(sample, mapping.columns(), header, file_name)
        options = request.options.model_dump(mode="json")
        options.update(header=header, marketplace_id=marketplace, decimal=decimal)
        scan = repo.add(
            session, account_id=account_id, name=request.options.name or Path(file_name).stem or "Scan",
            marketplace=marketplace, status="InProgress", file_name=file_name[:300], file_format=fmt,
            file_size=upload.stat().st_size, mapping=request.mapping.model_dump_json(),
            options=orjson.dumps(options).decode(), lines=max(rows - (1 if header else 0), 0) if rows is not None else 0,
        )
        ScanFiles(blobs, scan.id).keep_source(upload, fmt)
        return scan

    def get(self, session: Session, account_id: int, scan_id: int) -> Scan:
        scan = repo.get(session, account_id, scan_id)
        if scan is None:
            raise NotFound(f"scan {scan_id} not found")
        return scan

    def list(self, session: Session, account_id: int, page: int, per_page: int) -> dict[str, Any]:
        page = max(page, 1)
        total, scans = repo.page(session, account_id, (page - 1) * per_page, per_page)
        return {"count": total, "data": [self.view(s) for s in scans],
                "meta": {"page": page, "per_page": per_page, "total": total},
                # the official client's `PaginatedResults` beside the reference's count and meta
                "total": total, "pagination": {"page": page, "per_page": per_page}}

    def view(self, scan: Scan, now: datetime | None = None) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        started, ended = scan.started_at, scan.finished_at or now
        minutes = (ended - started).total_seconds() / 60 if started else 0
        return {
            "id": scan.id,
            "name": scan.name,
            "marketplace": scan.marketplace,
            "status": scan.status,
            "file_name": scan.file_name,
            "lines": scan.lines,
            "processed": scan.processed,
            "products": scan.products,
            "errors": scan.errors,
            "progress": round(100 * scan.processed / scan.lines, 1) if scan.lines else (
                100.0 if scan.status == "Success" else 0.0),
            "speed": round(scan.processed / minutes) if minutes > 0 else 0,
            "message": scan.message,
            "results_status": scan.results_status,
            "results_finished_at": _iso(scan.results_finished_at),
            "results_from_previous_run": scan.run_version != scan.results_version,
            "enrichment": orjson.loads(scan.enrichment) if scan.enrichment else None,
            "mapping": orjson.loads(scan.mapping),
            "options": wire_options(orjson.loads(scan.options)),
            "created_at": _iso(scan.created_at),
            "started_at": _iso(scan.started_at),
            "finished_at": _iso(scan.finished_at),
            "updated_at": _iso(scan.updated_at),
            # the official client's `PublicScan`: sellerkit's user is the account; every scan is
            # of an uploaded file, its source, which has the scan's id; a deleted scan is gone
            "user_id": scan.account_id,
            "account_id": scan.account_id,
            "source_type": SOURCE_TYPE,
            "source_id": scan.id,
            "deleted_at": None,
        }

    def rows(self, scan: Scan, blobs: Blobs | Path, table: str) -> pl.DataFrame:
        """All of a scan's rows of one table (products or errors) in the version readers see: as
        far as a first run has got, or the whole previous version while a rerun runs."""
        store = ScanFiles(blobs, scan.id)
        frame = results_cache.get(store, "results" if table == "products" else "errors", scan.results_version,
                                  final=scan.results_status is not None)
        if frame is None:
            expected = scan.products if table == "products" else scan.errors
            if expected:  # the rows exist, but not where this process looks: a misconfigured store
                raise BlobStoreError(
                    f"scan {scan.id}: its {expected:,} {table} rows (scans/{scan.id}/v{scan.results_version}/) are "
                    f"missing from the blob store {store.blobs.describe()}; every server and worker needs the "
                    "same SELLERKIT_BLOB_URL (or, without one, the same data dir)")
            return results.empty_table(table)
        return frame

    def select(self, scan: Scan, blobs: Blobs | Path, query: ResultsQuery, table_param: str | None = None,
               paged: bool = True, hidden: bool = False, after: int | None = None, lazy: bool = False
               ) -> tuple[int, pl.DataFrame, str]:
        """(matching rows, the page of them, table): a page, or with `paged=False` all of them;
        `hidden` keeps the stored columns results never show (`_...`); `after`: the page after the
        row with this id instead of a page number (the dashboard's paging: as fast at any depth);
        `lazy`: read from the files, only the filter and sort columns whole, not into the results
        cache (a process that reads one page: the CLI; a 1M-row scan's frame is about 1 GB)."""
        table = query.table(table_param)
        frame = self._files_rows(scan, blobs, table) if lazy else self.rows(scan, blobs, table)
        columns = frame.collect_schema().names()
        page, per_page = query.page_and_size()
        if not paged:
            page, per_page = 1, max(frame.select(pl.len()).collect().item() if lazy else frame.height, 1)
        try:
            items, items_key = query.filter_items()
            sort, sort_key = query.sort_spec()
            chosen = filters.parse_filters(items, table, columns, key=items_key)
            order = filters.parse_sort(sort, table, columns, key=sort_key)
            if lazy:
                count, rows = filters.select_page(frame, chosen, order, page, per_page, after)
            else:
                count, rows = self._page(scan, blobs, table, frame, chosen, order, page, per_page, after)
        except filters.FilterError as exc:
            raise Invalid(str(exc)) from None
        return count, rows if hidden else rows.select([c for c in rows.columns if not c.startswith("_")]), table

    @staticmethod
    def _files_rows(scan: Scan, blobs: Blobs | Path, table: str) -> pl.LazyFrame:
        frame = ScanFiles(blobs, scan.id).lazy("results" if table == "products" else "errors", scan.results_version)
        return frame if frame is not None else results.empty_table(table).lazy()

    @staticmethod
    def _page(scan: Scan, blobs: Blobs | Path, table: str, frame: pl.DataFrame, chosen: list[filters.Filter],
              order: filters.Sort | None, page: int, per_page: int, after: int | None) -> tuple[int, pl.DataFrame]:
        """`filters.select_page`, but the rows a filter and sort chose on a finished scan's results
        are kept with its frame: the first page's, and once paged on, the first ORDER_WINDOW rows.
        Refreshing or paging within them costs a slice, not the filter and partial sort again
        (10-15 ms on a million rows); a first page costs what it did, the second some 1.5 ms more."""
        filters.check_page(page, per_page)
        start = filters.first_row(page, per_page)
        if after is not None or scan.results_status is None or start + per_page > ORDER_WINDOW:
            return filters.select_page(frame, chosen, order, page, per_page, after=after)
        size = per_page if start == 0 else ORDER_WINDOW
        count, kept = results_cache.derived(
            ScanFiles(blobs, scan.id), "results" if table == "products" else "errors", scan.results_version,
            ("order", tuple(chosen), order, size), lambda: filters.positions(frame, chosen, order, 0, size))
        return count, filters.take(frame, kept.slice(start, per_page))

    def results(self, scan: Scan, blobs: Blobs | Path, query: ResultsQuery, table_param: str | None = None,
                reader: Reader | None = None, lazy: bool = False) -> dict[str, Any]:
        """A page of results: the reference's product objects with the official client's fields
        beside them (`client_product`; catalog fields from `reader`'s catalog), or error rows."""
        count, rows, table = self.select(scan, blobs, query, table_param, hidden=True, lazy=lazy)
        options = orjson.loads(scan.options)
        if table == "products":
            data = self._public_products(scan, options, rows, reader)
        else:
            data = [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows.to_dicts()]
        page, per_page = query.page_and_size()
        meta = {"page": max(page, 1), "per_page": per_page, "total": count, "table_type": table,
                "status": scan.status,
                # the official client's `ResultsMetadata`
                "errors": scan.errors, "lines": scan.lines, "products": scan.products, "source_id": scan.id,
                "source_type_id": SOURCE_TYPE_ID, "user_id": scan.account_id,
                "columns": results.column_definitions([c for c in rows.columns if not c.startswith("_")], table)}
        if scan.results_finished_at is not None:
            meta["scanned_at"] = _iso(scan.results_finished_at)
        return {"count": count, "data": data, "meta": meta, "options": wire_options(options)}

    @staticmethod
    def _public_products(scan: Scan, options: dict, rows: pl.DataFrame, reader: Reader | None) -> list[dict]:
        """The page's rows as the client's product objects, read as tuples (no dict of each row's
        columns first)."""
        columns = tuple(rows.columns)
        build = client_product.page_builder(columns, bool(options.get("pull_historical_data")))
        tuples = list(zip(*(column.to_list() for column in rows.get_columns())))  # a third faster than rows()
        asin_at = columns.index("asin") if "asin" in columns else None
        discount_at = columns.index("_discount_per_product_bp") if "_discount_per_product_bp" in columns else None
        asins = list(dict.fromkeys(row[asin_at] for row in tuples if row[asin_at])) if asin_at is not None else []
        records = _PAGE_RECORDS.get_many(reader, scan.marketplace, asins, lambda missing: {
            asin: client_product.record_part(record)
            for asin, record in catalog.records(reader, scan.marketplace, missing).items()}
        ) if reader is not None and asins else {}
        amazon_id = marketplace_of(scan.marketplace).marketplace_id
        supplier_bp = int(Decimal(str(options.get("discount_supplier") or 0)) * 100)
        return [build(row, records.get(row[asin_at]) if asin_at is not None else None, scan.marketplace, amazon_id,
                      supplier_bp, row[discount_at] if discount_at is not None else None)
                for row in tuples]

    def request_cancel(self, session: Session, scan: Scan) -> Scan:
        if scan.status == "InProgress":
            repo.update(session, scan.id, cancel_requested=True)
            session.refresh(scan)
        return scan

    def delete(self, session: Session, scan: Scan, blobs: Blobs | Path) -> None:
        repo.update(session, scan.id, cancel_requested=True)
        repo.delete(session, scan.id)
        store = ScanFiles(blobs, scan.id)
        results_cache.forget(store)
        store.delete()

    def restart(self, session: Session, scan: Scan, blobs: Blobs | Path, recalculate: bool = False) -> Scan:
        """Rerun from the source file (or, `recalculate`, re-price the results): the run writes a
        new version of results; readers keep the current one until the run succeeds."""
        if scan.status == "InProgress":
            raise Conflict(f"scan {scan.id} is still running; cancel it first or wait for it to end")
        if recalculate and scan.results_status not in ("Success", "Cancelled"):
            raise Conflict(f"scan {scan.id} has no results to recalculate (status {scan.status})")
        repo.update(session, scan.id, status="InProgress", cancel_requested=False, runner=None,
                    heartbeat_at=None, message=None, finished_at=None, started_at=None, processed=0,
                    run_version=max(scan.results_version, scan.run_version) + 1,
                    recalculate_from=scan.results_version if recalculate else None)
        # the version the last successful rerun replaced was kept for readers still reading it
        ScanFiles(blobs, scan.id).drop_versions_but(scan.results_version)
        session.refresh(scan)
        return scan

    # ---- exports ---------------------------------------------------------------------------------

    def export_frame(self, scan: Scan, blobs: Blobs | Path, query: ResultsQuery | None, table_param: str | None = None
                     ) -> tuple[pl.DataFrame, str]:
        """The rows a download holds: those the body's filter and sort select, one page of them
        only when the body names a page (no body: every result)."""
        query = query or ResultsQuery()
        paged = bool(query.model_fields_set & {"page", "per_page", "perPage", "pagination"})
        _, rows, table = self.select(scan, blobs, query, table_param, paged=paged)
        return rows, table

    def write_export(self, scan: Scan, frame: pl.DataFrame, table: str, fmt: str, path: exports.Target,
                     progress=None, should_stop=None) -> int:
        """The rows as a file of `fmt` at `path` (a CSV also to a file object)."""
        custom = _custom_names(scan, table)
        if fmt == "csv":
            return exports.write_csv(frame, path, custom_names=custom, progress=progress, should_stop=should_stop)
        if fmt == "xlsx":
            return exports.write_xlsx(frame, path, custom_names=custom, progress=progress, should_stop=should_stop)
        if fmt == "json":
            if table == "errors":
                path.write_bytes(orjson.dumps(frame.to_dicts()))
                return frame.height
            return exports.write_json(frame, path, progress=progress, should_stop=should_stop)
        raise Invalid(f"type: unknown export type {quote(fmt)}; use csv, xlsx or json")

    def export_gsheet(self, scan: Scan, frame: pl.DataFrame, table: str, settings, progress=None,
                      should_stop=None) -> str:
        return exports.export_gsheet(frame, f"{scan.name} ({table})", custom_names=_custom_names(scan, table),
                                     settings=settings, progress=progress, should_stop=should_stop)

    def start_export(self, session: Session, scan: Scan, fmt: str, table: str, query: ResultsQuery | None,
                     rows: int) -> ScanExport:
        body = query.model_dump(exclude_unset=True) if query else {}
        return repo.add_export(session, account_id=scan.account_id, scan_id=scan.id, format=fmt, table=table,
                               query=orjson.dumps(body).decode(), status="InProgress", rows=rows)

    @staticmethod
    def prepares_in_background(fmt: str, rows: int) -> bool:
        """A download too slow to write within a request (XLSX past XLSX_NOW_ROWS rows) is
        prepared as an export job instead, for the API and the dashboard alike."""
        return fmt == "xlsx" and rows > XLSX_NOW_ROWS

    def export_file(self, blobs: Blobs, job: ScanExport) -> tuple[str, str]:
        """(blob key, file name) of a prepared download; a 409 while it has no file."""
        if job.status != "Success" or job.format == "gsheet":
            raise Conflict(f"export {job.id} has no file to download (status {job.status})")
        return ScanFiles(blobs, job.scan_id).export_key(job.id, job.format), f"scan-{job.scan_id}-{job.table}.{job.format}"

    def get_export(self, session: Session, account_id: int, export_id: int) -> ScanExport:
        job = repo.get_export(session, account_id, export_id)
        if job is None:
            raise NotFound(f"export {export_id} not found")
        return job

    def export_view(self, job: ScanExport) -> dict[str, Any]:
        return {
            "id": job.id, "scan_id": job.scan_id, "type": job.format, "table_type": job.table,
            "status": job.status, "rows": job.rows, "done": job.done,
            "progress": round(100 * job.done / job.rows, 1) if job.rows else (100.0 if job.status == "Success" else 0.0),
            "url": job.url if job.format == "gsheet" else
            (f"/api/v3/exports/{job.id}/file" if job.status == "Success" else None),
            "message": job.message, "created_at": _iso(job.created_at), "finished_at": _iso(job.finished_at),
        }

    # ---- the dashboard's views (sellerkit.web): the same scans, shaped for pages ----------------

    def preview(self, upload: Path, file_name: str, limits: files.Limits, decimal: str = ".",
                rows: int = PREVIEW_ROWS) -> dict[str, Any]:
        """The first rows of a file about to be scanned, whether row 1 looks like a header, and
        the mapping its header suggests: what the upload page shows to pick the mapping on. The
        same checks as `create` (a file that cannot be scanned is a 400 now)."""
        fmt = files.prepare(upload, file_name, limits)
        sample = files.read(upload, fmt, limits, n_rows=rows + 1, name=file_name, decimal=decimal)
        if sample.width == 0 or sample.height == 0:
            raise files.SourceError(f"file: {file_name} has no rows")
        first = list(sample.row(0))
        guess = mapping_guess.guess(first)
        header = files.looks_like_header(sample, guess.get("id", 0), guess.get("cost", 1), decimal)
        if not header:
            guess = {"id": 0, "cost": 1} if sample.width >= 2 else {"id": 0, "cost": 0}
        body = sample.slice(1 if header else 0, rows)
        return {"format": fmt, "columns": sample.width, "header": header,
                "names": [str(c) if c is not None else "" for c in first] if header else
                [f"Column {i + 1}" for i in range(sample.width)],
                "rows": [list(r) for r in body.iter_rows()], "mapping": guess}

    def stage(self, blobs: Blobs | Path, upload: Path, account_id: int) -> str:
        """Keep an uploaded file between its preview and the scan created from it, so the page
        sends it once: in the blob store (`staged/<account>/<token>`), so that any server may
        take the second request. The token names it; the key binds it to the account."""
        token = f"{upload.name}{STAGED}"
        as_blobs(blobs).put_file(_staged_key(account_id, token), upload, move=True)
        return token

    def staged(self, blobs: Blobs | Path, work_dir: Path, account_id: int, token: str) -> Path:
        """The file a `stage` token names as a file on this machine, only for the account that
        staged it (404 otherwise); `scans.create` takes it into the scan (see `unstage`)."""
        missing = NotFound(f"file: the uploaded file {quote(token)} is gone; upload it again")
        if not re.fullmatch(rf"[A-Za-z0-9_.]{{1,80}}{re.escape(STAGED)}", token or ""):
            raise missing
        try:
            return as_blobs(blobs).local_copy(_staged_key(account_id, token), Path(work_dir) / "cache")
        except BlobNotFound:
            raise missing from None

    def unstage(self, blobs: Blobs | Path, account_id: int, token: str) -> None:
        as_blobs(blobs).delete(_staged_key(account_id, token))

    def drop_stale_staged(self, blobs: Blobs | Path, older_than: timedelta = timedelta(hours=6)) -> int:
        """Staged files nobody turned into a scan; how many."""
        store, cutoff = as_blobs(blobs), datetime.now(UTC) - older_than
        stale = [info.key for info in store.list("staged") if info.modified and info.modified < cutoff]
        for key in stale:
            store.delete(key)
        return len(stale)

    def progress(self, scan: Scan, now: datetime | None = None) -> dict[str, Any]:
        """The scan's view with the time left at its current speed (None when unknown or done)."""
        view = self.view(scan, now)
        left = None
        if scan.status == "InProgress" and view["speed"] > 0 and scan.lines:
            left = round(max(scan.lines - scan.processed, 0) * 60 / view["speed"])
        return {**view, "seconds_left": left, "finished": scan.status != "InProgress"}

    def totals(self, scan: Scan, blobs: Blobs | Path, query: ResultsQuery, columns: list[str] | None = None
               ) -> dict[str, Any]:
        """Rows matching the query's filters and the sums of the summable columns over them (the
        footer of a results table); cents for money, as the rows are."""
        table = query.table()
        frame = self.rows(scan, blobs, table)
        if table != "products":
            return {"count": frame.height, "sums": {}}
        try:
            items, key = query.filter_items()
            chosen = filters.parse_filters(items, table, frame.columns, key=key)
            summed = results.summable(columns or frame.columns)
        except filters.FilterError as exc:
            raise Invalid(str(exc)) from None
        # the same filter sorted or paged another way has the same totals: kept with the frame
        what = (orjson.dumps(items, option=orjson.OPT_SORT_KEYS, default=str), tuple(summed))
        count, sums = results_cache.derived(ScanFiles(blobs, scan.id), "results", scan.results_version, what,
                                            lambda: filters.totals(frame, chosen, summed))
        return {"count": count, "sums": dict(sums)}

    def product(self, scan: Scan, blobs: Blobs | Path, row_id: int, reader: Reader) -> dict[str, Any]:
        """One result row in detail: its fields, the fees broken down, its profit at other sale
        prices (the calculator's use case, with the scan's options) and the catalog's price and
        rank history of the ASIN."""
        frame = self.rows(scan, blobs, "products")
        found = frame.filter(pl.col("id") == row_id)
        if found.height == 0:
            raise NotFound(f"product {row_id} not found in scan {scan.id}")
        row = found.row(0, named=True)
        asin = row.get("asin")
        return {"row": {k: v for k, v in row.items() if not k.startswith("_")},
                "prices": self._price_steps(scan, row, reader) if asin else [],
                "history": catalog.history(reader, scan.marketplace, asin) if asin else []}

    @staticmethod
    def _price_steps(scan: Scan, row: dict, reader: Reader) -> list[dict[str, Any]]:
        price = row.get("financials.sale_price")
        cost = row.get("inputs.cost")
        if not price or cost is None:
            return []
        options = Options.model_validate(orjson.loads(scan.options))
        out = []
        for step in PRICE_STEPS_BP:
            at = price * step // 10_000
            request = CalculateRequest(
                marketplace=scan.marketplace, asin=row["asin"], price=Decimal(at) / 100, cost=Decimal(cost) / 100,
                fulfilment=options.fulfilment, inbound_placement=options.inbound_placement,
                supplier_pack_quantity=row.get("inputs.supplier_pack_quantity") or 1,
                multipack_override=options.multipack_override,
                multipack_override_quantity=options.multipack_override_quantity,
                discount_supplier=options.discount_supplier,
                discount_per_product=Decimal(row.get("_discount_per_product_bp") or 0) / 100,
                prep_cost=options.prep_cost, multipack_prep_cost=options.multipack_prep_cost,
                inbound_shipping_per_lb=options.inbound_shipping_per_lb, storage_months=options.storage_months)
            try:
                figures = calculator.calculate(reader, request)
            except Invalid as exc:  # e.g. a product without dimensions: no fees at any price
                return [{"error": str(exc)}]
            out.append({"share_bp": step, "price": at, "fees": sum(v or 0 for k, v in figures["amazon_fees"].items()
                                                                    if k != "error"),
                        **{k: figures["financials"][k] for k in ("profit", "margin", "roi")}})
        return out

    def presets(self, session: Session, account_id: int) -> list[dict[str, Any]]:
        return [self.preset_view(p) for p in repo.presets(session, account_id)]

    def preset_view(self, preset: MappingPreset) -> dict[str, Any]:
        return {"id": preset.id, "supplier": preset.supplier, "mapping": orjson.loads(preset.mapping),
                "options": orjson.loads(preset.options), "updated_at": _iso(preset.updated_at or preset.created_at)}

    def save_preset(self, session: Session, account_id: int, supplier: str, mapping: Mapping,
                    options: Options) -> MappingPreset:
        """Keep a supplier's mapping and options (replacing that supplier's earlier preset). The
        scan's name is left out: it names one file, not the supplier's files."""
        supplier = supplier.strip()
        if not supplier:
            raise Invalid("supplier: required, the name the preset is saved under")
        fields = {"mapping": mapping.model_dump_json(exclude_none=True),
                  "options": options.model_dump_json(exclude={"name"}, exclude_unset=True)}
        preset = repo.preset_by_supplier(session, account_id, supplier[:200])
        if preset is None:
            return repo.add_preset(session, account_id=account_id, supplier=supplier[:200], **fields)
        for name, value in fields.items():
            setattr(preset, name, value)
        preset.updated_at = datetime.now(UTC)
        session.flush()
        return preset

    def delete_preset(self, session: Session, account_id: int, preset_id: int) -> None:
        if repo.get_preset(session, account_id, preset_id) is None:
            raise NotFound(f"preset {preset_id} not found")
        repo.delete_preset(session, preset_id)

    def set_blocked_brands(self, session: Session, account_id: int, brands: list[str]) -> list[str]:
        clean = sorted({b.strip().lower() for b in brands if b and b.strip()})
        repo.set_blocked_brands(session, account_id, clean)
        return clean

    def blocked_brands(self, session: Session, account_id: int) -> list[str]:
        return sorted(repo.blocked_brands(session, account_id))


scans = ScanService()
