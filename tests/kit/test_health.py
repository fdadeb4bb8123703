"""GET /health (liveness) and GET /ready (the database, Redis, registered checks)."""

from __future__ import annotations

import time

import pytest

from sellerkit.kit import health
from tests.conftest import REDIS_SKIP, REDIS_URL, make_client


@pytest.fixture
def free_port_url() -> str:
    """An endpoint nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class TestReady:
    def test_ready_with_the_database_needs_no_key(self, client):
        r = client.get("/ready")
        assert r.status_code == 200
        assert r.json() == {"ready": True, "checks": {"database": "ok", "blobs": "ok"}}

    def test_an_unreachable_blob_store_is_503_naming_it(self, db, tmp_path, free_port_url):
        from sellerkit.config import Settings

        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, blob_url="s3://sellerkit/files",
                            s3_endpoint_url=free_port_url)
        with make_client(db, settings) as c:
            r = c.get("/ready")
        assert r.status_code == 503 and r.json()["checks"]["database"] == "ok"
        assert r.json()["checks"]["blobs"].startswith("not reachable")

    def test_health_asks_no_dependency(self, client, db, monkeypatch):
        monkeypatch.setattr(health, "database_check", lambda db: pytest.fail("liveness must not check"))
        assert client.get("/health").status_code == 200

    def test_a_registered_check_that_fails_is_named_with_its_reason_and_503(self, client):
        def store():
            raise PermissionError("access denied to s3://bucket/prefix")

        health.register_readiness_check("blobs", store)
        try:
            r = client.get("/ready")
        finally:
            health.unregister_readiness_check("blobs")
        assert r.status_code == 503
        body = r.json()
        assert body["ready"] is False and body["checks"]["database"] == "ok"
        assert body["checks"]["blobs"] == "not reachable: PermissionError: access denied to s3://bucket/prefix"

    def test_a_check_that_hangs_times_out_without_blocking(self, client, monkeypatch):
        monkeypatch.setattr(health, "READY_TIMEOUT", 0.2)
        health.register_readiness_check("slow", lambda: time.sleep(1))
        try:
            started = time.perf_counter()
            r = client.get("/ready")
            took = time.perf_counter() - started
        finally:
            health.unregister_readiness_check("slow")
        assert r.status_code == 503 and r.json()["checks"]["slow"].startswith("not reachable: no answer within")
        assert took < 0.9

    def test_unreachable_database_is_503(self, sqlite_db, settings):
        with make_client(sqlite_db, settings) as c:
            sqlite_db.engine.dispose()
            import sqlalchemy as sa

            real = sqlite_db.engine
            sqlite_db.engine = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                                connect_args={"connect_timeout": 1})
            try:
                r = c.get("/ready")
            finally:
                sqlite_db.engine = real
        assert r.status_code == 503
        assert r.json()["checks"]["database"].startswith("not reachable: OperationalError")

    def test_unreachable_redis_is_named(self, db, settings):
        bad = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0", "embedded_worker": False})
        with make_client(db, bad) as c:
            r = c.get("/ready")
        assert r.status_code == 503
        checks = r.json()["checks"]
        assert checks["database"] == "ok" and checks["redis"].startswith("not reachable: ConnectionError")

    @pytest.mark.skipif(REDIS_SKIP is not None, reason=REDIS_SKIP or "")
    def test_reachable_redis_is_ok(self, db, settings):
        good = settings.model_copy(update={"redis_url": REDIS_URL})
        with make_client(db, good) as c:
            r = c.get("/ready")
        assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "blobs": "ok", "redis": "ok"}
