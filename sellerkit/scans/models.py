from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sellerkit.kit.db import Base, TimestampMixin


class Leased:
    """A job run under a lease: `runner` names the run holding it, renewed by `heartbeat_at`,
    and the owner columns its process (`kit.process.Owner`), so that a sweep on the same host
    sees at once that the holder is gone (`scans.tasks.release_dead_leases`)."""

    runner: Mapped[str | None] = mapped_column(sa.String(80))  # the lease holder
    runner_host: Mapped[str | None] = mapped_column(sa.String(200))  # its process (`kit.process.Owner`)
    runner_pid: Mapped[int | None] = mapped_column()
    runner_started: Mapped[int | None] = mapped_column(sa.BigInteger)
    heartbeat_at: Mapped[datetime | None] = mapped_column()


class Scan(TimestampMixin, Leased, Base):
    """A supplier file being matched and priced. Its rows live in the scan's files (see
    `scans.store`); this row carries status, counts and the lease of whoever runs it.

    Readers see one results version (`results_version`); the latest run writes `run_version`.
    The first run writes the version readers see, so its rows show as they come; a rerun or a
    re-pricing writes the next one, which replaces the shown one only when the run succeeds."""

    __tablename__ = "scans"
    __table_args__ = (sa.Index("ix_scans_account_created", "account_id", "id"),
                      sa.Index("ix_scans_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))
    marketplace: Mapped[str] = mapped_column(sa.String(2))
    status: Mapped[str] = mapped_column(sa.String(20))  # of the latest run: InProgress | Success | Error | Cancelled
    file_name: Mapped[str] = mapped_column(sa.String(300))
    file_format: Mapped[str] = mapped_column(sa.String(8))  # csv | xlsx
    file_size: Mapped[int] = mapped_column(sa.BigInteger)
    mapping: Mapped[str] = mapped_column(sa.Text)  # JSON, as uploaded
    options: Mapped[str] = mapped_column(sa.Text)  # JSON, as uploaded
    lines: Mapped[int] = mapped_column(default=0)  # data rows in the file
    processed: Mapped[int] = mapped_column(default=0)  # data rows read so far
    products: Mapped[int] = mapped_column(default=0)  # result rows (of the shown version)
    errors: Mapped[int] = mapped_column(default=0)  # rows that could not be scanned (of the shown version)
    results_version: Mapped[int] = mapped_column(default=1)  # the version readers see
    run_version: Mapped[int] = mapped_column(default=1, server_default="1")  # the version the latest run writes
    results_status: Mapped[str | None] = mapped_column(sa.String(20))  # how the shown version's run ended
    results_finished_at: Mapped[datetime | None] = mapped_column()  # when it ended
    recalculate_from: Mapped[int | None] = mapped_column()  # re-price this results version, no re-matching
    message: Mapped[str | None] = mapped_column(sa.Text)  # why a scan failed
    enrichment: Mapped[str | None] = mapped_column(sa.Text)  # JSON: live-data stages, what waits on which quota
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column()


class BlockedBrand(Base):
    """A brand the seller will not buy (`is_brand_blocklisted` in scan results)."""

    __tablename__ = "blocked_brands"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    brand: Mapped[str] = mapped_column(sa.String(200), primary_key=True)  # lower case


class ScanExport(TimestampMixin, Leased, Base):
    """A download prepared in the background (large XLSX, or any export asked for as a job),
    under a lease as a scan is."""

    __tablename__ = "scan_exports"
    __table_args__ = (sa.Index("ix_scan_exports_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    scan_id: Mapped[int] = mapped_column(sa.ForeignKey("scans.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(sa.String(8))  # csv | xlsx | json | gsheet
    table: Mapped[str] = mapped_column(sa.String(10))  # products | errors
    query: Mapped[str] = mapped_column(sa.Text)  # the filter/sort/page body, JSON
    status: Mapped[str] = mapped_column(sa.String(20))  # InProgress | Success | Error
    rows: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    url: Mapped[str | None] = mapped_column(sa.Text)  # Google Sheets
    message: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None] = mapped_column()  # progress saved
    finished_at: Mapped[datetime | None] = mapped_column()


class MappingPreset(TimestampMixin, Base):
    """A seller's saved column mapping and upload options for one supplier's files (the upload
    page offers it again when that supplier's next price list arrives)."""

    __tablename__ = "scan_mapping_presets"
    __table_args__ = (sa.UniqueConstraint("account_id", "supplier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    supplier: Mapped[str] = mapped_column(sa.String(200))
    mapping: Mapped[str] = mapped_column(sa.Text)  # JSON of scans.schemas.Mapping
    options: Mapped[str] = mapped_column(sa.Text)  # JSON of scans.schemas.Options (name left out)
    updated_at: Mapped[datetime | None] = mapped_column()
