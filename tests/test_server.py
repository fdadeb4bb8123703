"""The real server process (`sellerkit serve` on Granian): HTTP/1.1 and HTTP/2 on one port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("served")
    env = {**os.environ, "SELLERKIT_DATA_DIR": str(data), "SELLERKIT_DEMO": "0"}
    env.pop("SELLERKIT_DATABASE_URL", None)
    key = json.loads(subprocess.run([sys.executable, "-m", "sellerkit.cli", "keys", "create", "--name", "t",
                                     "--json"], env=env, check=True, capture_output=True, text=True).stdout)["key"]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=0.5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
    yield base, key
    proc.terminate()
    proc.wait(10)


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
