"""Prometheus metrics (prometheus-client), served at `GET /metrics`.

`sellerkit serve --workers N` runs N server processes; each counts what it serves. So that a
scrape of any one reports them all, `sellerkit serve` gives its workers one empty directory in
`PROMETHEUS_MULTIPROC_DIR` (prometheus-client's multiprocess mode: each process writes its
figures to memory-mapped files there, `/metrics` sums them). Without it (a test's app, a single
process started some other way) the figures are this process's.

Names (all prefixed `sellerkit_`): `http_requests_total{method,route,status}`,
`http_request_duration_seconds{method,route}` (histogram), `queue_pending` (jobs waiting in the
queue, read at scrape time), `jobs_running{task}`, `jobs_total{task,outcome}`,
`rate_limited_total{scope}` (429s of sellerkit's own limits: key, account, tokens),
`tokens_spent_total` (look-up tokens charged to accounts).

The route label is the route's template (`/api/v3/scans/{scan_id}`), never the raw path, so ids
do not multiply the series; a request no route matched counts as `unmatched`.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from sellerkit.kit.metrics_env import MULTIPROC_ENV  # noqa: E402,F401 - re-exported
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Counter("sellerkit_http_requests", "HTTP requests answered, by route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("sellerkit_http_request_duration_seconds",
                    "Time from a request's arrival to the end of its reply, by route template.",
                    ["method", "route"],
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
JOBS_RUNNING = Gauge("sellerkit_jobs_running", "Background jobs running now, by task.", ["task"],
                     multiprocess_mode="livesum")
JOBS = Counter("sellerkit_jobs", "Background jobs ended, by task and outcome (ok, failed).", ["task", "outcome"])
RATE_LIMITED = Counter("sellerkit_rate_limited", "Requests refused (429) by sellerkit's own limits, by scope "
                       "(key, account: requests a second; tokens: the plan's look-up tokens).", ["scope"])
TOKENS_SPENT = Counter("sellerkit_tokens_spent", "Look-up tokens charged to accounts.")


def _route_of(scope) -> str:
    route = scope.get("route")
    if route is None:
        return "unmatched"
    return getattr(route, "path_format", None) or getattr(route, "path", "unmatched")


class RequestMetrics:
    """Counts every reply and its duration by route template. Plain ASGI; the labelled children
    are cached, so a request costs two dictionary look-ups and two increments."""

    def __init__(self, app) -> None:
        self.app = app
        self._counts: dict[tuple, object] = {}
        self._times: dict[tuple, object] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            elapsed = time.perf_counter() - started
            method, route = scope["method"], _route_of(scope)
            key = (method, route, status)
            count = self._counts.get(key)
            if count is None:
                count = self._counts[key] = REQUESTS.labels(method, route, str(status))
            count.inc()
            timed = self._times.get(key[:2])
            if timed is None:
                timed = self._times[key[:2]] = LATENCY.labels(method, route)
            timed.observe(elapsed)


class _Outcome:
    __slots__ = ("failed",)

    def __init__(self) -> None:
        self.failed = False


@contextmanager
def job(task: str):
    """Around one run of a background task: running while inside; then `failed` when an
    exception escaped or the body set `.failed` on what this yields (a scan that ended in its
    `Error` status), else `ok`."""
    running = JOBS_RUNNING.labels(task)
    running.inc()
    outcome = _Outcome()
    try:
        yield outcome
    except BaseException:
        outcome.failed = True
        raise
    finally:
        running.dec()
        JOBS.labels(task, "failed" if outcome.failed else "ok").inc()


class _QueueDepth:
    """`sellerkit_queue_pending`, read from the queue (Redis or SQLite) when scraped."""

    def __init__(self, huey) -> None:
        self.huey = huey

    def collect(self):
        family = GaugeMetricFamily("sellerkit_queue_pending", "Jobs waiting in the queue (all processes).")
        try:
            family.add_metric([], self.huey.pending_count())
        except Exception:  # noqa: BLE001 - an unreachable queue leaves the figure out; /ready says why
            return
        yield family


def render(huey=None) -> bytes:
    """The text exposition: every process's figures in multiprocess mode, else this one's, then
    the queue's depth."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry
    text = generate_latest(registry)
    if huey is not None:
        depth = CollectorRegistry()
        depth.register(_QueueDepth(huey))
        text += generate_latest(depth)
    return text


def serve_worker_metrics(host: str, port: int, huey) -> None:
    """`sellerkit worker`'s own metrics (its jobs, the queue's depth) on a thread of its own:
    a worker has no API server, so Prometheus scrapes it here (SELLERKIT_WORKER_METRICS_PORT)."""
    from prometheus_client import REGISTRY, start_http_server

    REGISTRY.register(_QueueDepth(huey))
    start_http_server(port, addr=host)
