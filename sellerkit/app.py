"""The FastAPI application: every dialect's router over one core."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.responses import PlainTextResponse, Response

from sellerkit import __version__
from sellerkit.accounts.dependencies import DirectLane
from sellerkit.accounts.quotas import Quotas
from sellerkit.catalog.providers.connections import connections
from sellerkit.catalog.providers.budget import budgets_for
from sellerkit.catalog.spapi import SpApiClient
from sellerkit.commerce.wire import CommercePaths
from sellerkit.config import Settings, get_settings
from sellerkit.kit.db import Database
from sellerkit.kit.connections import InFlight, Reaper
from sellerkit.kit.http import (JSON, AccessLog, BodyGuard, RateLimitHeaders, access_log_on,
                               install_error_handlers)
from sellerkit.kit.blobs import blobs_for
from sellerkit.kit.health import database_check, readiness, redis_check
from sellerkit.kit.metrics import CONTENT_TYPE as METRICS_TYPE, RequestMetrics, render as render_metrics
from sellerkit.kit.openapi import Health, Ready, install_openapi
from sellerkit.kit.queue import Queue
from sellerkit.kit.ratelimit import make_limits
from sellerkit.scans.store import results_cache

# What create_app imports when it runs (the routers, the pages, the jobs' modules).
SERVER_MODULES = (
    "sellerkit.accounts.router", "sellerkit.calculator.router", "sellerkit.catalog.lookup_router",
    "sellerkit.catalog.providers.connections_router", "sellerkit.catalog.quotas_router", "sellerkit.catalog.router",
    "sellerkit.commerce.router", "sellerkit.commerce.orders_router", "sellerkit.scans.router", "sellerkit.tracking.router",
    "sellerkit.web.docs", "sellerkit.web.site",
)


def preload() -> None:
    """Import every module a server worker imports, in the process that forks the workers:
    their pages then stay shared with it instead of being copied into each worker (about 40 MiB
    of an idle demo server's PSS). None of these may run polars at import: a worker forked after
    polars' thread pool started deadlocks in its first query (tests/test_server.py checks)."""
    import importlib

    from sellerkit.kit.queue import TASK_MODULES

    for name in (*SERVER_MODULES, *TASK_MODULES):
        importlib.import_module(name)


YOUNG_OBJECTS_PER_COLLECTION = 10_000  # Python's default: 700


def _collect_cycles_less_often() -> None:
    """A page of 100 results builds ~20,000 dicts and lists that their references free, yet the
    cyclic collector ran every 700 of them, ~30 times a page, and now and then over everything the
    worker holds: a third of the page's time (p50 16.3 -> 12.7 ms, p90 29 -> 15 ms in process on
    a slow 2-core machine). Collecting every 10,000 keeps at most that many more objects a while."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, middle, old)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    if db is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url)

    queue = Queue(settings, db)
    quotas = Quotas(make_limits(settings.redis_url, settings.limits_redis_prefix),
                    default_rps=settings.rate_limit_rps, flush_seconds=settings.quota_flush_seconds,
                    account_rps=settings.account_rate_limit_rps)

    reaper = Reaper(settings.header_read_timeout, settings.keep_alive_timeout)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _collect_cycles_less_often()
        reaper.start()  # in a server worker: closes connections idle past their timeouts
        db.migrate()  # cheap when already at head; `sellerkit serve` has run it before forking
        quotas.start(db)  # today's token counters, read once; written back every few seconds
        connections.announce(db, settings, "server")  # which live data is unavailable, said once
        if settings.runs_embedded_worker:
            queue.start_consumer(settings.job_threads)
        yield
        queue.stop_consumer()
        quotas.stop()  # the token counters used since the last write
        app.state.sign_in_throttle.close()
        await app.state.spapi.aclose()
        db.dispose()
        reaper.stop()

    app = FastAPI(
        title="sellerkit",
        version=__version__,
        description="Self-hosted seller platform: RocketSource-compatible scans, identifier conversion "
        "and fee calculator, and ASINScope-compatible product look-ups, over one catalog. Every route "
        "but `/health`, `/ready` and `/metrics` takes an API key (see the security schemes); errors answer "
        "`{\"message\", \"status\"}`, with `error` beside them on ASINScope's routes.",
        default_response_class=JSON,
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets by sellerkit.web.docs: no CDN
        redoc_url=None,
    )
    install_openapi(app)
    app.state.settings = settings
    app.state.db = db
    app.state.queue = queue
    app.state.quotas = quotas
    app.state.budgets = budgets_for(settings)  # provider budgets: Redis when configured, else this process's
    results_cache.budget = settings.results_cache_mb * 2**20
    # Eligibility for an account without an SP-API connection: the catalog rules answer.
    app.state.spapi = SpApiClient(None)
    install_error_handlers(app)
    # Last added runs first: the access log sees every reply, BodyGuard's 413s and 408s included.
    app.add_middleware(DirectLane)  # innermost: the hot routes' requests from the scope, after every other
    app.add_middleware(BodyGuard, json_limit_kb=settings.json_body_limit_kb, upload_limit_mb=settings.upload_limit_mb,
                       idle_timeout=settings.body_idle_timeout, read_timeout=settings.body_read_timeout)
    app.add_middleware(RateLimitHeaders)  # sees every reply, errors included
    app.add_middleware(InFlight)  # requests in flight, which the reaper leaves alone
    app.add_middleware(RequestMetrics)  # every reply, by route template: GET /metrics
    app.add_middleware(CommercePaths)  # SellerChamp's `.json` URLs and its 406, before routing
    if access_log_on(settings.access_log, settings.log_level):
        app.add_middleware(AccessLog)

    # The meta routes first: routes are matched in order, and every route ahead of one is tried
    # on each request that reaches it (/health behind some 150 routes spent most of its time there).
    @app.get("/health", tags=["meta"], summary="Liveness: answers without a key", response_model=Health)
    async def health():
        return {"status": "ok", "version": __version__}

    ready_checks = {"database": database_check(db), "blobs": blobs_for(settings).check}
    if settings.redis_url:
        ready_checks["redis"] = redis_check(settings.redis_url)

    @app.get("/ready", tags=["meta"], summary="Readiness: the database, Redis and file store answer",
             response_model=Ready, responses={503: {"model": Ready, "description": "Something this process "
                                                   "needs is not reachable; `checks` says what and why."}})
    async def ready():
        """No key. 200 when every dependency answers within 2 s, else 503; `checks` names each
        (`database`, `redis` when SELLERKIT_REDIS_URL is set, and the file store) with `ok` or
        why it is not reachable. Checks run off the event loop, all at once."""
        ok, checks = await readiness(ready_checks)
        return JSON({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["meta"], summary="Prometheus metrics of every server process",
             response_class=PlainTextResponse,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text exposition format (version 0.0.4)."}})
    def metrics():
        """No key. Requests by route template and status, latency histograms, queue depth, jobs
        running and ended, rate-limit refusals and tokens spent (docs/deploy.md, Operating)."""
        return Response(render_metrics(queue.huey), media_type=METRICS_TYPE)

    from sellerkit.accounts.router import router as accounts_router
    from sellerkit.accounts.router import tokens_router
    from sellerkit.calculator.router import router as calculator_router
    from sellerkit.catalog.lookup_router import router as lookup_router
    from sellerkit.catalog.providers.connections_router import router as providers_router
    from sellerkit.catalog.quotas_router import router as quotas_router
    from sellerkit.catalog.router import router as catalog_router
    from sellerkit.commerce.router import router as commerce_router
    from sellerkit.commerce.orders_router import router as orders_router
    from sellerkit.scans.router import router as scans_router
    from sellerkit.tracking.router import router as tracking_router

    app.include_router(lookup_router)  # the hot routes next (no path of theirs overlaps another's)
    app.include_router(catalog_router)
    app.include_router(tokens_router)  # before /account's own routes: ASINScope's /account/tokens
    app.include_router(accounts_router)
    app.include_router(calculator_router)
    app.include_router(providers_router)
    app.include_router(scans_router)
    app.include_router(quotas_router)
    app.include_router(commerce_router)
    app.include_router(orders_router)
    app.include_router(tracking_router)  # tracked collections, in the Multicart dialect (docs/tracking.md)

    from sellerkit.web.docs import mount_docs

    mount_docs(app)

    from sellerkit.web.site import mount_web

    mount_web(app, settings)  # the dashboard's pages at / (sellerkit/web, docs/dashboard.md)

    return app
