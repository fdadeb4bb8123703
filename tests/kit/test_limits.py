"""Request bodies bounded per route before the key is checked (`kit.http.BodyGuard`), and the
access log (`kit.http.AccessLog`). The real server's side of both, chunked bodies on the wire,
closed connections and idle connections, is in tests/test_served_limits.py."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from sellerkit.config import Settings
from tests.conftest import make_client

CONVERT = {"marketplace": "US", "ids": ["036000291452"]}


def chunks(total: int, size: int = 64_000):
    """A body without Content-Length: sent chunked."""
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@pytest.fixture
def small(db, tmp_path):
    """JSON bodies up to 10 KB, uploads up to 1 MB."""
    settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, json_body_limit_kb=10, upload_limit_mb=1)
    with make_client(db, settings) as c:
        yield c


class TestBodyLimits:
    def test_declared_json_body_over_the_limit_is_a_413_before_the_key(self, small):
        r = small.post("/api/v3/convert", content=b" " * 20_000, headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        assert r.json() == {"message": "request body of 20,000 bytes is larger than this route's limit of 10 KB "
                                       "(a JSON body)", "status": 413}
        assert r.headers["connection"] == "close"

    def test_chunked_json_body_over_the_limit_is_a_413_before_the_key(self, small):
        r = small.post("/api/v3/convert", content=chunks(5_000_000), headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "limit of 10 KB" in r.json()["message"]

    def test_json_body_within_the_limit_is_served(self, small, new_key):
        r = small.post("/api/v3/convert", json=CONVERT, headers={"X-Api-Key": new_key().key})
        assert r.status_code == 200 and "connection" not in r.headers

    def test_upload_route_takes_a_body_past_the_json_limit(self, small, new_key):
        attributes = orjson.dumps({"mapping": {"id": 0, "cost": 1}}).decode()
        r = small.post("/api/v3/scans", headers={"X-Api-Key": new_key().key},
                       files={"file": ("s.csv", b"036000291452,1.00\n" * 20_000, "text/csv")},
                       data={"attributes": attributes})
        assert r.status_code == 201

    def test_declared_upload_over_the_upload_limit_is_a_413_before_the_key(self, small):
        r = small.post("/api/v3/scans", files={"file": ("s.csv", b"0" * 2_500_000, "text/csv")})
        assert r.status_code == 413 and "upload limit of 1 MB" in r.json()["message"]

    def test_upload_without_a_key_is_a_401_without_its_body_read(self, small):
        read = 0

        def upload():
            nonlocal read
            head = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
                    b"Content-Type: text/csv\r\n\r\n")
            read += len(head)
            yield head
            for block in chunks(900_000):
                read += len(block)
                yield block

        r = small.post("/api/v3/scans", content=upload(), headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert r.status_code == 401 and r.json()["message"].startswith("missing API key")
        assert r.headers["connection"] == "close"  # answered with the body unread: not kept alive

    def test_upload_with_a_key_counts_one_request_against_its_rate(self, small, new_key, monkeypatch):
        quotas, checks = small.app.state.quotas, []
        check = quotas.check_rate
        monkeypatch.setattr(quotas, "check_rate", lambda who: checks.append(who) or check(who))
        attributes = orjson.dumps({"mapping": {"id": 0, "cost": 1}}).decode()
        r = small.post("/api/v3/scans", headers={"X-Api-Key": new_key().key}, data={"attributes": attributes},
                       files={"file": ("s.csv", b"036000291452,1.00\n", "text/csv")})
        assert (r.status_code, len(checks)) == (201, 1)


class TestBodyTimeouts:
    def test_body_that_stalls_is_a_408(self, db, tmp_path):
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, body_idle_timeout=0.2)

        async def stall():
            yield b'{"marketplace": '
            await asyncio.sleep(1)
            yield b'"US"}'

        import httpx
        from sellerkit.app import create_app

        async def post():
            app = create_app(settings, db)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
                return await c.post("/api/v3/convert", content=stall(), headers={"Content-Type": "application/json"})

        r = asyncio.run(post())
        assert r.status_code == 408
        assert r.json()["message"].startswith("request body paused for more than 0.2 s (SELLERKIT_BODY_IDLE_TIMEOUT)")


class TestAccessLog:
    @pytest.fixture
    def lines(self, capsys):
        def read() -> list[dict]:
            return [orjson.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        return read

    def test_one_json_line_a_request_without_the_key(self, client, new_key, lines):
        issued = new_key()
        lines()
        r = client.get(f"/account/tokens?key={issued.key}")
        assert r.status_code == 200
        [line] = lines()
        assert {k: line[k] for k in ("method", "path", "status", "partner")} == \
            {"method": "GET", "path": "/account/tokens", "status": 200, "partner": issued.partner_id}
        assert line["ms"] >= 0 and line["time"].endswith("Z")
        assert issued.key not in orjson.dumps(line).decode()

    def test_refused_body_is_logged_with_its_status(self, small, lines):
        lines()
        small.post("/api/v3/convert", content=b" " * 20_000, headers={"Content-Type": "application/json"})
        [line] = lines()
        assert (line["path"], line["status"], line["partner"]) == ("/api/v3/convert", 413, None)

    def test_off_writes_nothing(self, db, tmp_path, lines):
        with make_client(db, Settings(data_dir=tmp_path, demo=False, embedded_worker=False, access_log="off")) as c:
            lines()
            c.get("/health")
        assert lines() == []

    def test_level_below_the_log_level_writes_nothing(self, db, tmp_path, lines):
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, access_log="info",
                            log_level="warning")
        with make_client(db, settings) as c:
            lines()
            c.get("/health")
        assert lines() == []

    def test_rejects_an_unknown_level(self, tmp_path):
        with pytest.raises(ValueError, match="access_log"):
            Settings(data_dir=tmp_path, access_log="verbose")
