"""Scan runs under stress: cancel, a killed worker, separate worker processes on Redis and
PostgreSQL, rerun and re-pricing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from sellerkit.config import Settings
from sellerkit.domain.identifiers import gtin_check_digit
from sellerkit.kit import process
from sellerkit.kit.db import utcnow
from sellerkit.kit.queue import Queue
from sellerkit.scans import pipeline
from sellerkit.scans.models import Scan, ScanExport
from sellerkit.scans.runner import Runner
from sellerkit.scans.schemas import ResultsQuery, UploadRequest
from sellerkit.scans.service import scans
from sellerkit.scans.store import ResultCache, ScanFiles
from sellerkit.scans.tasks import run_export, sweep
from tests.catalog.factories import product
from tests.conftest import REDIS_SKIP, REDIS_URL, import_records, make_client
from tests.scans.test_endpoints import upload, wait

DIMS = {"length": 9, "width": 6, "height": 2, "weight": 0.8}


def upc(n: int) -> str:
    body = f"8{n:010d}"
    return body + gtin_check_digit(body)


def catalog(n: int) -> list[dict]:
    return [product(f"B0{i:08d}", category="Toys & Games", brand="Acme", buybox_price=1500 + i,
                    package_dimensions=DIMS, identifiers={"upc": [upc(i)]}) for i in range(n)]


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
        # the lease would go stale only after a minute: the next worker on this host sees that
        # the process holding it is gone and resumes the scan at once
        env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path), "SELLERKIT_DATABASE_URL": db.url,
               "SELLERKIT_SCAN_CHUNK_ROWS": "100", "SELLERKIT_SCAN_STALE_SECONDS": "60", "SELLERKIT_DEMO": "0"}
        env.pop("SELLERKIT_REDIS_URL", None)
        rows = 6_000
        scan_id = _create(db, tmp_path, account, supplier(rows, 50))
        first = _worker(env)
        try:
            _wait_for(lambda: (_status(db, scan_id).processed or 0) >= 300, 60, "progress")
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            assert _status(db, scan_id).status == "InProgress"
            assert _status(db, scan_id).runner_pid == first.pid
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        second = _worker(env)
        try:
            scan = _wait_for(lambda: (s := _status(db, scan_id)).status != "InProgress" and s, 30, "the resumed scan")
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


# ---- reruns: the earlier results stay readable until a rerun has replaced them ------------------

class Killed(BaseException):
    """A runner's process dying mid-run: nothing of the runner's own clean-up runs."""


class WatchedRunner(Runner):
    """A real runner that lets the test act after its n-th saved checkpoint (the scan mid-run)."""

    def __init__(self, db, settings, at: int, then) -> None:
        super().__init__(db, settings)
        self.at, self.then, self.saved = at, then, 0

    def _checkpoint(self, scan_id: int, **fields) -> None:
        super()._checkpoint(scan_id, **fields)
        self.saved += 1
        if self.saved == self.at:
            self.then()


def _settings(tmp_path: Path, **changes) -> Settings:
    return Settings(**{"data_dir": tmp_path, "demo": False, "embedded_worker": False, "scan_chunk_rows": 50,
                       **changes})


def _rows(db, tmp_path: Path, account: int, scan_id: int, table: str = "products"):
    with db.session() as session:
        scan = scans.get(session, account, scan_id)
    return scans.select(scan, tmp_path, ResultsQuery(table_type=table), paged=False)[1]


def _view(db, scan_id: int) -> dict:
    return scans.view(_status(db, scan_id))


def _restart(db, tmp_path: Path, account: int, scan_id: int, recalculate: bool = False) -> None:
    with db.session(write=True) as session:
        scans.restart(session, scans.get(session, account, scan_id), tmp_path, recalculate=recalculate)


def _block_acme(db, account: int) -> None:
    with db.session(write=True) as session:
        scans.set_blocked_brands(session, account, ["Acme"])


@pytest.fixture
def scanned(db, tmp_path, new_key):
    """(account, scan id, its products, its errors): a scan run to the end, no brand blocked."""
    import_records(db, catalog(50))
    account = new_key().account_id
    scan_id = _create(db, tmp_path, account, supplier(400, 60))  # lines of codes 50-59 match nothing
    assert Runner(db, _settings(tmp_path)).run(scan_id) == "Success"
    products, errors = _rows(db, tmp_path, account, scan_id), _rows(db, tmp_path, account, scan_id, "errors")
    assert products.height > 0 and errors.height > 0
    assert not products.get_column("is_brand_blocklisted").any()
    return account, scan_id, products, errors


class TestRerun:
    def test_a_cancelled_rerun_leaves_the_earlier_results(self, db, tmp_path, scanned):
        account, scan_id, products, errors = scanned
        _restart(db, tmp_path, account, scan_id)

        def cancel() -> None:
            with db.session(write=True) as session:
                scans.request_cancel(session, scans.get(session, account, scan_id))

        assert WatchedRunner(db, _settings(tmp_path), at=3, then=cancel).run(scan_id) == "Cancelled"
        assert _rows(db, tmp_path, account, scan_id).equals(products)
        assert _rows(db, tmp_path, account, scan_id, "errors").equals(errors)
        view = _view(db, scan_id)
        assert (view["status"], view["products"], view["errors"]) == ("Cancelled", products.height, errors.height)
        assert view["results_from_previous_run"] and view["results_status"] == "Success"
        assert view["message"] == "rerun cancelled: the results are still those of the previous run"

    def test_a_rerun_whose_file_vanished_leaves_the_earlier_results(self, db, tmp_path, scanned):
        account, scan_id, products, errors = scanned
        _restart(db, tmp_path, account, scan_id)
        files = ScanFiles(tmp_path, scan_id)
        files.blobs.delete(files.source_key("csv"))
        assert Runner(db, _settings(tmp_path)).run(scan_id) == "Error"
        assert _rows(db, tmp_path, account, scan_id).equals(products)
        assert _rows(db, tmp_path, account, scan_id, "errors").equals(errors)
        view = _view(db, scan_id)
        assert view["status"] == "Error" and view["results_from_previous_run"]
        assert view["message"].endswith("(rerun not completed): the results are still those of the previous run")

    def test_a_failed_re_pricing_leaves_the_earlier_results(self, db, tmp_path, scanned, monkeypatch):
        account, scan_id, products, _ = scanned
        _restart(db, tmp_path, account, scan_id, recalculate=True)

        def fail(stored, ctx):
            raise RuntimeError("forced")

        monkeypatch.setattr(pipeline, "reprice", fail)
        assert Runner(db, _settings(tmp_path)).run(scan_id) == "Error"
        assert _rows(db, tmp_path, account, scan_id).equals(products)
        assert "forced (re-pricing not completed)" in _view(db, scan_id)["message"]

    def test_a_completed_rerun_replaces_them(self, db, tmp_path, scanned):
        account, scan_id, products, errors = scanned
        _rows(db, tmp_path, account, scan_id)  # the earlier version is in the results cache
        _block_acme(db, account)
        _restart(db, tmp_path, account, scan_id)
        assert Runner(db, _settings(tmp_path)).run(scan_id) == "Success"
        rerun = _rows(db, tmp_path, account, scan_id)
        assert rerun.height == products.height and rerun.get_column("is_brand_blocklisted").all()
        assert rerun.get_column("inputs.line").n_unique() == products.get_column("inputs.line").n_unique()
        view = _view(db, scan_id)
        assert not view["results_from_previous_run"] and view["results_status"] == "Success"
        assert (view["products"], view["errors"], view["message"]) == (products.height, errors.height, None)

    def test_a_completed_re_pricing_replaces_them(self, db, tmp_path, scanned):
        account, scan_id, products, _ = scanned
        _rows(db, tmp_path, account, scan_id)
        _block_acme(db, account)
        _restart(db, tmp_path, account, scan_id, recalculate=True)
        assert Runner(db, _settings(tmp_path)).run(scan_id) == "Success"
        repriced = _rows(db, tmp_path, account, scan_id)
        assert repriced.height == products.height and repriced.get_column("is_brand_blocklisted").all()

    def test_pages_and_downloads_during_a_rerun_show_the_earlier_results(self, db, tmp_path, scanned):
        account, scan_id, products, _ = scanned
        before = tmp_path / "before.csv"
        with db.session() as session:
            scan = scans.get(session, account, scan_id)
        scans.write_export(scan, scans.export_frame(scan, tmp_path, None)[0], "products", "csv", before)
        _block_acme(db, account)
        _restart(db, tmp_path, account, scan_id)
        seen = {}

        def look() -> None:
            with db.session() as session:
                scan = scans.get(session, account, scan_id)
            page = scans.results(scan, tmp_path, ResultsQuery(per_page=100, sort="-profit"))
            seen["count"], seen["flags"] = page["count"], {p["is_brand_blocklisted"] for p in page["data"]}
            during = tmp_path / "during.csv"
            scans.write_export(scan, scans.export_frame(scan, tmp_path, None)[0], "products", "csv", during)
            seen["download"] = during.read_bytes()
            seen["view"] = scans.view(scan)

        assert WatchedRunner(db, _settings(tmp_path), at=3, then=look).run(scan_id) == "Success"
        assert (seen["count"], seen["flags"], seen["download"]) == (products.height, {False}, before.read_bytes())
        assert seen["view"]["status"] == "InProgress" and seen["view"]["results_from_previous_run"]
        assert _rows(db, tmp_path, account, scan_id).get_column("is_brand_blocklisted").all()

    def test_a_rerun_killed_midway_keeps_the_earlier_results_and_resumes(self, db, tmp_path, scanned):
        account, scan_id, products, _ = scanned
        _block_acme(db, account)
        _restart(db, tmp_path, account, scan_id)

        def die() -> None:
            raise Killed

        with pytest.raises(Killed):
            WatchedRunner(db, _settings(tmp_path), at=3, then=die).run(scan_id)
        assert _rows(db, tmp_path, account, scan_id).equals(products)
        assert _view(db, scan_id)["status"] == "InProgress"
        assert Runner(db, _settings(tmp_path, scan_stale_seconds=0)).run(scan_id) == "Success"
        rerun = _rows(db, tmp_path, account, scan_id)
        assert rerun.height == products.height and rerun.get_column("is_brand_blocklisted").all()
        assert rerun.get_column("inputs.line").to_list() == products.get_column("inputs.line").to_list()

    def test_a_rerun_cancelled_through_the_api_keeps_the_earlier_results(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        issued = new_key()
        key = {"Authorization": f"Bearer {issued.key}"}
        account_scan = _create(db, tmp_path, issued.account_id, supplier(20_000, 50))
        assert Runner(db, _settings(tmp_path, scan_chunk_rows=10_000)).run(account_scan) == "Success"
        url = f"/api/v3/scans/{account_scan}"
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=1, scan_chunk_rows=20)
        with make_client(db, settings) as client:
            before = client.post(url, headers=key, json={"per_page": 100, "sort": "-profit"}).json()
            assert before["count"] == 20_000
            assert client.post(f"{url}/rerun", headers=key).status_code == 202
            _wait_for(lambda: client.get(url, headers=key).json()["processed"] > 0, 30, "the rerun to start")
            during = client.post(url, headers=key, json={"per_page": 100, "sort": "-profit"}).json()
            assert client.post(f"{url}/cancel", headers=key).status_code == 200
            done = wait(client, key, account_scan, timeout=10)
            after = client.post(url, headers=key, json={"per_page": 100, "sort": "-profit"}).json()
        assert during["count"] == after["count"] == 20_000
        assert during["data"] == before["data"] and after["data"] == before["data"]
        assert (done["status"], done["products"], done["results_from_previous_run"]) == ("Cancelled", 20_000, True)


# ---- leases: a restarted process resumes at once what a dead process of its host held -----------

def _lease(db, row_id: int, owner: process.Owner, model: type[Scan | ScanExport] = Scan) -> None:
    """The scan (or export) held, with a fresh heartbeat, by `owner`."""
    with db.session(write=True) as session:
        session.execute(sa.update(model).where(model.id == row_id).values(
            runner=f"{owner.pid}:test", runner_host=owner.host, runner_pid=owner.pid, runner_started=owner.started,
            heartbeat_at=utcnow()))
    with db.session() as session:
        assert session.get(model, row_id).runner == f"{owner.pid}:test"


def _dead_owner() -> process.Owner:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owner = process.Owner(process.host(), child.pid, process.started(child.pid))
    child.kill()
    child.wait()
    return owner


@pytest.mark.skipif(process.host() is None, reason="needs /proc (Linux) to tell whether a process runs")
class TestChunkSize:
    @pytest.mark.parametrize("lines, size", [(100_000, 25_000), (45_000, 22_500), (80_000, 40_000),
                                             (1_000_000, 38_462), (10_000, 40_000), (0, 40_000)])
    def test_a_file_is_cut_into_chunks_the_two_threads_share_evenly(self, lines, size):
        from sellerkit.scans.runner import SCAN_THREADS, balanced_chunk_rows

        assert balanced_chunk_rows(lines, 40_000) == size
        chunks = -(-lines // size)
        assert size <= 40_000 and (chunks % SCAN_THREADS == 0 or chunks <= 1)

    def test_a_run_resumed_after_the_chunk_size_changed_cuts_the_file_as_it_started(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        whole = _create(db, tmp_path, account, supplier(400, 60))
        assert Runner(db, _settings(tmp_path)).run(whole) == "Success"
        scan_id = _create(db, tmp_path, account, supplier(400, 60))

        def die() -> None:
            raise Killed

        with pytest.raises(Killed):  # parts of 50 rows written, then the process dies
            WatchedRunner(db, _settings(tmp_path), at=3, then=die).run(scan_id)
        assert ScanFiles(tmp_path, scan_id).chunk_rows(1) == 50
        resumed = Runner(db, _settings(tmp_path, scan_chunk_rows=70, scan_stale_seconds=0))
        assert resumed.run(scan_id) == "Success"
        for table in ("products", "errors"):  # the same rows, but for when each scan checked eligibility
            again, first = (_rows(db, tmp_path, account, s, table).drop("id", "inbound_eligibility.updated_at",
                                                                         strict=False) for s in (scan_id, whole))
            assert again.equals(first)
        assert (_view(db, scan_id)["products"], _view(db, scan_id)["errors"]) == \
            (_view(db, whole)["products"], _view(db, whole)["errors"])


class TestDeadLeases:
    def test_a_lease_of_a_dead_process_of_this_host_is_resumed_at_once_on_start(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        issued = new_key()
        scan_id = _create(db, tmp_path, issued.account_id, supplier(500, 50))
        _lease(db, scan_id, _dead_owner())
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=1, scan_stale_seconds=60)
        started = time.monotonic()
        with make_client(db, settings) as client:
            done = wait(client, {"Authorization": f"Bearer {issued.key}"}, scan_id, timeout=20)
        assert (done["status"], done["products"]) == ("Success", 500)
        assert time.monotonic() - started < 20

    def test_a_fresh_lease_of_another_host_is_left_alone(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        scan_id = _create(db, tmp_path, new_key().account_id, supplier(10, 50))
        dead = _dead_owner()
        elsewhere = process.Owner("elsewhere/" + str(uuid.uuid4()), dead.pid, dead.started)
        _lease(db, scan_id, elsewhere)
        assert sweep(Queue(_settings(tmp_path, scan_stale_seconds=60), db)) == []
        assert _status(db, scan_id).runner_host == elsewhere.host

    def test_a_lease_of_a_live_process_of_this_host_is_left_alone(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        scan_id = _create(db, tmp_path, new_key().account_id, supplier(10, 50))
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            _lease(db, scan_id, process.Owner(process.host(), child.pid, process.started(child.pid)))
            assert sweep(Queue(_settings(tmp_path, scan_stale_seconds=60), db)) == []
            assert _status(db, scan_id).runner_pid == child.pid
        finally:
            child.kill()
            child.wait()

    def test_the_sweep_frees_a_dead_lease_of_this_host(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        scan_id = _create(db, tmp_path, new_key().account_id, supplier(10, 50))
        _lease(db, scan_id, _dead_owner())
        assert sweep(Queue(_settings(tmp_path, scan_stale_seconds=60), db)) == [scan_id]
        assert _status(db, scan_id).runner is None


def _export(db, tmp_path: Path, account_id: int) -> int:
    """A CSV export of a finished scan's 500 results, not yet taken by a runner."""
    scan_id = _create(db, tmp_path, account_id, supplier(500, 50))
    assert Runner(db, _settings(tmp_path)).run(scan_id) == "Success"
    with db.session(write=True) as session:
        scan = scans.get(session, account_id, scan_id)
        return scans.start_export(session, scan, "csv", "products", None, scan.products).id


