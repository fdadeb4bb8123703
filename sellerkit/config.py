"""Every setting sellerkit reads, in one place: environment variables prefixed `SELLERKIT_`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SELLERKIT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        Path("data"),
        description="Where the embedded database, uploads and exports live.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; unset means SQLite at <data_dir>/sellerkit.db. "
        "Use postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    demo: bool = Field(True, description="Load demo products into an empty catalog on start.")
    demo_products: int = Field(20_000, description="How many demo products to load.")
    demo_seed: int = Field(1, description="Seed of the deterministic demo generator.")
    host: str = Field("127.0.0.1", description="Address `sellerkit serve` binds.")
    port: int = Field(8000, description="Port `sellerkit serve` binds (HTTP/1.1 and h2c).")
    workers: int = Field(1, description="Server worker processes.")
    log_level: str = Field("info", description="Server log level.")
    redis_url: str | None = Field(
        None,
        description="redis://host:6379/0 puts the job queue on Redis, shared by `sellerkit worker` "
        "processes on any machine; unset keeps it in <data_dir>/queue.db.",
    )
    embedded_worker: bool | None = Field(
        None,
        description="Run job consumer threads inside the server; default: yes without Redis, "
        "no with Redis (run `sellerkit worker`).",
    )
    job_threads: int = Field(2, description="Consumer threads of a worker (or of the server).")
    upload_limit_mb: int = Field(100, description="Largest supplier file accepted, in MB (413 above).")
    scan_chunk_rows: int = Field(100_000, description="Rows a scan processes between progress saves.")
    scan_stale_seconds: int = Field(
        60, description="A running scan with no progress saved for this long is resumed elsewhere."
    )

    @property
    def runs_embedded_worker(self) -> bool:
        return self.embedded_worker if self.embedded_worker is not None else not self.redis_url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sellerkit.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
