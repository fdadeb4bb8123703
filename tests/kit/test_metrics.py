"""GET /metrics: Prometheus text of requests by route template, latency, queue depth, jobs,
rate-limit refusals and tokens spent; one scrape reports every `serve --workers N` process."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import import_records, make_client
from tests.kit.test_openapi import CATALOG, SUPPLIER_FILE
from tests.served import env_for, new_key, serve


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted label pairs): value} of an exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client) -> str:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return r.text


class TestRequests:
    def test_counted_by_route_template_not_raw_path(self, client, new_key):
        key = new_key().key
        before = scrape(client)
        for scan_id in (11, 12, 13):
            assert client.get(f"/api/v3/scans/{scan_id}", headers={"X-Api-Key": key}).status_code == 404
        client.get("/no/such/thing")
        after = scrape(client)
        route = dict(method="GET", route="/api/v3/scans/{scan_id}", status="404")
        assert value(after, "sellerkit_http_requests_total", **route) - \
            value(before, "sellerkit_http_requests_total", **route) == 3
        assert "/api/v3/scans/11" not in after
        assert value(after, "sellerkit_http_requests_total", method="GET", route="unmatched", status="404") >= 1

    def test_latency_histogram_by_route(self, client):
        before = scrape(client)
        client.get("/health")
        after = scrape(client)
        labels = dict(method="GET", route="/health")
        assert value(after, "sellerkit_http_request_duration_seconds_count", **labels) - \
            value(before, "sellerkit_http_request_duration_seconds_count", **labels) == 1
        assert value(after, "sellerkit_http_request_duration_seconds_bucket", le="+Inf", **labels) >= 1

    def test_needs_no_key_and_shows_queue_depth(self, client):
        text = scrape(client)
        assert ("sellerkit_queue_pending", ()) in samples(text)


class TestLimitsAndTokens:
    def test_rate_limit_refusals_and_tokens_spent(self, db, client, new_key):
        from sellerkit.accounts.service import keys

        import_records(db, CATALOG)
        issued = new_key(plan="pro")
        headers = {"X-Api-Key": issued.key}
        before = scrape(client)
        assert client.get("/products/lookup", params={"asin": "B000000001,B000000002"},
                          headers=headers).status_code == 200
        with db.session(write=True) as s:
            keys.set_limit(s, issued.partner_id, 1)
        codes = [client.get("/account", headers=headers).status_code for _ in range(3)]
        assert 429 in codes
        after = scrape(client)
        assert value(after, "sellerkit_tokens_spent_total") - value(before, "sellerkit_tokens_spent_total") == 2
        refused = value(after, "sellerkit_rate_limited_total", scope="key") - \
            value(before, "sellerkit_rate_limited_total", scope="key")
        assert refused == codes.count(429)


class TestJobs:
    def test_a_scan_job_is_counted_when_it_ends(self, sqlite_db, worker_settings):
        import orjson

        import_records(sqlite_db, CATALOG)
        from sellerkit.accounts.service import keys

        with sqlite_db.session(write=True) as s:
            key = keys.create(s, name="seller", plan="pro").key
        with make_client(sqlite_db, worker_settings) as c:
            before = scrape(c)
            attributes = {"mapping": {"id": 0, "cost": 1, "supplier_sku": 2}, "options": {"name": "M"}}
            r = c.post("/api/v3/scans", headers={"X-Api-Key": key},
                       files={"file": ("s.csv", SUPPLIER_FILE.encode(), "text/csv")},
                       data={"attributes": orjson.dumps(attributes).decode()})
            assert r.status_code == 201
            deadline = time.time() + 20
            while time.time() < deadline:
                after = scrape(c)
                if value(after, "sellerkit_jobs_total", task="scans.run", outcome="ok") > \
                        value(before, "sellerkit_jobs_total", task="scans.run", outcome="ok"):
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the scan job was never counted")
        assert value(after, "sellerkit_jobs_running", task="scans.run") == 0

    def test_a_failing_task_counts_as_failed_and_stops_running(self):
        from sellerkit.kit import metrics

        before = metrics.JOBS.labels("t.fail", "failed")._value.get()
        with pytest.raises(ValueError), metrics.job("t.fail"):
            assert metrics.JOBS_RUNNING.labels("t.fail")._value.get() == 1
            raise ValueError("boom")
        assert metrics.JOBS.labels("t.fail", "failed")._value.get() == before + 1
        assert metrics.JOBS_RUNNING.labels("t.fail")._value.get() == 0

    def test_a_scan_that_ends_in_error_is_a_failed_job(self, sqlite_db, settings):
        from sellerkit.kit import metrics
        from sellerkit.kit.queue import Queue

        queue = Queue(settings, sqlite_db)
        calls = []
        task = queue.task("t.status")(lambda status: calls.append(status) or status)
        before = {o: metrics.JOBS.labels("t.status", o)._value.get() for o in ("ok", "failed")}
        task.call_local("Error")
        task.call_local("Success")
        assert calls == ["Error", "Success"]
        assert {o: metrics.JOBS.labels("t.status", o)._value.get() - before[o] for o in before} == \
            {"ok": 1, "failed": 1}


@pytest.mark.slow
class TestSeveralServerProcesses:
    def test_any_worker_reports_every_worker_s_requests(self, tmp_path):
        env = env_for(tmp_path)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        key = new_key(env, "m")["key"]
        with serve(env, workers=3) as base:
            n = 60
            for _ in range(n):  # a new connection each: the kernel spreads them over the workers
                with httpx.Client() as c:
                    assert c.get(f"{base}/account", headers={"X-Api-Key": key}).status_code == 200
            counts = set()
            for _ in range(6):
                with httpx.Client() as c:
                    counts.add(value(c.get(f"{base}/metrics").text, "sellerkit_http_requests_total",
                                     method="GET", route="/account", status="200"))
        assert counts == {n}


@pytest.mark.slow
class TestWorkerProcess:
    def test_a_worker_serves_its_jobs_and_the_queue_depth(self, db, tmp_path, new_key):
        import os
        import signal

        from tests.scans.test_runs import _create, _status, _wait_for, catalog, supplier
        from tests.served import free_port

        import_records(db, catalog(50))
        scan_id = _create(db, tmp_path, new_key().account_id, supplier(300, 50))
        port = free_port()
        env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path), "SELLERKIT_DATABASE_URL": db.url,
               "SELLERKIT_DEMO": "0", "SELLERKIT_WORKER_METRICS_PORT": str(port)}
        env.pop("SELLERKIT_REDIS_URL", None)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        import subprocess
        import sys

        proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "worker", "--threads", "1"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait_for(lambda: _status(db, scan_id).status == "Success", 60, "the scan")
            text = _wait_for(lambda: _scrape_port(port), 10, "the worker's metrics")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
        assert value(text, "sellerkit_jobs_total", task="scans.run", outcome="ok") == 1
        assert value(text, "sellerkit_jobs_running", task="scans.run") == 0
        assert ("sellerkit_queue_pending", ()) in samples(text)


def _scrape_port(port: int) -> str | None:
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
    except httpx.TransportError:
        return None
    return r.text if "sellerkit_jobs_total" in r.text else None
