"""Scan runs under stress: cancel, a killed worker, separate worker processes on Redis and
PostgreSQL, rerun and re-pricing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from sellerkit.config import Settings
from sellerkit.domain.identifiers import gtin_check_digit
from sellerkit.scans.models import Scan
from sellerkit.scans.schemas import ResultsQuery, UploadRequest
from sellerkit.scans.service import scans
from tests.catalog.factories import product
from tests.conftest import REDIS_SKIP, REDIS_URL, import_records, make_client
from tests.scans.test_endpoints import upload, wait

DIMS = {"length": 9, "width": 6, "height": 2, "weight": 0.8}


def upc(n: int) -> str:
    body = f"8{n:010d}"
    return body + gtin_check_digit(body)


def catalog(n: int) -> list[dict]:
    return [product(f"B0{i:08d}", category="Toys & Games", buybox_price=1500 + i, package_dimensions=DIMS,
                    identifiers={"upc": [upc(i)]}) for i in range(n)]


def supplier(rows: int, products: int) -> str:
    lines = ["UPC,Cost,SKU"] + [f"{upc(i % products)},{3 + i % 7}.25,S{i}" for i in range(rows)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def key(db, new_key):
    import_records(db, catalog(50))
    return {"Authorization": f"Bearer {new_key().key}"}


class TestCancel:
    def test_cancel_stops_within_two_seconds_and_keeps_what_is_done(self, db, tmp_path, key):
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=1,
                            scan_chunk_rows=20, scan_stale_seconds=2)
        with make_client(db, settings) as client:
            scan_id = upload(client, key, supplier(20_000, 50)).json()["id"]
            deadline = time.monotonic() + 30
            while client.get(f"/api/v3/scans/{scan_id}", headers=key).json()["processed"] == 0:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            asked = time.monotonic()
            assert client.post(f"/api/v3/scans/{scan_id}/cancel", headers=key).status_code == 200
            done = wait(client, key, scan_id, timeout=5)
            assert time.monotonic() - asked < 2
            assert done["status"] == "Cancelled" and 0 < done["products"] < 20_000
            rows = client.post(f"/api/v3/scans/{scan_id}", headers=key, json={"per_page": 1}).json()
            assert rows["count"] == done["products"]


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "worker", "--threads", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _create(db, data_dir: Path, account_id: int, text: str) -> int:
    path = data_dir / "up.csv"
    path.write_text(text)
    request = UploadRequest.model_validate({"mapping": {"id": 0, "cost": 1, "supplier_sku": 2},
                                            "options": {"marketplace_id": "US", "header": True}})
    with db.session(write=True) as session:
        scan = scans.create(session, account_id, data_dir, path, "up.csv", request)
        return scan.id


def _status(db, scan_id: int) -> Scan:
    with db.session() as session:
        return session.get(Scan, scan_id)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class TestKilledWorker:
    @pytest.mark.slow
    def test_a_killed_worker_loses_nothing_and_duplicates_nothing(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path), "SELLERKIT_DATABASE_URL": db.url,
               "SELLERKIT_SCAN_CHUNK_ROWS": "100", "SELLERKIT_SCAN_STALE_SECONDS": "1", "SELLERKIT_DEMO": "0"}
        env.pop("SELLERKIT_REDIS_URL", None)
        rows = 6_000
        scan_id = _create(db, tmp_path, account, supplier(rows, 50))
        first = _worker(env)
        try:
            _wait_for(lambda: (_status(db, scan_id).processed or 0) >= 300, 60, "progress")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            assert _status(db, scan_id).status == "InProgress"
            time.sleep(1.2)  # its lease goes stale, so the next worker's start-up sweep resumes it
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        second = _worker(env)
        try:
            scan = _wait_for(lambda: (s := _status(db, scan_id)).status != "InProgress" and s, 120, "the resumed scan")
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(20)
        assert (scan.status, scan.lines, scan.products, scan.errors) == ("Success", rows, rows, 0)
        with db.session() as session:
            stored = scans.select(scans.get(session, account, scan_id), tmp_path, ResultsQuery(), paged=False)[1]
        assert stored.height == rows
        assert stored.get_column("inputs.line").n_unique() == rows  # each line once


class TestSeparateWorker:
    @pytest.mark.slow
    @pytest.mark.redis
    @pytest.mark.postgres
    def test_a_scan_runs_on_a_worker_process_through_redis_and_postgresql(self, postgres_url, tmp_path):
        if REDIS_SKIP:
            pytest.skip(REDIS_SKIP)
        from sellerkit.accounts.service import keys
        from sellerkit.kit.db import Database

        db = Database(postgres_url)
        db.migrate()
        queue_name = f"sellerkit-test-{uuid.uuid4().hex[:8]}"
        import_records(db, catalog(50))
        with db.session(write=True) as s:
            key = {"X-Api-Key": keys.create(s, name=f"w-{queue_name}", plan="pro", account=queue_name).key}
        env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path), "SELLERKIT_DATABASE_URL": postgres_url,
               "SELLERKIT_REDIS_URL": REDIS_URL, "SELLERKIT_QUEUE_NAME": queue_name, "SELLERKIT_DEMO": "0"}
        worker = _worker(env)
        settings = Settings(data_dir=tmp_path, demo=False, redis_url=REDIS_URL, queue_name=queue_name)
        assert not settings.runs_embedded_worker
        try:
            with make_client(db, settings) as client:
                scan_id = upload(client, key, supplier(500, 50)).json()["id"]
                done = wait(client, key, scan_id, timeout=60)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)
            db.dispose()
        assert (done["status"], done["lines"], done["products"], done["errors"]) == ("Success", 500, 500, 0)
