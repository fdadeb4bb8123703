"""ASINScope look-ups against real `sellerkit serve` processes: HTTP/2 with connection reuse,
exact token accounting under 200 concurrent requests (one process in memory; two processes on
Redis), and daily counters that survive a restart."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import orjson
import pytest

from tests.catalog.factories import product
from tests.conftest import REDIS_SKIP, REDIS_URL
from tests.served import cli, env_for, new_key, serve

ASIN = "B088H39PXX"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A data dir whose catalog was imported with `sellerkit catalog import`."""
    data = tmp_path_factory.mktemp("served-lookup")
    records = data / "catalog.jsonl"
    records.write_bytes(b"".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in [
        product(ASIN, identifiers={"upc": ["793610399007"]}, buybox_price=2279),
        product("B000000001"),
    ]))
    cli(env_for(data), "catalog", "import", str(records))
    return data


@pytest.fixture(scope="module")
def served(data_dir):
    env = env_for(data_dir)
    with serve(env) as base:
        yield base, new_key(env, "h2")["key"]


async def burst(bases: list[str], key: str, n: int = 200) -> tuple[list[int], float]:
    """n look-ups of one code at once, spread over the servers, each request on its own
    HTTP/1.1 connection; status codes and the seconds the burst took."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    clients = [httpx.AsyncClient(base_url=b, limits=limits, timeout=30) for b in bases]
    started = time.monotonic()
    try:
        replies = await asyncio.gather(*(clients[i % len(clients)].get(
            "/products/lookup", params={"key": key, "asin": ASIN}) for i in range(n)))
    finally:
        for c in clients:
            await c.aclose()
    return [r.status_code for r in replies], time.monotonic() - started


def daily_left(base: str, key: str) -> int:
    return httpx.get(f"{base}/account/tokens", params={"key": key}).json()["dailyTokensLeft"]


@pytest.mark.slow
class TestServedHttp2:
    def test_lookup_speaks_http2(self, served):
        base, key = served
        with httpx.Client(http1=False, http2=True) as c:
            r = c.get(f"{base}/products/lookup", params={"key": key, "asin": ASIN})
        assert (r.http_version, r.status_code, r.json()["items"][0]["asin"]) == ("HTTP/2", 200, ASIN)

    def test_tokens_speak_http2(self, served):
        base, key = served
        with httpx.Client(http1=False, http2=True) as c:
            r = c.get(f"{base}/account/tokens", params={"key": key})
        assert (r.http_version, r.status_code) == ("HTTP/2", 200)

    def test_lookups_reuse_one_http2_connection(self, served):
        base, key = served
        with httpx.Client(http1=False, http2=True) as c:
            for _ in range(20):
                assert c.get(f"{base}/account/tokens", params={"key": key}).status_code == 200
            assert len(c._transport._pool.connections) == 1

    def test_sdk_client_speaks_http2_over_one_connection(self, served):
        from sellerkit import Client

        base, key = served
        with Client(base, key, http2=True) as sk:
            results = [sk.lookup(asin=ASIN, timeout=5) for _ in range(5)]
            pool = sk._http._transport._pool
            versions = {c.info() for c in pool.connections}
        assert [r.items[0].asin for r in results] == [ASIN] * 5
        assert len(versions) == 1 and "HTTP/2" in versions.pop()

    def test_errors_over_http2_are_json_with_a_message(self, served):
        base, key = served
        with httpx.Client(http1=False, http2=True) as c:
            r = c.get(f"{base}/products/lookup", params={"key": key, "asin": ASIN, "domain": "zz"})
        assert (r.http_version, r.status_code, r.headers["content-type"]) == ("HTTP/2", 400, "application/json")
        assert r.json()["message"].startswith("domain:")


@pytest.mark.slow
class TestServedTokenExactness:
    def test_200_concurrent_lookups_grant_exactly_a_full_bucket_in_one_process(self, data_dir):
        env = env_for(data_dir)
        key = new_key(env, f"burst-{uuid.uuid4().hex[:6]}")["key"]
        with serve(env) as base:
            codes, took = asyncio.run(burst([base], key))
            left = daily_left(base, key)
        granted = codes.count(200)
        # 120 in the bucket, plus what refilled (1 a second) while the burst ran
        assert 120 <= granted <= 120 + int(took) and codes.count(429) == 200 - granted
        assert left == 10_000 - granted

    @pytest.mark.redis
    def test_200_concurrent_lookups_grant_exactly_a_full_bucket_across_two_processes_on_redis(self, data_dir):
        if REDIS_SKIP:
            pytest.skip(REDIS_SKIP)
        tag = uuid.uuid4().hex[:8]
        env = env_for(data_dir, SELLERKIT_REDIS_URL=REDIS_URL, SELLERKIT_LIMITS_REDIS_PREFIX=f"sellerkit-test:{tag}",
                      SELLERKIT_QUEUE_NAME=f"sellerkit-test-{tag}")
        key = new_key(env, f"burst-{tag}")["key"]
        try:
            with serve(env, workers=2) as first, serve(env, workers=1) as second:
                codes, took = asyncio.run(burst([first, second], key))
                left = daily_left(first, key), daily_left(second, key)
        finally:
            import redis

            r = redis.Redis.from_url(REDIS_URL)
            for name in r.scan_iter(f"sellerkit-test:{tag}:*"):
                r.delete(name)
            r.close()
        granted = codes.count(200)
        assert 120 <= granted <= 120 + int(took) and codes.count(429) == 200 - granted
        assert left == (10_000 - granted, 10_000 - granted)


@pytest.mark.slow
class TestServedRestart:
    def test_daily_counters_survive_a_server_restart(self, data_dir):
        env = env_for(data_dir, SELLERKIT_QUOTA_FLUSH_SECONDS="3600")  # only the shutdown writes them
        key = new_key(env, f"restart-{uuid.uuid4().hex[:6]}")["key"]
        with serve(env) as base:
            assert httpx.get(f"{base}/products/lookup", params={"key": key, "asin": f"{ASIN},B000000001"}).status_code == 200
        with serve(env) as base:
            assert daily_left(base, key) == 9_998
