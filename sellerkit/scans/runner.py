"""Running a scan: read the source once, then process it chunk by chunk, saving each chunk's
rows as a part and the progress in the database.

Whoever runs a scan holds its lease (`runner`, renewed by `heartbeat_at`, and the process
holding it). A worker that dies stops renewing it; the sweep hands the scan to another run (at
once when the dead process was on the sweeper's own host), which skips the parts already
written. Cancel is a flag read between chunks; what is done is kept.

A first run writes the results version readers see. A rerun or a re-pricing writes the next
version, and only a successful end makes it the one readers see: a cancelled or failed rerun
leaves the previous results as they were (and deletes its own part-written ones).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import orjson
import polars as pl

from sellerkit.catalog.providers.budget import budgets_for
from sellerkit.catalog.providers.registry import providers_for, serving
from sellerkit.catalog.providers.service import LiveData
from sellerkit.catalog import snapshot
from sellerkit.catalog.prepared_items import item_files
from sellerkit.catalog.snapshot import OPTIONAL, CatalogFrame, snapshots
from sellerkit.config import Settings
from sellerkit.domain import filters, results, sales
from sellerkit.domain.fees import FeeError, FeeOptions, schedule_for
from sellerkit.domain.marketplaces import marketplace
from sellerkit.domain.money import cents, quantise
from sellerkit.domain.profit import CostError, CostOptions, MultipackPrep
from sellerkit.kit import process
from sellerkit.kit.db import Database, utcnow
from sellerkit.scans import files, live, pipeline
from sellerkit.scans import repository as repo
from sellerkit.scans.models import Scan
from sellerkit.scans.schemas import Mapping, Options
from sellerkit.scans.store import ScanFiles, results_cache

log = logging.getLogger("sellerkit.scans")
SCAN_THREADS = 2  # chunks in flight: each computed and written by its own thread
REFERENCE_SHARE = 10  # a scan with a tenth as many rows as the catalog has products refers to it


def refers_to_catalog(lines: int, products: int) -> bool:
    """Whether a scan's results refer to the catalog snapshot (kept with them) rather than carry
    its columns: about 40% of a large scan's work is copying and writing those. A small scan
    carries them, so that it does not keep a snapshot of the whole catalog alive for its few rows."""
    return products > 0 and lines * REFERENCE_SHARE >= products


def balanced_chunk_rows(lines: int, most: int, threads: int = SCAN_THREADS) -> int:
    """At most `most` rows a chunk, the file cut into a multiple of `threads` chunks of about the
    same size, so the threads end together: in 40,000-row chunks a 100,000-row file would leave
    its last 20,000 rows to one thread while the other waits. A file too small to share is one
    chunk."""
    chunks = -(-max(-(-lines // most), 1) // threads) * threads
    size = -(-lines // chunks)
    return size if size >= most // 4 else most


def refresh_snapshots(db: Database, settings: Settings) -> list[str]:
    """Bring the catalog snapshots up to date, and price those rebuilt (`price_ahead`); then the
    look-up's items files (`prepared_items`), which no scan waits for. Returns the marketplaces
    whose snapshot was rebuilt."""
    built = snapshots.refresh(db, settings.data_dir)
    price_ahead(db, settings, built)
    item_files.refresh(db, settings.data_dir)
    return built


def price_ahead(db: Database, settings: Settings, marketplaces: list[str]) -> None:
    """Price the catalog snapshots just built as a scan with default options prices them today
    (`ScanContext.products`), for scans on any process to find the figures kept beside them: the
    first scan after a catalog change then starts at once, where pricing a million products takes
    it about a second of CPU. Scans priced otherwise (options, blocked brands) price themselves."""
    runner = Runner(db, settings)
    for code in marketplaces:
        scan = SimpleNamespace(marketplace=code, account_id=None)  # no account: no brand blocked
        ctx = runner._context(scan, Options(marketplace_id=code), Mapping(id=0, cost=1))  # type: ignore[arg-type]
        if ctx.catalog.products.height and not ctx.catalog.has_kept(ctx.figures_name):
            ctx.products


class Stop(Exception):
    """The run ends early: cancelled, lease lost, or the process is shutting down."""


def cost_options(options: Options) -> CostOptions:
    prep = options.multipack_prep_cost
    return CostOptions(
        discount_supplier_bp=quantise(options.discount_supplier, 100, "discount_supplier"),
        prep_cost=cents(options.prep_cost, "prep_cost"),
        multipack_prep=MultipackPrep(prep.firstN, cents(prep.costForFirstN), cents(prep.costForRest))
        if prep and prep.enabled else None,
        multipack_override=options.multipack_override,
        multipack_override_quantity=options.multipack_override_quantity,
        inbound_per_lb=cents(options.inbound_shipping_per_lb, "inbound_shipping_per_lb"),
        storage_months=options.storage_months,
    )


def _replacing(scan: Scan) -> bool:
    """The run writes a new version of results, which replaces the shown one only on success."""
    return scan.run_version != scan.results_version


class Runner:
    def __init__(self, db: Database, settings: Settings, stopping: threading.Event | None = None) -> None:
        self.db = db
        self.settings = settings
        self.stopping = stopping or threading.Event()
        self.name = process.lease_holder()
        self.stale_after = timedelta(seconds=settings.scan_stale_seconds)
        self.budgets = budgets_for(settings)
        self.loop_factory = None  # the event loop live data runs on (tests: a virtual clock's)
        self.live_options: dict = {}  # more keyword arguments of LiveData (tests: clock, run_blocking)
        self.handed_back = False  # a shutdown stopped the run and gave up its lease: enqueue it again

    # ---- lease and bookkeeping -----------------------------------------------------------------

    def _checkpoint(self, scan_id: int, **fields) -> None:
        """Save progress, renew the lease, and stop if asked to."""
        with self.db.session(write=True) as session:
            if repo.cancel_requested(session, scan_id):
                raise Stop("cancelled")
            if not repo.update(session, scan_id, runner=self.name, heartbeat_at=utcnow(), **fields):
                raise Stop("lease lost")
        if self.stopping.is_set():
            raise Stop("shutting down")

    # ---- the run ---------------------------------------------------------------------------------

    def run(self, scan_id: int) -> str | None:
        """Run (or resume) a scan; returns its final status, or None if it is not ours to run."""
        with self.db.session(write=True) as session:
            if not repo.claim(session, Scan, scan_id, self.name, process.current(), self.stale_after):
                return None
            scan = repo.get(session, None, scan_id)
            assert scan is not None
            if scan.started_at is None:
                repo.update(session, scan_id, started_at=utcnow())
        try:
            return self._run(scan)
        except Stop as stop:
            return self._stopped(scan, str(stop))
        except Exception as exc:  # noqa: BLE001 - any failure ends the scan with its reason
            log.exception("scan %s failed", scan_id)
            message = str(exc) if isinstance(exc, (files.SourceError, FeeError, CostError)) else \
                f"internal error: {type(exc).__name__}: {exc}"
            self._finish(scan, "Error", message=message)
            return "Error"

    def _stopped(self, scan: Scan, why: str) -> str | None:
        if why == "cancelled":
            self._finish(scan, "Cancelled")
            return "Cancelled"
        if why == "shutting down":  # let another worker (or the next start) resume it at once
            with self.db.session(write=True) as session:
                repo.release(session, Scan, scan.id, self.name)
            self.handed_back = True
        store = ScanFiles.of(self.settings, scan.id)
        store.forget_local(self.settings.data_dir)
        with self.db.session() as session:
            deleted = repo.get(session, None, scan.id) is None
        if deleted:  # deleted while running: a part written since then must not outlive it
            store.delete()
        return None

    def _run(self, scan: Scan) -> str:
        store = ScanFiles.of(self.settings, scan.id)
        options = Options.model_validate(orjson.loads(scan.options))
        mapping = Mapping.model_validate_json(scan.mapping)
        target = scan.run_version
        if scan.recalculate_from is not None:
            return self._recalculate(scan, store, self._context(scan, options, mapping), target)
        decimal = options.decimal or marketplace(scan.marketplace).decimal
        # a workbook is streamed, one chunk of rows in memory at a time
        skip = 1 if options.header else 0
        source = files.Source(store.local_source(scan.file_format, self.settings.data_dir), scan.file_format,
                              files.Limits.of(self.settings), width=max(mapping.columns().values()) + 1,
                              name=scan.file_name, decimal=decimal,
                              rows=scan.lines + skip if scan.lines else None)  # counted at upload
        lines = max(source.rows() - skip, 0)
        done, products, errors, size = store.progress(target)
        kept = store.catalog_of(target)  # the snapshot this version's results refer to
        # a version begun on a kept snapshot ends on it, without live data (which changes the catalog)
        providers = [] if kept else self._providers(scan)
        ctx = None if providers else self._context(scan, options, mapping, self._catalog(scan, store, target, kept))
        if size is None:  # else the size an earlier run of this version recorded: cut as it did
            size = self.settings.scan_chunk_rows
            if scan.file_format != "xlsx":  # a CSV's rows are counted; a workbook's only declared
                size = balanced_chunk_rows(lines, size)
            if ctx is not None and refers_to_catalog(lines, ctx.catalog.products.height) and store.refer_to_catalog(
                    target, snapshot.files(self.settings.data_dir, scan.marketplace, ctx.catalog.revision)):
                kept = (scan.marketplace, ctx.catalog.revision)
            store.keep_chunk_rows(target, size)
        chunks = max(1, -(-lines // size))
        enrichment = live.Enrichment(providers)
        self._checkpoint(scan.id, lines=lines, processed=min(done * size, lines), enrichment=enrichment.json(),
                         **self._counts(scan, products, errors))
        if providers:
            with asyncio.Runner(loop_factory=self.loop_factory) as loop:
                try:
                    ctx = self._enrich(scan, options, mapping, source, skip, done, size, providers, enrichment, loop)
                finally:
                    loop.run(live.close(providers))
        assert ctx is not None
        ctx = replace(ctx, rows=max(lines - done * size, 0), referenced=kept is not None)
        if done:  # a resumed run writes the columns its first parts have
            written = store.schema("results", target)
            ctx = replace(ctx, live=written is not None and results.LIVE_FIELDS[0] in written)
        ctx.ready()
        # two chunks are computed and written at once, each by a thread of its own (polars
        # releases the GIL: both cores work); progress is saved in order, once a part is on disk
        with ThreadPoolExecutor(SCAN_THREADS, thread_name_prefix="scan-part") as parts:
            pending: deque[tuple[Future, int]] = deque()  # parts in flight: (compute and write, index)
            try:
                for index, chunk in enumerate(source.chunks(size, skip=skip, start=done), start=done):
                    if len(pending) == SCAN_THREADS:
                        products, errors = self._saved(scan, pending.popleft(), products, errors, size, lines)
                    pending.append((parts.submit(self._part, store, target, index, chunk, ctx), index))
                while pending:
                    products, errors = self._saved(scan, pending.popleft(), products, errors, size, lines)
            finally:  # stopping: the parts in flight finish (a written part is whole), uncounted
                for future, _ in pending:
                    future.cancel()
        if providers:
            enrichment.stage = "done"
            self._checkpoint(scan.id, enrichment=enrichment.json())
        self._finish(scan, "Success")
        log.info("scan %s: %d lines in %d chunks, %d results, %d errors", scan.id, lines, chunks, products, errors)
        return "Success"

    # ---- live data -------------------------------------------------------------------------------

    def _providers(self, scan: Scan) -> list:
        """The account's providers serving the scan's marketplace (none: the local catalog only,
        and the scan runs exactly as it would without this step)."""
        found = providers_for(self.db, self.settings, self.budgets, scan.account_id)
        providers = serving(found, scan.marketplace)
        if len(providers) < len(found):
            asyncio.run(live.close([p for p in found if p not in providers]))
        if not providers:
            live.say_unavailable_once()
        return providers

    def _enrich(self, scan: Scan, options: Options, mapping: Mapping, source: files.Source, skip: int, start: int,
                size: int, providers: list, enrichment: live.Enrichment, loop: asyncio.Runner
                ) -> pipeline.ScanContext:
        """Live data for the rows still to compute, in order of cost: match, then pricing and
        fees; then, for the rows passing `enrich_filter`, restrictions and offers. Returns the
        context to compute with, on the catalog as it now is."""
        data = LiveData(self.db, self.settings, providers, scan.account_id, scan.marketplace, budgets=self.budgets,
                        **self.live_options)
        wanted = live.wanted(live.identifier_column(source, mapping.id, skip, start, size))

        def progress(report: dict) -> None:
            enrichment.update(report)
            self._checkpoint(scan.id, enrichment=enrichment.json())

        outcome = loop.run(data.ensure(wanted.codes, wanted.asins, rows=wanted.rows, fulfilment=options.fulfilment,
                                       progress=progress))
        ctx = replace(self._context(scan, options, mapping), unknown=live.unknown_frame(outcome, wanted), live=True)
        if options.enrich_filter is not None:
            enrichment.stage = "filter"
            self._checkpoint(scan.id, enrichment=enrichment.json())
            passing = self._passing(scan, source, ctx, options, skip, start, size)
            enrichment.stage = "restrictions"
            deep = loop.run(data.ensure(deep=sorted(passing), kinds=(), fulfilment=options.fulfilment,
                                        progress=progress))
            enrichment.update(deep.progress)
            ctx = replace(self._context(scan, options, mapping), unknown=ctx.unknown, live=True)
        enrichment.stage = "results"
        self._checkpoint(scan.id, enrichment=enrichment.json())
        return ctx

    def _passing(self, scan: Scan, source: files.Source, ctx: pipeline.ScanContext, options: Options, skip: int,
                 start: int, size: int) -> set[str]:
        """The ASINs of the computed rows that pass `enrich_filter` (nothing is written)."""
        try:
            chosen = filters.parse_filters(options.enrich_filter, "products", key="enrich_filter",
                                           columns=pipeline.result_schema(ctx))
        except filters.FilterError as exc:
            raise files.SourceError(f"options.{exc}") from None
        passing: set[str] = set()
        for chunk in source.chunks(size, skip=skip, start=start):
            out, _ = pipeline.process(chunk, ctx)
            passing.update(out.filter(filters.filter_expr(chosen)).get_column("asin").drop_nulls().to_list())
            self._checkpoint(scan.id)
        return passing

    @staticmethod
    def _part(store: ScanFiles, version: int, index: int, chunk: pl.DataFrame, ctx: pipeline.ScanContext
              ) -> tuple[int, int]:
        """A chunk's results and errors, written as its part: their counts."""
        out, errs = pipeline.process(chunk, ctx)
        store.write_part(version, index, out, errs)
        return out.height, errs.height

    def _saved(self, scan: Scan, pending: tuple[Future, int], products: int, errors: int, size: int,
               lines: int) -> tuple[int, int]:
        """Once a part is on disk: count it and save the progress (the cancel point)."""
        part, index = pending
        out, errs = part.result()
        products, errors = products + out, errors + errs
        self._checkpoint(scan.id, processed=min((index + 1) * size, lines), **self._counts(scan, products, errors))
        return products, errors

    @staticmethod
    def _counts(scan: Scan, products: int, errors: int) -> dict[str, int]:
        """The counts to save: a first run's as they grow; a rerun's none, as the scan's counts
        are those of the results readers see until the rerun replaces them."""
        return {} if _replacing(scan) else {"products": products, "errors": errors}

    def _recalculate(self, scan: Scan, store: ScanFiles, ctx: pipeline.ScanContext, target: int) -> str:
        source = scan.recalculate_from
        parts = store.part_keys("results", source)
        errors_parts = store.part_keys("errors", source)
        done = store.part_counts(target)[0]
        size = store.chunk_rows(source) or self.settings.scan_chunk_rows  # for the progress only
        for index, (key, errors_key) in enumerate(zip(parts, errors_parts)):
            if index < done:
                continue
            old = store.read_part(key)
            out = pipeline.reprice(old, ctx) if old.height else old
            store.write_part(target, index, out, store.read_part(errors_key))
            self._checkpoint(scan.id, processed=min(scan.lines, (index + 1) * size))
        self._finish(scan, "Success")
        return "Success"

    def _finish(self, scan: Scan, status: str, message: str | None = None) -> None:
        """End the run. Its results become the ones readers see when it is a first run or it
        succeeded: one update swaps them in, with their counts, so a reader sees the old
        version or the new one. A rerun that did not succeed leaves the old ones and says so."""
        store = ScanFiles.of(self.settings, scan.id)
        store.forget_local(self.settings.data_dir)
        now = utcnow()
        fields: dict = {"status": status, "finished_at": now, "message": message, "runner": None,
                        "recalculate_from": None}
        replacing = _replacing(scan)
        if status == "Success" or not replacing:
            _, fields["products"], fields["errors"] = store.part_counts(scan.run_version)
            fields.update(results_version=scan.run_version, results_status=status, results_finished_at=now)
        else:
            what = "re-pricing" if scan.recalculate_from is not None else "rerun"
            ended = f"{what} cancelled" if status == "Cancelled" else f"{message} ({what} not completed)"
            fields["message"] = f"{ended}: the results are still those of the previous run"
        with self.db.session(write=True) as session:
            repo.update(session, scan.id, **fields)
        if replacing and status != "Success":
            store.drop_version(scan.run_version)
        elif replacing:  # the old version stays on disk for readers already reading it (see restart)
            results_cache.forget(store, version=scan.results_version)

    # ---- context ---------------------------------------------------------------------------------

    def _catalog(self, scan: Scan, store: ScanFiles, version: int, kept: tuple[str, int] | None) -> CatalogFrame:
        """The snapshot a run works on: the current one, or the one kept with the version's
        results when the catalog has changed since its first part."""
        current = snapshots.current(self.db, self.settings.data_dir, scan.marketplace)
        if kept is None or current.revision == kept[1]:
            return current
        log.info("scan %s resumes on the catalog it began with (revision %d)", store.scan_id, kept[1])
        frame = snapshot.load_frame(*kept, *store.catalog_files(version, self.settings.data_dir))
        assert frame is not None, f"scan {store.scan_id}: its kept catalog snapshot is unreadable"
        return frame

    def _context(self, scan: Scan, options: Options, mapping: Mapping,
                 catalog: CatalogFrame | None = None) -> pipeline.ScanContext:
        catalog = catalog or snapshots.current(self.db, self.settings.data_dir, scan.marketplace)
        today = datetime.now(UTC).date()
        try:
            schedule, no_schedule = schedule_for(scan.marketplace, today), None
        except FeeError as exc:  # matches are still worth seeing; their fees say why they are missing
            schedule, no_schedule = None, str(exc)
        with self.db.session() as session:
            blocked = repo.blocked_brands(session, scan.account_id)
        historical = None
        if options.pull_historical_data:
            historical = self._historical(scan.marketplace)
        return pipeline.ScanContext(
            marketplace=scan.marketplace, catalog=catalog, schedule=schedule, no_schedule=no_schedule, when=today,
            columns=mapping.columns(), cost_options=cost_options(options),
            fee_options=FeeOptions(fulfilment=options.fulfilment, placement=options.inbound_placement),
            custom_count=len(mapping.custom_columns), blocked_brands=blocked,
            rank_models=catalog.rank_models, historical=historical,
            checked_at=int(datetime.now(UTC).timestamp()),
            decimal=options.decimal or marketplace(scan.marketplace).decimal,
            live=any(c.startswith(OPTIONAL) for c in catalog.products.columns),
        )

    def _historical(self, marketplace: str) -> pl.DataFrame:
        from sellerkit.catalog import repository as catalog_repo

        now = datetime.now(UTC)
        with self.db.reader() as reader:
            rows = catalog_repo.observations_since(reader, marketplace, now - timedelta(days=180))
            provided = catalog_repo.provided_stats(reader, marketplace)
        obs = pl.DataFrame(rows, schema=["asin", "observed_at", "buybox_price", "rank", "amazon_in_stock"],
                           orient="row", infer_schema_length=None)
        at = pl.col("observed_at")
        obs = obs.with_columns(
            at.str.to_datetime(strict=False).dt.replace_time_zone("UTC") if obs.schema["observed_at"] == pl.String
            else at.dt.convert_time_zone("UTC") if rows else at.cast(pl.Datetime("us", "UTC")),
            pl.col("buybox_price").cast(pl.Int64), pl.col("rank").cast(pl.Int64),
            pl.col("amazon_in_stock").cast(pl.Boolean))
        return sales.with_provided_stats(sales.historical_frame(obs, now), provided, now)

