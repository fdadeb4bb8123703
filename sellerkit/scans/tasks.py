"""Scan jobs on the queue: run a scan, prepare an export, and a sweep that resumes those whose
runner died."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
from huey import crontab

from sellerkit.config import Settings
from sellerkit.errors import SellerkitError
from sellerkit.kit import process
from sellerkit.kit.blobs import blobs_for, clean_scratch, work_file
from sellerkit.kit.db import Database, utcnow
from sellerkit.scans import repository as repo
from sellerkit.scans.exports import ExportCancelled
from sellerkit.scans.models import Scan, ScanExport
from sellerkit.scans.runner import Runner, Stop, refresh_snapshots
from sellerkit.scans.schemas import ResultsQuery
from sellerkit.scans.service import scans
from sellerkit.scans.store import ScanFiles

if TYPE_CHECKING:
    from sellerkit.kit.queue import Queue

log = logging.getLogger("sellerkit.scans")
RUN = "scans.run"
EXPORT = "scans.export"
SWEEP = "scans.sweep"
PROGRESS_EVERY = 0.5  # seconds between saved progress of an export


LEASED = {"scans": Scan, "exports": ScanExport}  # the jobs run under a lease, by the name logged


def release_dead_leases(db: Database, leased: dict | None = None) -> dict[str, list[int]]:
    """Free the leases of this host's processes that are gone (a killed worker, a restarted
    server), so their scans and exports are resumed now rather than once the lease goes stale.
    A lease of another host may belong to a live process this one cannot see: it waits to go
    stale."""
    here = process.host()
    if here is None:
        return {}
    freed = {}
    with db.session(write=True) as session:
        for what, model in (leased or LEASED).items():
            dead = [(row_id, runner) for row_id, runner, owner in repo.leases_on(session, model, here)
                    if process.is_gone(owner)]
            for row_id, runner in dead:
                repo.release(session, model, row_id, runner)
            if dead:
                freed[what] = [i for i, _ in dead]
    for what, ids in freed.items():
        log.info("%s %s: their runner on this host is gone; resuming them", what, ids)
    return freed


def sweep(queue: Queue) -> list[int]:
    """Enqueue every unfinished scan and export that nobody is running (a restart, a killed
    worker); the scans' ids."""
    release_dead_leases(queue.db)
    stale_after = timedelta(seconds=queue.settings.scan_stale_seconds)
    with queue.db.session() as session:
        ids = repo.stale(session, Scan, stale_after)
        exports = repo.stale(session, ScanExport, stale_after)
    for scan_id in ids:
        queue.enqueue(RUN, scan_id)
    for export_id in exports:
        queue.enqueue(EXPORT, export_id)
    if ids or exports:
        log.info("resuming scans %s and exports %s", ids, exports)
    return ids


def on_start(queue: Queue) -> None:
    sweep(queue)


def run_export(db: Database, settings: Settings, export_id: int,
               stopping: threading.Event | None = None) -> bool:
    """Prepare a download (or a Google spreadsheet) under the export's lease, renewing it as
    progress is saved. A run that loses its lease stops and leaves the export to its new
    holder; one stopped by a shutdown gives it up, so the next start resumes it at once (True:
    handed back, to be enqueued again)."""
    holder = process.lease_holder()
    with db.session(write=True) as session:
        if not repo.claim(session, ScanExport, export_id, holder, process.current(),
                          timedelta(seconds=settings.scan_stale_seconds)):
            return False
        job = repo.get_export(session, None, export_id)
        scan = repo.get(session, None, job.scan_id)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY or done == total:
            last[0] = time.monotonic()
            with db.session(write=True) as session:
                if not repo.update_export(session, export_id, holder, done=done, rows=total,
                                          heartbeat_at=utcnow()):
                    raise Stop("lease lost")

    try:
        query = ResultsQuery.model_validate(orjson.loads(job.query))
        store = ScanFiles.of(settings, scan.id)
        frame, table = scans.export_frame(scan, store.blobs, query, job.table)
        should_stop = stopping.is_set if stopping is not None else None
        if job.format == "gsheet":
            url = scans.export_gsheet(scan, frame, table, settings, progress=progress, should_stop=should_stop)
            fields = {"url": url}
        else:
            # a file of this run's own (a run that lost the lease may still be writing its own),
            # stored whole once written
            tmp = work_file(settings, f".{job.format}")
            try:
                scans.write_export(scan, frame, table, job.format, tmp, progress=progress,
                                   should_stop=should_stop)
                store.blobs.put_file(store.export_key(job.id, job.format), tmp, move=True)
            finally:
                tmp.unlink(missing_ok=True)
            fields = {}
        status, message = "Success", None
    except Stop:
        log.info("export %s: lease lost; left to its new holder", export_id)
        return False
    except ExportCancelled:  # only a shutdown stops an export
        with db.session(write=True) as session:
            repo.release(session, ScanExport, export_id, holder)
        return True
    except SellerkitError as exc:
        status, message, fields = "Error", exc.message, {}
    except Exception as exc:  # noqa: BLE001 - the job ends with its reason
        log.exception("export %s failed", export_id)
        status, message, fields = "Error", f"internal error: {type(exc).__name__}: {exc}", {}
    with db.session(write=True) as session:
        repo.update_export(session, export_id, holder, status=status, message=message,
                           finished_at=utcnow(), **fields)
    return False


def register(queue: Queue) -> None:
    stopping = queue.stopping

    # A run a shutdown stopped gave up its lease at its last saved chunk; enqueued again, another
    # worker (on Redis, any machine's) resumes it at once rather than at the next sweep.
    @queue.task(RUN)
    def run_scan(scan_id: int) -> str | None:
        runner = Runner(queue.db, queue.settings, stopping)
        status = runner.run(scan_id)
        if runner.handed_back:
            log.info("scan %s: shutting down; handed back at its last saved chunk", scan_id)
            queue.enqueue(RUN, scan_id)
        return status  # "Error" counts as a failed job (sellerkit_jobs_total)

    @queue.task(EXPORT)
    def export(export_id: int) -> None:
        if run_export(queue.db, queue.settings, export_id, stopping):
            log.info("export %s: shutting down; handed back", export_id)
            queue.enqueue(EXPORT, export_id)

    @queue.periodic(SWEEP, crontab(minute="*"))
    def sweep_scans() -> None:
        sweep(queue)
        refresh_snapshots(queue.db, queue.settings)  # so the next scan finds one ready, and priced
        clean_scratch(queue.settings.data_dir)
        scans.drop_stale_staged(blobs_for(queue.settings))  # dropped on the dashboard, never scanned
