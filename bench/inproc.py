"""CPU a request costs through the whole ASGI app (middleware, routing, the route), in process:
`/health`, the look-up (10 ASINs, key in the query) and convert (20 codes), on the lookup suite's
1M-product database. `time.process_time()` counts this process's CPU only, so other jobs on the
shared machine weigh less than in wall time. `--profile NAME` runs cProfile on one route's loop.

    PYTHONPATH=$PWD python -m bench.inproc [--n 1000] [--rounds 5] [--profile lookup]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import time

from bench.catalog import sample_codes
from bench.common import DATA
from bench.lookup import sample_asins

PRODUCTS = 1_000_000


def _app(data_dir):
    os.environ.update({"SELLERKIT_DATA_DIR": str(data_dir), "SELLERKIT_DEMO": "0", "SELLERKIT_LOG_LEVEL": "warning"})
    os.environ.pop("SELLERKIT_DATABASE_URL", None)
    from sellerkit.app import create_app
    from sellerkit.config import get_settings

    get_settings.cache_clear()
    return create_app()


def _key(app) -> str:
    """An unlimited key with its rate far above what is measured, made once and kept beside the
    database (a key is stored only as its hash)."""
    from sellerkit.accounts.service import keys

    kept = DATA / "inproc.key"
    if kept.exists():
        with app.state.db.reader() as reader:
            if keys.authenticate(reader, kept.read_text().strip()) is not None:
                return kept.read_text().strip()
    with app.state.db.session(write=True) as s:
        issued = keys.create(s, name="bench-inproc", plan="unlimited", max_keys=10**6)
        keys.set_limit(s, issued.partner_id, 10**9)
    kept.write_text(issued.key)
    return issued.key


def _scope(method: str, path: str, query: bytes = b"", headers=()) -> dict:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
            "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), *headers],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}


async def _call(app, scope: dict, body: bytes = b"") -> tuple[int, bytes]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def requests(app, key: str) -> dict[str, list[tuple[dict, bytes]]]:
    asins = sample_asins(DATA / f"db-{PRODUCTS}")
    codes = sample_codes(PRODUCTS)
    lookups = [(_scope("GET", "/products/lookup",
                       f"key={key}&asin={','.join(asins[i:i + 10])}&domain=com".encode()), b"")
               for i in range(0, len(asins) - 10, 10)]
    converts = []
    for i in range(0, len(codes) - 20, 20):
        body = json.dumps({"marketplace": "US", "ids": codes[i:i + 20]}).encode()
        converts.append((_scope("POST", "/api/v3/convert", b"", [
            (b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode())]), body))
    return {"health": [(_scope("GET", "/health"), b"")], "lookup": lookups, "convert": converts}


async def warm(app, reqs, n: int) -> None:
    """Items and conversions prepared, readers opened: the warm state the bench's wrk runs see."""
    for scope, body in reqs[:n]:
        status, _ = await _call(app, {**scope, "state": {}}, body)
        assert status == 200, status


async def measure(app, reqs, n: int) -> float:
    """CPU microseconds a request over one loop of n (each request's scope copied, as a server
    makes a new one each time)."""
    t0 = time.process_time()
    for i in range(n):
        scope, body = reqs[i % len(reqs)]
        await _call(app, {**scope, "state": {}}, body)
    return (time.process_time() - t0) / n * 1e6


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile")
    args = ap.parse_args()
    app = _app(DATA / f"db-{PRODUCTS}")
    key = _key(app)
    reqs = requests(app, key)
    for r in reqs.values():
        await warm(app, r, args.n)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        await measure(app, reqs[args.profile], args.n)
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("SORT", "tottime")).print_stats(int(os.environ.get("TOP", "35")))
        return
    # Rounds of each route in turn, the best of each kept: a change in the machine's load falls
    # on every route alike, and the best is the least disturbed.
    out = {name: float("inf") for name in reqs}
    for _ in range(args.rounds):
        for name, r in reqs.items():
            out[name] = min(out[name], await measure(app, r, args.n))
    load = os.getloadavg()[0]
    print(" ".join(f"{k} {v:.0f} us" for k, v in out.items()),
          f"| lookup/health {out['lookup'] / out['health']:.2f}x convert/health {out['convert'] / out['health']:.2f}x"
          f" | load {load:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
