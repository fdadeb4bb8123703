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

    # Google Sheets export (RocketSource's "Export to GSheets"); off until a key file is given.
    google_service_account_file: Path | None = Field(
        None,
        description="Service-account JSON key file used to create spreadsheets; unset turns the "
        "Google Sheets export off.",
    )
    google_drive_folder_id: str | None = Field(
        None,
        description="Drive folder new spreadsheets are created in, e.g. one in a Shared Drive the "
        "service account can edit: service accounts own no Drive storage of their own.",
    )
    google_delegated_user: str | None = Field(
        None,
        description="Workspace user the service account acts for (domain-wide delegation), who "
        "then owns the spreadsheets: the other way round service accounts owning no storage.",
    )
    google_share_with: str | None = Field(
        None,
        description="Email address each new spreadsheet is shared with as a writer, without a "
        "notification email.",
    )
    google_sheets_requests_per_minute: int = Field(
        60,
        description="Google API requests per minute the export allows itself (Google grants a "
        "user about 60 writes a minute); it waits rather than be refused.",
        gt=0,
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sellerkit.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
