"""Tracking jobs on the scans' queue: a run (leased and resumable), the making of a postcode's
delivery location, and a periodic dispatcher that starts due collections and resumes runs whose
runner died."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import orjson
from huey import crontab

from sellerkit.domain import capture, schedules
from sellerkit.errors import SellerkitError
from sellerkit.kit.db import Database, utcnow
from sellerkit.scans import repository as leases
from sellerkit.scans.tasks import release_dead_leases
from sellerkit.tracking import repository as repo
from sellerkit.tracking.fetcher import LocationError, close_fetchers, fetcher_for
from sellerkit.tracking.models import Run
from sellerkit.tracking.runner import CaptureRun
from sellerkit.tracking.service import tracking

if TYPE_CHECKING:
    from sellerkit.config import Settings
    from sellerkit.kit.queue import Queue

log = logging.getLogger("sellerkit.tracking")
RUN = "tracking.run"
ZIPCODE = "tracking.zipcode"
DISPATCH = "tracking.dispatch"


def enqueue_run(queue: Queue, run_id: int, priority: int) -> None:
    queue.tasks[RUN](run_id, priority=priority)


def make_location(db: Database, settings: Settings, zipcode_id: int) -> str:
    """Set the postcode as the delivery location on its marketplace: `active` with its cookies,
    or `failed` with the reason."""
    with db.session() as session:
        z = repo.zipcode(session, None, zipcode_id)
        if z is None:
            return "gone"
        domain, value = capture.DOMAINS[z.domain_id].domain, z.zipcode
    try:
        cookies = fetcher_for(settings).set_location(domain, value)
        status, fields = "active", {"cookies": orjson.dumps(cookies).decode(), "message": None}
    except LocationError as exc:
        status, fields = "failed", {"message": str(exc)}
    with db.session(write=True) as session:
        repo.update_zipcode(session, zipcode_id, status=status, **fields)
    return status


def dispatch(queue: Queue, now: datetime | None = None) -> list[int]:
    """Start every due collection (each claimed once, so two dispatchers never both start one),
    highest priority first; resume runs nobody is running. The run ids started. `now` is the
    clock's time unless a test fixes it."""
    release_dead_leases(queue.db, {"tracking runs": Run})
    started: list[tuple[int, int]] = []
    now = now or utcnow()
    with queue.db.session() as session:
        due = [(c.id, c.account_id, c.next_run_at, c.schedule, c.schedule_time, c.priority)
               for c in repo.due_collections(session, now)]
    for cid, account_id, seen, kind, st, _ in sorted(due, key=lambda d: -capture.PRIORITIES.get(d[5], 50)):
        with queue.db.session(write=True) as session:
            tz = tracking.account(session, account_id).timezone
            following = schedules.next_run(schedules.parse_schedule(kind, orjson.loads(st)), now, tz)
            if not repo.claim_due(session, cid, seen, following):
                continue
        try:
            with queue.db.session(write=True) as session:
                run = tracking.start_run(session, account_id, cid, trigger="schedule")
                started.append((run.id, run.priority))
        except SellerkitError as exc:  # not enough credits, still running, no items: said on the collection
            with queue.db.session(write=True) as session:
                repo.update_collection(session, cid, message=f"scheduled run not started: {exc.message}")
    for run_id, priority in started:
        enqueue_run(queue, run_id, priority)
    with queue.db.session() as session:
        stale = leases.stale(session, Run, timedelta(seconds=queue.settings.scan_stale_seconds))
        priorities = {i: repo.run(session, None, i).priority for i in stale}
    for run_id in stale:
        enqueue_run(queue, run_id, priorities[run_id])
    if stale:
        log.info("resuming tracking runs %s", stale)
    return [r for r, _ in started]


def on_start(queue: Queue) -> None:
    dispatch(queue)


def on_stop(queue: Queue) -> None:
    close_fetchers()  # their loops and connections


def register(queue: Queue) -> None:
    @queue.task(RUN)
    def run_capture(run_id: int) -> str | None:
        runner = CaptureRun(queue.db, queue.settings, queue.stopping)
        status = runner.run(run_id)
        if runner.handed_back:
            with queue.db.session() as session:
                priority = repo.run(session, None, run_id).priority
            enqueue_run(queue, run_id, priority)
        return "Error" if status == "Failed" else status

    @queue.task(ZIPCODE)
    def zipcode(zipcode_id: int) -> str:
        return make_location(queue.db, queue.settings, zipcode_id)

    @queue.periodic(DISPATCH, crontab(minute="*"))
    def dispatch_due() -> None:
        dispatch(queue)