def _export_row(db, export_id: int) -> ScanExport:
    with db.session() as session:
        return session.get(ScanExport, export_id)


def _elsewhere() -> process.Owner:
    """A process of another host (its pid and start time those of a dead one of this host)."""
    dead = _dead_owner()
    return process.Owner("elsewhere/" + str(uuid.uuid4()), dead.pid, dead.started)


@pytest.mark.skipif(process.host() is None, reason="needs /proc (Linux) to tell whether a process runs")
class TestDeadExportLeases:
    def test_an_export_lease_of_a_dead_process_of_this_host_is_resumed_at_once_on_start(self, db, tmp_path,
                                                                                         new_key):
        import_records(db, catalog(50))
        issued = new_key()
        export_id = _export(db, tmp_path, issued.account_id)
        _lease(db, export_id, _dead_owner(), ScanExport)
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=1, scan_stale_seconds=60)
        key = {"Authorization": f"Bearer {issued.key}"}
        with make_client(db, settings) as client:
            def ended() -> dict | None:
                job = client.get(f"/api/v3/exports/{export_id}", headers=key).json()
                return job if job["status"] != "InProgress" else None

            job = _wait_for(ended, 20, "the export to be resumed")
            assert (job["status"], job["done"]) == ("Success", 500)
            assert len(client.get(job["url"], headers=key).text.splitlines()) == 501

    def test_an_export_lease_of_another_host_is_left_alone(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        export_id = _export(db, tmp_path, new_key().account_id)
        elsewhere = _elsewhere()
        _lease(db, export_id, elsewhere, ScanExport)
        queue = Queue(_settings(tmp_path, scan_stale_seconds=60), db)
        sweep(queue)
        assert _export_row(db, export_id).runner_host == elsewhere.host
        assert queue.huey.pending_count() == 0

    def test_an_export_lease_of_a_live_process_of_this_host_is_left_alone(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        export_id = _export(db, tmp_path, new_key().account_id)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            _lease(db, export_id, process.Owner(process.host(), child.pid, process.started(child.pid)), ScanExport)
            queue = Queue(_settings(tmp_path, scan_stale_seconds=60), db)
            sweep(queue)
            assert _export_row(db, export_id).runner_pid == child.pid
            assert queue.huey.pending_count() == 0
        finally:
            child.kill()
            child.wait()

    def test_the_sweep_frees_a_dead_export_lease_of_this_host_and_enqueues_it(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        export_id = _export(db, tmp_path, new_key().account_id)
        _lease(db, export_id, _dead_owner(), ScanExport)
        queue = Queue(_settings(tmp_path, scan_stale_seconds=60), db)
        sweep(queue)
        assert _export_row(db, export_id).runner is None
        assert queue.huey.pending_count() == 1


@pytest.mark.skipif(process.host() is None, reason="needs /proc (Linux) to tell whether a process runs")
class TestExportLease:
    def test_an_export_records_the_process_that_ran_it(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        export_id = _export(db, tmp_path, new_key().account_id)
        run_export(db, _settings(tmp_path), export_id)
        job = _export_row(db, export_id)
        assert (job.status, job.done) == ("Success", 500)
        assert (job.runner_host, job.runner_pid) == (process.host(), os.getpid())

    def test_an_export_held_by_another_runner_is_not_run_twice(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        export_id = _export(db, tmp_path, new_key().account_id)
        elsewhere = _elsewhere()
        _lease(db, export_id, elsewhere, ScanExport)
        run_export(db, _settings(tmp_path, scan_stale_seconds=60), export_id)
        job = _export_row(db, export_id)
        assert (job.status, job.done, job.runner_host) == ("InProgress", 0, elsewhere.host)

    def test_an_export_stopped_by_a_shutdown_gives_up_its_lease(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        export_id = _export(db, tmp_path, new_key().account_id)
        stopping = threading.Event()
        stopping.set()
        run_export(db, _settings(tmp_path), export_id, stopping)
        job = _export_row(db, export_id)
        assert (job.status, job.runner) == ("InProgress", None)
        assert not list((tmp_path / "scans").rglob("exports/*"))


class TestResultCache:
    @staticmethod
    def _versions(tmp_path: Path) -> ScanFiles:
        """A scan's folder with results version 1 (one row) and version 2 (two rows)."""
        files = ScanFiles(tmp_path, 1)
        errors = pl.DataFrame(schema={"line": pl.Int64})
        files.write_part(1, 0, pl.DataFrame({"line": [1]}), errors)
        files.write_part(2, 0, pl.DataFrame({"line": [1, 2]}), errors)
        return files

    def test_caching_a_new_version_drops_the_one_it_replaced(self, tmp_path):
        cache, files = ResultCache(), self._versions(tmp_path)
        cache.get(files, "results", 1, final=True)
        assert cache.get(files, "results", 2, final=True).height == 2
        assert [key[2] for key in cache._frames] == [2]

    def test_a_late_reader_of_a_replaced_version_leaves_the_new_one_cached(self, tmp_path):
        cache, files = ResultCache(), self._versions(tmp_path)
        cache.get(files, "results", 2, final=True)
        assert cache.get(files, "results", 1, final=True).height == 1
        assert [key[2] for key in cache._frames] == [2]


class TestLazyPage:
    """A page read from the files (`lazy`, what the CLI asks for): the same rows as a page from
    the results cache, and nothing left in the cache."""

    QUERIES = [ResultsQuery(sort="-profit", per_page=7), ResultsQuery(sort="roi", per_page=5, page=3),
               ResultsQuery(filter=[{"name": "roi", "operator": ">", "value": 0.1}], sort="-asin", per_page=9),
               ResultsQuery(table_type="errors", per_page=4, page=2)]

    @pytest.mark.parametrize("query", QUERIES, ids=["profit", "roi-page-3", "filtered", "errors"])
    def test_a_page_read_lazily_equals_the_cached_one(self, db, tmp_path, scanned, query):
        from sellerkit.scans.store import results_cache

        account, scan_id, _, _ = scanned
        with db.session() as session:
            scan = scans.get(session, account, scan_id)
        files = ScanFiles(tmp_path, scan_id)
        results_cache.forget(files)
        lazy = scans.results(scan, tmp_path, query, lazy=True)
        assert not [k for k in results_cache._frames if k[0] == files.ident]  # read from the files, not kept
        cached = scans.results(scan, tmp_path, query)
        assert lazy["count"] == cached["count"] > 0
        assert lazy["data"] == cached["data"] and len(lazy["data"]) > 0
