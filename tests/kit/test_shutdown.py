"""Graceful shutdown on SIGTERM: a server finishes the requests in flight; a `sellerkit worker`
stops at its next saved chunk and hands the scan back, and another worker resumes it at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import orjson
import pytest

from tests.scans.test_runs import _create, _status, _wait_for, _worker, catalog, supplier
from tests.conftest import import_records
from tests.served import env_for, free_port, new_key


@pytest.mark.slow
class TestServerDrains:
    def test_an_upload_in_flight_at_sigterm_is_answered(self, tmp_path):
        env = env_for(tmp_path, SELLERKIT_ACCESS_LOG="off")
        key = new_key(env, "drain")["key"]
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for(lambda: _answers(port), 30, "the server")
            boundary = "b0undary"
            attributes = orjson.dumps({"mapping": {"id": 0, "cost": 1}}).decode()
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"attributes\"\r\n\r\n{attributes}\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
                    f"Content-Type: text/csv\r\n\r\nUPC,Cost\r\n036000291452,8.00\r\n--{boundary}--\r\n").encode()
            head = (f"POST /api/v3/scans HTTP/1.1\r\nHost: t\r\nX-Api-Key: {key}\r\nConnection: close\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(head + body[:40])  # the request is in flight: half its body sent
                time.sleep(0.3)
                proc.send_signal(signal.SIGTERM)
                time.sleep(0.5)
                assert proc.poll() is None  # still draining
                s.sendall(body[40:])
                reply = b""
                while chunk := s.recv(65536):
                    reply += chunk
            assert reply.startswith(b"HTTP/1.1 201"), reply[:300]
            assert proc.wait(15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    def test_new_connections_are_refused_once_it_has_stopped(self, tmp_path):
        env = env_for(tmp_path, SELLERKIT_ACCESS_LOG="off")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(lambda: _answers(port), 30, "the server")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert not _answers(port)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200
    except httpx.TransportError:
        return False


def _started_worker(env: dict, log) -> subprocess.Popen:
    """A `sellerkit worker` whose consumer has started (its start-up sweep done)."""
    out = open(log, "w")  # noqa: SIM115 - the process writes it until it ends
    proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "worker", "--threads", "1"],
                            env={**env, "SELLERKIT_LOG_LEVEL": "info"}, stdout=out, stderr=out,
                            start_new_session=True)
    _wait_for(lambda: "consumer started" in log.read_text(), 30, "the worker to start")
    time.sleep(0.3)  # its start-up sweep has run
    return proc


@pytest.mark.slow
class TestWorkerHandsBack:
    def test_sigterm_stops_at_a_chunk_and_another_worker_resumes_at_once(self, db, tmp_path, new_key):
        import_records(db, catalog(50))
        account = new_key().account_id
        # a stale lease would wait a minute, the sweep up to one: only the hand-back is this quick
        env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path), "SELLERKIT_DATABASE_URL": db.url,
               "SELLERKIT_SCAN_CHUNK_ROWS": "100", "SELLERKIT_SCAN_STALE_SECONDS": "120", "SELLERKIT_DEMO": "0"}
        env.pop("SELLERKIT_REDIS_URL", None)
        rows = 40_000  # long enough to be running still once the second worker has started
        scan_id = _create(db, tmp_path, account, supplier(rows, 50))
        first = _worker(env)
        second = None
        try:
            _wait_for(lambda: (_status(db, scan_id).processed or 0) >= 300, 60, "progress")
            assert _status(db, scan_id).runner_pid == first.pid
            second = _started_worker(env, tmp_path / "second.log")  # up and idle: the lease is the first's
            assert _status(db, scan_id).status == "InProgress", "the first worker ended the scan before SIGTERM"
            os.kill(first.pid, signal.SIGTERM)
            asked = time.monotonic()
            assert first.wait(15) == 0
            stopped_in = time.monotonic() - asked
            _wait_for(lambda: _status(db, scan_id).runner_pid == second.pid, 15, "the second worker to resume")
            resumed_in = time.monotonic() - asked
            scan = _wait_for(lambda: (s := _status(db, scan_id)).status != "InProgress" and s, 60, "the scan")
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(20)
        assert stopped_in < 5 and resumed_in < 15  # the sweep would take up to 60 s
        assert (scan.status, scan.lines, scan.products, scan.errors) == ("Success", rows, rows, 0)
