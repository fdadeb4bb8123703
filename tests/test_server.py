"""The real server process (`sellerkit serve` on Granian): HTTP/1.1 and HTTP/2 on one port."""

from __future__ import annotations

import httpx
import pytest

from tests.served import env_for, new_key, serve


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    env = env_for(tmp_path_factory.mktemp("served"))
    key = new_key(env, "t")["key"]
    with serve(env) as base:
        yield base, key


@pytest.mark.slow
class TestServedProtocols:
    def test_speaks_http2_cleartext(self, served):
        base, key = served
        with httpx.Client(http1=False, http2=True) as c:
            r = c.post(f"{base}/api/v3/convert", json={"marketplace": "US", "ids": ["036000291452"]},
                       headers={"Authorization": f"Bearer {key}"})
        assert (r.http_version, r.status_code, r.json()) == ("HTTP/2", 200, {})

    def test_speaks_http11_on_the_same_port(self, served):
        base, _ = served
        r = httpx.get(f"{base}/health")
        assert (r.http_version, r.status_code) == ("HTTP/1.1", 200)

    def test_http2_connection_is_reused_across_requests(self, served):
        base, key = served
        with httpx.Client(http1=False, http2=True) as c:
            for _ in range(20):
                assert c.get(f"{base}/account", headers={"X-Api-Key": key}).status_code == 200
            pool = c._transport._pool
            assert len(pool.connections) == 1


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_preloading_the_server_modules_starts_no_polars_threads(tmp_path):
    """`sellerkit serve` imports the workers' modules before it forks them (sellerkit.app.preload);
    a worker forked after polars' thread pool started would hang in its first query."""
    import subprocess
    import sys

    probe = ("import os; from sellerkit.app import preload; preload(); "
             "print(sorted(open(f'/proc/self/task/{t}/comm').read().strip() for t in os.listdir('/proc/self/task')))")
    out = subprocess.run([sys.executable, "-c", probe], env=env_for(tmp_path), check=True, capture_output=True,
                         text=True).stdout
    assert "polars-0" not in out and "tokio-rt-worker" not in out, out
