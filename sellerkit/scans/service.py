"""Scan use cases: upload, status, results pages, cancel, rerun, delete, fees recalculation.

The running of a scan (reading, matching, pricing, in chunks, resumable) is `scans.runner`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from sqlalchemy.orm import Session

from sellerkit.catalog.service import catalog, resolve_marketplace
from sellerkit.config import get_settings
from sellerkit.domain import client_product, filters, results
from sellerkit.domain.marketplaces import marketplace as marketplace_of
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Invalid, NotFound
from sellerkit.kit.blobs import Blobs, BlobStoreError
from sellerkit.kit.db import Reader
from sellerkit.scans import exports, files
from sellerkit.scans import repository as repo
from sellerkit.scans.models import Scan, ScanExport
from sellerkit.scans.schemas import ResultsQuery, UploadRequest, wire_options
from sellerkit.scans.store import ScanFiles, results_cache

SOURCE_TYPE, SOURCE_TYPE_ID = "Upload", 1  # the client's `ScanSource` (Upload, API) and its number
SAMPLE_ROWS = 200  # rows read at upload to check the mapping
XLSX_NOW_ROWS = 20_000  # larger XLSX downloads are prepared as a job (XlsxWriter: ~5 us a cell)
MEDIA = {"csv": "text/csv", "json": "application/json",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


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
        fmt = files.prepare(upload, file_name, limits)
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
            options=orjson.dumps(options).decode(),
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
               paged: bool = True, hidden: bool = False) -> tuple[int, pl.DataFrame, str]:
        """(matching rows, the page of them, table): a page, or with `paged=False` all of them;
        `hidden` keeps the stored columns results never show (`_...`)."""
        table = query.table(table_param)
        frame = self.rows(scan, blobs, table)
        page, per_page = query.page_and_size()
        if not paged:
            page, per_page = 1, max(frame.height, 1)
        try:
            items, items_key = query.filter_items()
            sort, sort_key = query.sort_spec()
            chosen = filters.parse_filters(items, table, frame.columns, key=items_key)
            order = filters.parse_sort(sort, table, frame.columns, key=sort_key)
            count, rows = filters.select_page(frame, chosen, order, page, per_page)
        except filters.FilterError as exc:
            raise Invalid(str(exc)) from None
        return count, rows if hidden else rows.select([c for c in rows.columns if not c.startswith("_")]), table

    def results(self, scan: Scan, blobs: Blobs | Path, query: ResultsQuery, table_param: str | None = None,
                reader: Reader | None = None) -> dict[str, Any]:
        """A page of results: the reference's product objects with the official client's fields
        beside them (`client_product`; catalog fields from `reader`'s catalog), or error rows."""
        count, rows, table = self.select(scan, blobs, query, table_param, hidden=True)
        options = orjson.loads(scan.options)
        data = rows.to_dicts()
        if table == "products":
            data = self._public_products(scan, options, rows.columns, data, reader)
        else:
            data = [{k: v for k, v in row.items() if not k.startswith("_")} for row in data]
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
    def _public_products(scan: Scan, options: dict, columns: list[str], rows: list[dict],
                         reader: Reader | None) -> list[dict]:
        build = results.object_builder(tuple(columns), bool(options.get("pull_historical_data")))
        asins = list(dict.fromkeys(row["asin"] for row in rows if row.get("asin")))
        records = catalog.records(reader, scan.marketplace, asins) if reader is not None and asins else {}
        amazon_id = marketplace_of(scan.marketplace).marketplace_id
        supplier_bp = int(Decimal(str(options.get("discount_supplier") or 0)) * 100)
        return [client_product.public_product(build(row), records.get(row.get("asin")), scan.marketplace, amazon_id,
                                              supplier_bp, row.get("_discount_per_product_bp"))
                for row in rows]

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

    def write_export(self, scan: Scan, frame: pl.DataFrame, table: str, fmt: str, path: Path,
                     progress=None, should_stop=None) -> int:
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

    def set_blocked_brands(self, session: Session, account_id: int, brands: list[str]) -> list[str]:
        clean = sorted({b.strip().lower() for b in brands if b and b.strip()})
        repo.set_blocked_brands(session, account_id, clean)
        return clean

    def blocked_brands(self, session: Session, account_id: int) -> list[str]:
        return sorted(repo.blocked_brands(session, account_id))


scans = ScanService()
