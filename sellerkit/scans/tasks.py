"""Scan jobs on the queue: run a scan, and a sweep that resumes scans whose runner died."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
from huey import crontab

from sellerkit.catalog.snapshot import snapshots
from sellerkit.config import Settings
from sellerkit.errors import SellerkitError
from sellerkit.kit import process
from sellerkit.kit.db import Database, utcnow
from sellerkit.scans import repository as repo
from sellerkit.scans.runner import Runner
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


def release_dead_leases(db: Database) -> list[int]:
    """Free the leases of this host's processes that are gone (a killed worker, a restarted
    server), so they are resumed now rather than once their lease goes stale. A lease of
    another host may belong to a live process this one cannot see: it waits to go stale."""
    here = process.host()
    if here is None:
        return []
    with db.session(write=True) as session:
        dead = [(scan_id, runner) for scan_id, runner, owner in repo.leases_on(session, here)
                if process.is_gone(owner)]
        for scan_id, runner in dead:
            repo.release(session, scan_id, runner)
    if dead:
        log.info("scans %s: their runner on this host is gone; resuming them", [i for i, _ in dead])
    return [i for i, _ in dead]


def sweep(queue: Queue) -> list[int]:
    """Enqueue every unfinished scan that nobody is running (a restart, a killed worker)."""
    release_dead_leases(queue.db)
    with queue.db.session() as session:
        ids = repo.stale(session, timedelta(seconds=queue.settings.scan_stale_seconds))
        exports = repo.stale_exports(session, timedelta(seconds=queue.settings.scan_stale_seconds))
    for scan_id in ids:
        queue.enqueue(RUN, scan_id)
    for export_id in exports:
        queue.enqueue(EXPORT, export_id)
    if ids or exports:
        log.info("resuming scans %s and exports %s", ids, exports)
    return ids


def on_start(queue: Queue) -> None:
    sweep(queue)


def run_export(db: Database, settings: Settings, export_id: int) -> None:
    """Prepare a download (or a Google spreadsheet), saving its progress as it goes."""
    with db.session() as session:
        job = repo.get_export(session, None, export_id)
        scan = repo.get(session, None, job.scan_id) if job else None
    if job is None or scan is None or job.status != "InProgress":
        return
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY or done == total:
            last[0] = time.monotonic()
            with db.session(write=True) as session:
                repo.update_export(session, export_id, done=done, rows=total)

    try:
        query = ResultsQuery.model_validate(orjson.loads(job.query))
        frame, table = scans.export_frame(scan, settings.data_dir, query, job.table)
        if job.format == "gsheet":
            url = scans.export_gsheet(scan, frame, table, settings, progress=progress)
            fields = {"url": url}
        else:
            path = ScanFiles(settings.data_dir, scan.id).export(job.id, job.format)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            scans.write_export(scan, frame, table, job.format, tmp, progress=progress)
            os.replace(tmp, path)
            fields = {}
        status, message = "Success", None
    except SellerkitError as exc:
        status, message, fields = "Error", exc.message, {}
    except Exception as exc:  # noqa: BLE001 - the job ends with its reason
        log.exception("export %s failed", export_id)
        status, message, fields = "Error", f"internal error: {type(exc).__name__}: {exc}", {}
    with db.session(write=True) as session:
        repo.update_export(session, export_id, status=status, message=message, finished_at=utcnow(), **fields)


def register(queue: Queue) -> None:
    stopping = queue.stopping

    @queue.task(RUN)
    def run_scan(scan_id: int) -> None:
        Runner(queue.db, queue.settings, stopping).run(scan_id)

    @queue.task(EXPORT)
    def export(export_id: int) -> None:
        run_export(queue.db, queue.settings, export_id)

    @queue.periodic(SWEEP, crontab(minute="*"))
    def sweep_scans() -> None:
        sweep(queue)
        snapshots.refresh(queue.db, queue.settings.data_dir)  # so the next scan finds one ready
