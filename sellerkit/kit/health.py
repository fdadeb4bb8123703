"""Readiness: whether this process can serve, i.e. reach what it depends on.

`GET /health` is liveness (the process answers; no dependency is asked). `GET /ready` runs every
check here: the database (`SELECT 1`), Redis when `SELLERKIT_REDIS_URL` is set (`PING`), and any
check other code registers with `register_readiness_check(name, fn)` (the blob store: can it
list/stat its prefix). A check is a plain function that returns normally when the dependency is
reachable and raises otherwise; it runs on a small thread pool of its own (never on the event
loop, never on the pool that serves synchronous routes), all checks at once, each bounded by
`READY_TIMEOUT` seconds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

READY_TIMEOUT = 2.0  # seconds a check may take before it counts as unreachable

Check = Callable[[], object]

_registered: dict[str, Check] = {}
_lock = threading.Lock()
# Its own threads: a check stuck on a dead host must not take the threads that serve requests.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ready")


def register_readiness_check(name: str, check: Check) -> None:
    """Add (or replace) a check every `GET /ready` runs in every process of this interpreter.
    `check()` returns when `name` is reachable and raises with a short reason when it is not."""
    with _lock:
        _registered[name] = check


def unregister_readiness_check(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def database_check(db) -> Check:
    def check() -> None:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    return check


def redis_check(url: str) -> Check:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=READY_TIMEOUT, socket_connect_timeout=READY_TIMEOUT)

    def check() -> None:
        client.ping()
    return check


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:200] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _run(name: str, check: Check, timeout: float) -> tuple[str, str]:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(asyncio.wrap_future(_pool.submit(check), loop=loop), timeout)
    except TimeoutError:
        return name, f"not reachable: no answer within {timeout:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure is the reason it is not ready
        return name, f"not reachable: {_reason(exc)}"
    return name, "ok"


async def readiness(checks: dict[str, Check], timeout: float | None = None) -> tuple[bool, dict[str, str]]:
    """Run `checks` and the registered ones at once: (all ok, {name: "ok" or why not})."""
    timeout = READY_TIMEOUT if timeout is None else timeout
    with _lock:
        every = {**checks, **_registered}
    results = await asyncio.gather(*(_run(name, check, timeout) for name, check in every.items()))
    status = dict(results)
    return all(v == "ok" for v in status.values()), status
