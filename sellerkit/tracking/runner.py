"""Running a capture run: fetch every item's page, parse it, save outputs, then write the result
files, feed the catalog's history and tell the destinations.

Crash-safe as scans are: whoever runs a run holds its lease (`scans.repository.claim`), renewed
at each flush. A flush is one transaction holding the items' new states, their outputs and the
credits they move, so a run killed halfway and resumed by the sweep fetches only the items that
were not flushed: nothing is lost, doubled or charged twice. Files are written last, each as a
whole blob, so rewriting them on resume is harmless; `is_download_generated` turns true after
the ZIP is written.

Credits: the run froze one credit per item when it started. An item captured moves its credit
from frozen to used; a failed item releases it; a blocked item releases it at once and, tried
again later and captured, is charged then. The run releases whatever it still holds at its end.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
import time
import zipfile
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx
import orjson

from sellerkit.catalog.service import catalog
from sellerkit.config import Settings
from sellerkit.domain import capture
from sellerkit.domain.pages import AVAILABILITY_ONLY, FULL, parse_page
from sellerkit.kit import process
from sellerkit.kit.blobs import blobs_for, work_file
from sellerkit.kit.db import Database, utcnow
from sellerkit.scans import repository as leases
from sellerkit.tracking import repository as repo
from sellerkit.tracking.fetcher import Fetched, fetcher_for
from sellerkit.tracking.models import Run

log = logging.getLogger("sellerkit.tracking")
FLUSH_SECONDS = 0.5
FLUSH_ITEMS = 200


class Stop(Exception):
    """The run ends early: lease lost, or the process is shutting down."""


def run_prefix(collection_id: int, run_id: int) -> str:
    return f"tracking/{collection_id}/{run_id}"


class CaptureRun:
    def __init__(self, db: Database, settings: Settings, stopping: threading.Event | None = None) -> None:
        self.db = db
        self.settings = settings
        self.stopping = stopping or threading.Event()
        self.name = process.lease_holder()
        self.stale_after = timedelta(seconds=settings.scan_stale_seconds)
        self.blobs = blobs_for(settings)
        self.handed_back = False
        self.fetcher = fetcher_for(settings)

    def run(self, run_id: int) -> str | None:
        """Run (or resume) a run; its final status, or None when it is not ours to run."""
        with self.db.session(write=True) as session:
            if not leases.claim(session, Run, run_id, self.name, process.current(), self.stale_after):
                return None
            run = repo.run(session, None, run_id)
            collection = repo.collection(session, None, run.collection_id)
            if run.started_at is None:
                repo.update_run(session, run_id, started_at=utcnow())
            session.expunge_all()
        try:
            if collection is None:  # deleted while queued
                raise Stop("collection deleted")
            self._capture(run, collection)
            return self._finish(run, collection)
        except Stop as stop:
            if str(stop) == "shutting down":
                with self.db.session(write=True) as session:
                    leases.release(session, Run, run_id, self.name)
                self.handed_back = True
            return None
        except Exception as exc:  # noqa: BLE001 - the run ends with its reason
            log.exception("tracking run %s failed", run_id)
            self._end(run, "Failed", f"internal error: {type(exc).__name__}: {exc}")
            return "Failed"

    # ---- capture --------------------------------------------------------------------------------

    def _capture(self, run: Run, collection) -> None:
        max_attempts = 1 + self.settings.capture_block_retries
        mode = AVAILABILITY_ONLY if collection.fetch_mode == AVAILABILITY_ONLY else FULL
        while True:
            with self.db.session() as session:
                todo = repo.run_items_todo(session, run.id, max_attempts)
            if not todo:
                return
            now = utcnow()
            due = [(i, a) for i, a, at in todo if at is None or at <= now]
            if not due:  # blocked items wait for their backoff, the lease renewed meanwhile
                soonest = min(at for _, _, at in todo if at is not None)
                while utcnow() < soonest:
                    self._checkpoint(run.id)
                    time.sleep(min(1.0, max(0.05, (soonest - utcnow()).total_seconds())))
                continue
            self._pass(run, collection, due, mode, max_attempts)

    def _pass(self, run: Run, collection, due: list[tuple[int, int]], mode: str, max_attempts: int) -> None:
        """Fetch every due item at once (the fetcher keeps its cap of pages in flight all along),
        parse each page as it arrives, and save them in batches (`_flush`)."""
        with self.db.session() as session:
            items = repo.items_by_id(session, [i for i, _ in due])
            zipcodes = repo.zipcodes_by_id(session, {it.zipcode_id for it in items.values()})
        attempts = dict(due)
        arrived: queue.SimpleQueue = queue.SimpleQueue()  # (item, Fetched) from the fetcher's thread
        futures = []
        results: list[tuple] = []  # (item id, outcome, Fetched | None, parsed page | None)
        for item_id, _ in due:
            item = items.get(item_id)
            if item is None:  # deleted since the run started
                results.append((item_id, "skipped", None, None))
                continue
            z = zipcodes.get(item.zipcode_id)
            cookies = orjson.loads(z.cookies) if z is not None and z.cookies else None
            futures.append(self.fetcher.fetch(
                capture.DOMAINS[item.domain_id].domain, item.asin, cookies, route=z.zipcode if z else "",
                done=lambda future, item=item: arrived.put((item, future))))
        waiting, last = len(futures), time.monotonic()
        try:
            while waiting:
                try:
                    item, future = arrived.get(timeout=FLUSH_SECONDS)
                except queue.Empty:
                    pass
                else:
                    waiting -= 1
                    try:
                        fetched: Fetched = future.result()
                    except Exception as exc:  # noqa: BLE001 - e.g. Redis gone: this item failed, not the run
                        fetched = Fetched("failed", error=f"{type(exc).__name__}: {str(exc)[:200]}", attempts=1)
                    page = None
                    if fetched.outcome == "ok":
                        page = parse_page(fetched.body, capture.DOMAINS[item.domain_id].domain, mode=mode,
                                          content_type=fetched.content_type, asin=item.asin)
                    results.append((item.id, "blocked" if page and page.get("blocked") else fetched.outcome,
                                    fetched, page))
                if len(results) >= FLUSH_ITEMS or time.monotonic() - last >= FLUSH_SECONDS:
                    self._flush(run, items, zipcodes, attempts, results, mode, max_attempts)
                    results, last = [], time.monotonic()
            self._flush(run, items, zipcodes, attempts, results, mode, max_attempts)
        finally:
            for future in futures:
                future.cancel()

    def _flush(self, run: Run, items: dict, zipcodes: dict, attempts: dict, results: list, mode: str,
               max_attempts: int) -> None:
        """Save a batch of results in one transaction (states, outputs, credits, counts, catalog
        history), renew the lease, and stop if asked to."""
        states, outputs, records = [], [], []
        used = released = 0
        counts = {"ok": 0, "failed": 0, "blocked": 0, "skipped": 0}
        fetches = block_hits = 0
        now = utcnow()
        for item_id, outcome, fetched, page in results:
            tries = attempts.get(item_id, 0) + 1
            was_blocked = attempts.get(item_id, 0) > 0  # its credit was released when it was blocked
            if fetched is not None:
                fetches += fetched.attempts
            row = {"item_id": item_id, "attempts": tries, "retry_at": None, "message": None}
            if outcome == "ok":
                item = items[item_id]
                output, key = self._output(run, item, zipcodes.get(item.zipcode_id), page, fetched, now)
                outputs.append({"account_id": run.account_id, "collection_id": run.collection_id, "run_id": run.id,
                                "item_id": item_id, "asin": item.asin, "output_json": orjson.dumps(output).decode(),
                                "raw_html_key": key})
                records.append(output)
                row["state"] = "ok"
                used += 1
                released += 0 if was_blocked else 1
                counts["ok"] += 1
            elif outcome == "blocked":
                block_hits += 1
                row["state"] = "blocked"
                row["message"] = "robot check"
                if tries < max_attempts:
                    wait_s = self.settings.capture_backoff_seconds * 2 ** (tries - 1)
                    row["retry_at"] = now + timedelta(seconds=wait_s)
                else:
                    counts["blocked"] += 1
                released += 0 if was_blocked else 1
            else:
                row["state"] = outcome  # failed | skipped
                row["message"] = fetched.error if fetched is not None else "ASIN deleted from the collection"
                counts[outcome] += 1
                released += 0 if was_blocked else 1
            states.append(row)
            attempts[item_id] = tries
        with self.db.session(write=True) as session:
            if not repo.update_run(session, run.id, runner=self.name, heartbeat_at=now,
                                   ok=Run.ok + counts["ok"], failed=Run.failed + counts["failed"],
                                   blocked=Run.blocked + counts["blocked"], skipped=Run.skipped + counts["skipped"],
                                   credits=Run.credits + used, frozen=Run.frozen - released,
                                   fetches=Run.fetches + fetches, block_hits=Run.block_hits + block_hits):
                raise Stop("lease lost")
            repo.set_run_items(session, run.id, states)
            repo.insert_outputs(session, outputs)
            repo.change_credits(session, run.account_id, frozen=-released, used=used)
            if records and mode == FULL:
                self._history(session, records, now)
        if self.stopping.is_set():
            raise Stop("shutting down")

    def _output(self, run: Run, item, zipcode, page: dict, fetched: Fetched, now) -> tuple[dict, str | None]:
        key = None
        if item.include_raw_html or item.output == "HTML":
            key = f"{run_prefix(run.collection_id, run.id)}/html/{item.id}.html"
            self.blobs.put(key, fetched.body)
        out = {"asin": item.asin, "custom_id": item.custom_id, "item_id": item.id,
               "domain": capture.DOMAINS[item.domain_id].domain, "customer_postcode": zipcode.zipcode if zipcode else None,
               "captured_at": now.isoformat().replace("+00:00", "Z"), **page}
        out["price_value"] = page.get("price")
        out["price"] = page.get("price_text")  # the service's form: the text the page shows ("$49.99")
        out.pop("price_text", None)
        return out, key

    @staticmethod
    def _history(session, records: list[dict], now) -> None:
        """Each capture as catalog history (price, rank, offers, Buy Box) and as the product's
        latest data, through the catalog format."""
        stamp = now.isoformat().replace("+00:00", "Z")
        lines = []
        for n, r in enumerate(records):
            market = capture.domain_by_name(r["domain"]).market
            price = round(r["price_value"] * 100) if r.get("price_value") is not None else None
            obs = {"type": "observation", "marketplace": market.code, "asin": r["asin"], "observed_at": stamp,
                   "buybox_price": price, "rank": r.get("best_sellers_rank"), "amazon_in_stock": r.get("sold_by_amazon")
                   and r.get("in_stock"), "new_offers_count": r.get("offer_count")}
            lines.append((2 * n + 1, orjson.dumps({k: v for k, v in obs.items() if v is not None})))
            if r.get("title"):
                product = {"marketplace": market.code, "asin": r["asin"], "title": r["title"], "brand": r.get("brand"),
                           "buybox_price": price, "rank": r.get("best_sellers_rank"), "images": r.get("images") or None,
                           "bullet_points": r.get("features") or None, "sold_by_amazon": r.get("sold_by_amazon"),
                           "total_offers_count": r.get("offer_count"), "parent_asin": r.get("parent_asin"),
                           "updated_at": stamp}
                lines.append((2 * n + 2, orjson.dumps({k: v for k, v in product.items() if v is not None})))
        catalog.import_batch(session, lines)

    def _checkpoint(self, run_id: int) -> None:
        with self.db.session(write=True) as session:
            if not repo.update_run(session, run_id, runner=self.name, heartbeat_at=utcnow()):
                raise Stop("lease lost")
        if self.stopping.is_set():
            raise Stop("shutting down")

    # ---- the end --------------------------------------------------------------------------------

    def _finish(self, run: Run, collection) -> str:
        links = self._files(run, collection)
        self._end(run, "Completed", None, links)
        self._notify(run, collection)
        return "Completed"

    def _files(self, run: Run, collection) -> list[dict]:
        """Page files of at most 500 items, then the ZIP of them all, each stored whole."""
        prefix = run_prefix(run.collection_id, run.id)
        links, after, page = [], 0, 0
        tmp = work_file(self.settings, ".zip")
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
                while True:
                    with self.db.session() as session:
                        rows = repo.run_outputs(session, run.id, after, capture.PAGE_ITEMS)
                    if not rows and page:
                        break
                    page += 1
                    name = capture.page_file(collection.name, run.id, page)
                    body = b"[" + b",".join(r[1].encode() for r in rows) + b"]"
                    size = self.blobs.put(f"{prefix}/{name}", body)
                    archive.writestr(name, body)
                    links.append({"file_name": name, "url": f"/api/v1/results/{run.collection_id}/{run.id}/{name}",
                                  "size": size})
                    self._checkpoint(run.id)
                    if not rows:
                        break
                    after = rows[-1][0]
            name = capture.zip_file(collection.name, run.id)
            size = self.blobs.put_file(f"{prefix}/{name}", tmp, move=True)
            links.append({"file_name": name, "url": f"/api/v1/results/{run.collection_id}/{run.id}/{name}", "size": size})
        finally:
            tmp.unlink(missing_ok=True)
        return links

    def _end(self, run: Run, status: str, message: str | None, links: list[dict] | None = None) -> None:
        with self.db.session(write=True) as session:
            current = repo.run(session, None, run.id)
            if current is None:
                return
            repo.change_credits(session, run.account_id, frozen=-current.frozen)  # what it still holds
            fields = {"status": status, "message": message, "finished_at": utcnow(), "runner": None, "frozen": 0}
            if links is not None:
                fields.update(download_links=orjson.dumps(links).decode(), is_download_generated=True,
                              pages=len(links) - 1)
            repo.update_run(session, run.id, **fields)
            collection = repo.collection(session, None, run.collection_id)
            if collection is not None and collection.status == "Processing":
                repo.update_collection(session, collection.id, status="enable")

    def _notify(self, run: Run, collection) -> None:
        """A summary to each destination (retried with backoff) listing the items whose price or
        availability changed since the previous run; the notification email when SMTP is set."""
        with self.db.session() as session:
            view_run = repo.run(session, None, run.id)
            previous = repo.previous_run(session, run.collection_id, run.id)
            now_items = {r[0]: orjson.loads(r[1]) for r in repo.run_outputs(session, run.id, 0, capture.MAX_ITEMS)}
            before = {r[0]: orjson.loads(r[1]) for r in repo.run_outputs(session, previous, 0, capture.MAX_ITEMS)} \
                if previous else {}
        summary = {"event": "run.completed", "collection_id": run.collection_id, "collection": collection.name,
                   "runner_id": run.id, "records": view_run.records, "ok": view_run.ok, "failed": view_run.failed,
                   "blocked": view_run.blocked, "skipped": view_run.skipped, "credits": view_run.credits,
                   "download_links": orjson.loads(view_run.download_links or "[]"),
                   "changed": capture.changes(before, now_items)}
        outcomes = [self._post(url, summary) for url in orjson.loads(collection.destinations or "[]")]
        sent = self._email(run, collection, summary) if run.notification_email else False
        with self.db.session(write=True) as session:
            repo.update_run(session, run.id, webhooks=orjson.dumps(outcomes).decode(), email_sent=sent)

    def _post(self, url: str, summary: dict) -> dict:
        last = None
        for attempt in range(self.settings.capture_retries + 1):
            try:
                reply = httpx.post(url, json=summary, timeout=self.settings.capture_timeout)
                if reply.status_code < 300:
                    return {"url": url, "delivered": True, "status": reply.status_code, "attempts": attempt + 1}
                last = f"HTTP {reply.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(self.settings.capture_backoff_seconds * 2 ** attempt)
        log.warning("webhook %s not delivered: %s", urlsplit(url).netloc, last)
        return {"url": url, "delivered": False, "error": last, "attempts": self.settings.capture_retries + 1}

    def _email(self, run: Run, collection, summary: dict) -> bool:
        if not self.settings.smtp_url:
            return False
        parts = urlsplit(self.settings.smtp_url)
        message = EmailMessage()
        message["From"], message["To"] = self.settings.smtp_from, run.notification_email
        message["Subject"] = f"{collection.name}: run {run.id} completed ({summary['ok']} of {summary['records']} captured)"
        message.set_content(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        try:
            smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
            with smtp_class(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25), timeout=20) as smtp:
                if parts.username:
                    smtp.login(parts.username, parts.password or "")
                smtp.send_message(message)
            return True
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("run %s: notification email not sent (%s)", run.id, type(exc).__name__)
            return False
