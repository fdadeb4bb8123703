"""Scan jobs on the queue: run a scan, and a sweep that resumes scans whose runner died."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from huey import crontab

from sellerkit.catalog.snapshot import snapshots
from sellerkit.scans import repository as repo
from sellerkit.scans.runner import Runner

if TYPE_CHECKING:
    from sellerkit.kit.queue import Queue

log = logging.getLogger("sellerkit.scans")
RUN = "scans.run"
SWEEP = "scans.sweep"


def sweep(queue: Queue) -> list[int]:
    """Enqueue every unfinished scan that nobody is running (a restart, a killed worker)."""
    with queue.db.session() as session:
        ids = repo.stale(session, timedelta(seconds=queue.settings.scan_stale_seconds))
    for scan_id in ids:
        queue.enqueue(RUN, scan_id)
    if ids:
        log.info("resuming scans %s", ids)
    return ids


def register(queue: Queue) -> None:
    stopping = queue.stopping

    @queue.task(RUN)
    def run_scan(scan_id: int) -> None:
        Runner(queue.db, queue.settings, stopping).run(scan_id)

    @queue.periodic(SWEEP, crontab(minute="*"))
    def sweep_scans() -> None:
        sweep(queue)
        snapshots.refresh(queue.db, queue.settings.data_dir)  # so the next scan finds one ready
