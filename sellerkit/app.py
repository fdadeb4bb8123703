"""The FastAPI application: every dialect's router over one core."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from sellerkit import __version__
from sellerkit.catalog.spapi import SpApiClient
from sellerkit.config import Settings, get_settings
from sellerkit.kit.db import Database
from sellerkit.kit.http import JSON, RefuseOversized, install_error_handlers
from sellerkit.kit.queue import Queue
from sellerkit.scans.store import results_cache


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    if db is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url)

    queue = Queue(settings, db)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db.migrate()  # cheap when already at head; `sellerkit serve` has run it before forking
        if settings.runs_embedded_worker:
            queue.start_consumer(settings.job_threads)
        yield
        queue.stop_consumer()
        await app.state.spapi.aclose()
        db.dispose()

    app = FastAPI(
        title="sellerkit",
        version=__version__,
        description="Self-hosted seller platform: RocketSource, ASINScope, SellerChamp and "
        "Multicart compatible APIs over one catalog.",
        default_response_class=JSON,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.queue = queue
    results_cache.budget = settings.results_cache_mb * 2**20
    app.state.spapi = SpApiClient.from_settings(settings)  # unconfigured unless SELLERKIT_SPAPI_* are set
    install_error_handlers(app)
    app.add_middleware(RefuseOversized, limit_mb=settings.upload_limit_mb)

    from sellerkit.accounts.router import router as accounts_router
    from sellerkit.calculator.router import router as calculator_router
    from sellerkit.catalog.router import router as catalog_router
    from sellerkit.scans.router import router as scans_router

    app.include_router(accounts_router)
    app.include_router(catalog_router)
    app.include_router(calculator_router)
    app.include_router(scans_router)

    @app.get("/health", tags=["meta"], summary="Liveness: answers without a key")
    async def health():
        return {"status": "ok", "version": __version__}

    return app
