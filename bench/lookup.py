"""Issues 5 and 20 figures: `GET /products/lookup` and `POST /api/v3/convert` under load, each as a
share of the same server's `/health` measured in the same run, and the per-request cost of auth
plus the rate-limit check (the baseline: auth alone, measured in the same run)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from pathlib import Path

from bench.catalog import bench_import, sample_codes
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


def other_asins(data_dir: Path) -> list[str]:
    """Every US ASIN that `sample_asins` leaves out."""
    with sqlite3.connect(data_dir / "sellerkit.db") as conn:
        return [asin for (asin,) in conn.execute("SELECT asin FROM products WHERE marketplace = 'US' AND id % 97 != 0")]


def redis_url() -> str | None:
    url = os.environ.get("SELLERKIT_REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except Exception:  # noqa: BLE001 - no Redis here
        return None


def _script(name: str, body: str) -> Path:
    script = DATA / f"{name}.lua"
    script.write_text(body)
    return script


def lookup_paths(key: str, asins: list[str]) -> list[str]:
    """10 ASINs a request, the key in the query as the reference sends it."""
    return [f"/products/lookup?key={key}&asin={','.join(asins[i:i + 10])}&domain=com"
            for i in range(0, len(asins) - 10, 10)]


def lookup_script(paths: list[str], name: str = "lookup") -> Path:
    return _script(name, "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
                   "local i = 0\n"
                   "request = function()\n"
                   "  i = i % #paths + 1\n"
                   "  return wrk.format('GET', paths[i])\n"
                   "end\n")


def convert_script(key: str, codes: list[str]) -> Path:
    """20 UPC/EAN/ISBN codes a request, the key as a bearer token."""
    bodies = [json.dumps({"marketplace": "US", "ids": codes[i:i + 20]}) for i in range(0, len(codes) - 20, 20)]
    return _script("convert", "local bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n"
                   "local i = 0\n"
                   "wrk.method = 'POST'\n"
                   f"wrk.headers['Authorization'] = 'Bearer {key}'\n"
                   "wrk.headers['Content-Type'] = 'application/json'\n"
                   "request = function()\n"
                   "  i = i % #bodies + 1\n"
                   "  return wrk.format(nil, '/api/v3/convert', nil, bodies[i])\n"
                   "end\n")


COLD = "GET /products/lookup (10 ASINs not asked before)"
HEALTH_SHARE = 0.5  # issue 20: a keyed route at least half the server's own ceiling
P99_MS = 10.0


def bench_lookup(data_dir: Path, products: int, workers: int = 2, connections: int = 16,
                 redis: str | None = None, seconds: int = 10, rounds: int = 3) -> None:
    """`/health`, the look-up (10 ASINs) and convert (20 codes) on one server with the same wrk
    settings, in turn, `rounds` times: each route's req/s as a share of `/health`'s measured in
    the same run (the machine is shared, so only ratios of one run compare)."""
    suffix = ", Redis limits" if redis else ""
    if not have_wrk():
        report("GET /products/lookup, POST /api/v3/convert" + suffix, "SKIPPED: wrk not installed", "",
               "apt-get install wrk")
        return
    extra = {"SELLERKIT_REDIS_URL": redis, "SELLERKIT_LIMITS_REDIS_PREFIX": f"bench:{uuid.uuid4().hex[:8]}",
             "SELLERKIT_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}"} if redis else {}
    env = env_for(data_dir, **extra)
    sellerkit("catalog", "snapshot", env=env, capture_output=True)  # the server's periodic build: not measured
    key = bench_key(env)["key"]  # unlimited plan, request rate raised far above what is measured
    paths = lookup_paths(key, sample_asins(data_dir))
    # Items no look-up asked for before (each worker holds what it prepared: catalog.cache): as
    # many requests as a run makes, so every one reads and builds its 10 items.
    cold = lookup_paths(key, other_asins(data_dir))
    cold_scripts = [lookup_script(cold[n::rounds], f"lookup-cold-{n}") for n in range(rounds)]
    routes = {"GET /health": _script("health", "request = function() return wrk.format('GET', '/health') end\n"),
              "GET /products/lookup (10 ASINs)": lookup_script(paths),
              "POST /api/v3/convert (20 codes)": convert_script(key, sample_codes(products))}
    runs: dict[str, list[dict]] = {name: [] for name in [*routes, COLD]}
    load = os.getloadavg()
    with server(env, workers=workers) as base:
        import httpx

        items = len(httpx.get(base + paths[0]).json()["items"])
        for script in routes.values():
            wrk(base, script, connections=connections, seconds=3)  # warm-up
        for n in range(rounds):
            for name, script in {**routes, COLD: cold_scripts[n]}.items():  # /health first, then each route
                runs[name].append(wrk(base, script, connections=connections, seconds=seconds))
    load = f"load {load[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    settings = f"{runs['GET /health'][0]['settings']} x{rounds}, {workers} server workers, HTTP/1.1 keep-alive"
    health = sum(r["rps"] for r in runs["GET /health"]) / rounds
    for name, res in runs.items():
        rps = sum(r["rps"] for r in res) / rounds
        p99 = max(r["p99"] for r in res)
        p50 = max(r["p50"] for r in res)
        errors = sum(r["non2xx"] for r in res)
        value = f"{rps:,.0f} req/s p50 {p50:.1f} ms p99 {p99:.1f} ms"
        if name == "GET /health":
            report(name + suffix, value, f"{settings}; {load}", f"the ceiling; non-2xx {errors}")
            continue
        share = rps / health
        ok = share >= HEALTH_SHARE and errors == 0
        if redis:  # issue 20's goals are the default server's (limits in the process)
            share_verdict = f"for information: each request also waits on Redis, /health does not; non-2xx {errors}"
            p99_verdict = "for information"
        else:
            share_verdict = f"{'PASS' if ok else 'FAIL'} >= {HEALTH_SHARE:.0%} of /health, non-2xx {errors}"
            p99_verdict = f"{'PASS' if p99 < P99_MS else 'FAIL'} < {P99_MS:g} ms"
        report(f"{name}{suffix}: share of /health", f"{share:.0%} ({value})",
               f"{products:,}-product catalog" + (f", {items} items a reply" if "lookup" in name else ""),
               share_verdict)
        report(f"{name}{suffix}: p99 at {connections} connections", f"{p99:.1f} ms (worst of {rounds})", "",
               p99_verdict)


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
