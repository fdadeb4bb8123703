"""Issue 5 figures: `GET /products/lookup` under load, and the per-request cost of auth plus the
rate-limit check (the baseline: auth alone, measured in the same run)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from pathlib import Path

from bench.catalog import bench_import
from bench.common import DATA, bench_key, env_for, have_wrk, report, sellerkit, server, wrk


def catalog_dir(products: int) -> Path:
    """The catalog suite's database when it is there (`python -m bench --only catalog` builds it);
    otherwise import it now."""
    data_dir = DATA / f"db-{products}"
    if not (data_dir / "sellerkit.db").exists():
        data_dir = bench_import(products)
    return data_dir


def sample_asins(data_dir: Path, n: int = 5000) -> list[str]:
    """US ASINs spread over the whole catalog (every 97th product)."""
    with sqlite3.connect(data_dir / "sellerkit.db") as conn:
        rows = conn.execute("SELECT asin FROM products WHERE marketplace = 'US' AND id % 97 = 0 LIMIT ?", (n,))
        return [asin for (asin,) in rows]


def redis_url() -> str | None:
    url = os.environ.get("SELLERKIT_REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except Exception:  # noqa: BLE001 - no Redis here
        return None


def bench_lookup(data_dir: Path, products: int, workers: int = 2, connections: int = 16,
                 redis: str | None = None) -> None:
    name = "GET /products/lookup (10 ASINs, HTTP/1.1 keep-alive)" + (", Redis limits" if redis else "")
    if not have_wrk():
        report(name, "SKIPPED: wrk not installed", "", "apt-get install wrk")
        return
    extra = {"SELLERKIT_REDIS_URL": redis, "SELLERKIT_LIMITS_REDIS_PREFIX": f"bench:{uuid.uuid4().hex[:8]}",
             "SELLERKIT_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}"} if redis else {}
    env = env_for(data_dir, **extra)
    sellerkit("catalog", "snapshot", env=env, capture_output=True)  # the server's periodic build: not measured
    key = bench_key(env)["key"]
    asins = sample_asins(data_dir)
    paths = [f"/products/lookup?key={key}&asin={','.join(asins[i:i + 10])}&domain=com"
             for i in range(0, len(asins) - 10, 10)]
    script = DATA / "lookup.lua"
    script.write_text(
        "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        "  return wrk.format('GET', paths[i])\n"
        "end\n"
    )
    with server(env, workers=workers) as base:
        import httpx

        first = httpx.get(base + paths[0])
        items = len(first.json()["items"])
        wrk(base, script, connections=connections, seconds=3)  # warm-up
        res = wrk(base, script, connections=connections, seconds=15)
    ok = res["rps"] >= 1500 and res["p99"] < 50 and res["non2xx"] == 0
    report(name, f"{res['rps']:,.0f} req/s p50 {res['p50']:.1f} ms p99 {res['p99']:.1f} ms",
           f"{products:,}-product catalog, {items} items a reply; {res['settings']}, {workers} server workers",
           f"{'PASS' if ok else 'FAIL'} >= 1,500 req/s, p99 < 50 ms, non-2xx {res['non2xx']}")


def _request(secret: str, app):
    from starlette.requests import Request

    return Request({"type": "http", "method": "GET", "path": "/products/lookup", "query_string": b"",
                    "headers": [(b"authorization", f"Bearer {secret}".encode())], "app": app})


def bench_auth(data_dir: Path, rounds: int = 20_000) -> None:
    """What every keyed request pays before its route runs: find the key (one indexed SQLite
    read) and take a token from its request-rate bucket, through the same function the
    dependency calls. Baseline: the key look-up alone."""
    from types import SimpleNamespace

    from sellerkit.accounts.dependencies import authenticate
    from sellerkit.accounts.quotas import Quotas
    from sellerkit.accounts.service import keys
    from sellerkit.kit.db import Database
    from sellerkit.kit.ratelimit import MemoryLimits, RedisLimits

    db = Database(f"sqlite:///{data_dir / 'sellerkit.db'}")
    with db.session(write=True) as s:
        issued = keys.create(s, name="bench-auth", plan="pro")
        keys.set_limit(s, issued.partner_id, 10**9)
    secret = issued.key
    stores = [("memory", MemoryLimits())]

    def per_request(fn) -> float:
        for _ in range(1000):
            fn()
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(rounds):
                fn()
            best = min(best, (time.perf_counter() - t0) / rounds)
        return best * 1e6

    url = redis_url()
    if url:
        stores.append(("redis", RedisLimits(url, f"bench:{uuid.uuid4().hex[:8]}")))
    with db.reader() as reader:
        base = per_request(lambda: keys.authenticate(reader, secret))
        for name, store in stores:
            app = SimpleNamespace(state=SimpleNamespace(quotas=Quotas(store)))
            us = per_request(lambda: authenticate(_request(secret, app), reader))
            baseline = f"key look-up alone {base:.1f} us"
            if name == "redis":
                import redis

                ping = redis.Redis.from_url(url, single_connection_client=True)
                baseline += f", a Redis PING {per_request(ping.ping):.1f} us"
            report(f"auth + rate-limit check ({name} limits)", f"{us:.1f} us per request",
                   f"{baseline} ({rounds:,} rounds, best of 3)", f"{'PASS' if us < 200 else 'FAIL'} < 200 us")
    db.dispose()


def run(products: int) -> None:
    data_dir = catalog_dir(products)
    bench_auth(data_dir)
    bench_lookup(data_dir, products)
    if url := redis_url():
        bench_lookup(data_dir, products, redis=url)
