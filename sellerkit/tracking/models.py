"""Tracked collections: postcodes, collections, their items, runs (leased jobs), per-item run
state, outputs, and each account's credits and time zone."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sellerkit.kit.db import Base, TimestampMixin
from sellerkit.scans.models import Leased


class TrackingAccount(Base):
    """An account's capture credits and time zone, made on first use with the plan's credits.
    Spendable = available - (used + frozen); a run freezes its items' credits, each captured item
    moves one from frozen to used, the rest are released when the run ends."""

    __tablename__ = "tracking_accounts"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    available_credits: Mapped[int] = mapped_column(sa.BigInteger)
    used_credits: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    frozen_credits: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column()


class Zipcode(TimestampMixin, Base):
    """A delivery postcode of a marketplace; `active` once its location cookie is made."""

    __tablename__ = "tracking_zipcodes"
    __table_args__ = (sa.UniqueConstraint("account_id", "domain_id", "zipcode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    domain_id: Mapped[int] = mapped_column()
    zipcode: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(16))  # pending | in-progress | active | inactive | failed
    cookies: Mapped[str | None] = mapped_column(sa.Text)  # JSON: the marketplace's location cookies
    message: Mapped[str | None] = mapped_column(sa.Text)  # why it failed
    updated_at: Mapped[datetime] = mapped_column()


class Collection(TimestampMixin, Base):
    __tablename__ = "tracking_collections"
    __table_args__ = (sa.Index("ix_tracking_collections_due", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    request_type: Mapped[str] = mapped_column(sa.String(40))
    schedule: Mapped[str] = mapped_column(sa.String(20))
    schedule_time: Mapped[str] = mapped_column(sa.Text)  # JSON, as the dialect shows it
    priority: Mapped[str] = mapped_column(sa.String(10))
    fetch_mode: Mapped[str] = mapped_column(sa.String(20))
    destinations: Mapped[str] = mapped_column(sa.Text)  # JSON list of webhook URLs
    notification_email: Mapped[str | None] = mapped_column(sa.String(320))
    status: Mapped[str] = mapped_column(sa.String(12))  # draft | enable | Processing
    paused: Mapped[bool] = mapped_column(default=False)
    next_run_at: Mapped[datetime | None] = mapped_column()
    last_run_at: Mapped[datetime | None] = mapped_column()
    message: Mapped[str | None] = mapped_column(sa.Text)  # why the last scheduled run did not start
    updated_at: Mapped[datetime] = mapped_column()


class Item(TimestampMixin, Base):
    __tablename__ = "tracking_items"
    __table_args__ = (sa.UniqueConstraint("collection_id", "domain_id", "zipcode_id", "asin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("tracking_collections.id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column()
    zipcode_id: Mapped[int] = mapped_column(sa.ForeignKey("tracking_zipcodes.id", ondelete="CASCADE"))
    asin: Mapped[str] = mapped_column(sa.String(10))
    custom_id: Mapped[str | None] = mapped_column(sa.String(200))
    include_raw_html: Mapped[bool] = mapped_column(default=False)
    output: Mapped[str] = mapped_column(sa.String(8), default="JSON")  # JSON | HTML
    updated_at: Mapped[datetime] = mapped_column()


class Run(TimestampMixin, Leased, Base):
    """One execution of a collection (the dialect's runner record), under a lease as a scan is.
    `status` is InProgress while it runs (the lease helpers' word; the wire says Processing),
    then Completed or Failed."""

    __tablename__ = "tracking_runs"
    __table_args__ = (sa.Index("ix_tracking_runs_collection", "collection_id", "id"),
                      sa.Index("ix_tracking_runs_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("tracking_collections.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(12))
    trigger: Mapped[str] = mapped_column(sa.String(10))  # manual | schedule
    priority: Mapped[int] = mapped_column(default=50)
    records: Mapped[int] = mapped_column(default=0)  # items in the run
    pages: Mapped[int] = mapped_column(default=0)  # result page files
    ok: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    blocked: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    credits: Mapped[int] = mapped_column(default=0)  # credits used (one per item captured)
    frozen: Mapped[int] = mapped_column(default=0)  # credits this run still holds
    block_hits: Mapped[int] = mapped_column(default=0)  # robot checks met, retries included
    fetches: Mapped[int] = mapped_column(default=0)  # pages fetched, retries included
    is_download_generated: Mapped[bool] = mapped_column(default=False)
    download_links: Mapped[str | None] = mapped_column(sa.Text)  # JSON list of {file_name, url, size}
    notification_email: Mapped[str | None] = mapped_column(sa.String(320))
    email_sent: Mapped[bool] = mapped_column(default=False)
    webhooks: Mapped[str | None] = mapped_column(sa.Text)  # JSON: per destination, its delivery outcome
    message: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column()


class RunItem(Base):
    """An item's state within a run: what a resumed run still has to do."""

    __tablename__ = "tracking_run_items"
    __table_args__ = (sa.PrimaryKeyConstraint("run_id", "item_id"), sa.Index("ix_tracking_run_items_state", "run_id", "state"))

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tracking_runs.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column()  # no foreign key: an item deleted mid-run is skipped
    state: Mapped[str] = mapped_column(sa.String(10))  # pending | ok | failed | blocked | skipped
    attempts: Mapped[int] = mapped_column(default=0)
    retry_at: Mapped[datetime | None] = mapped_column()  # a blocked item's next try
    message: Mapped[str | None] = mapped_column(sa.Text)


class Output(TimestampMixin, Base):
    """What one run captured for one item (the dialect's ASINOutput)."""

    __tablename__ = "tracking_outputs"
    __table_args__ = (sa.UniqueConstraint("run_id", "item_id"), sa.Index("ix_tracking_outputs_collection", "collection_id", "id"),
                      sa.Index("ix_tracking_outputs_item", "item_id", "run_id"))  # an item's history

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[int] = mapped_column(sa.ForeignKey("tracking_collections.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tracking_runs.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column()
    asin: Mapped[str] = mapped_column(sa.String(10))
    output_json: Mapped[str] = mapped_column(sa.Text)
    raw_html_key: Mapped[str | None] = mapped_column(sa.Text)  # blob key of the captured page
    updated_at: Mapped[datetime] = mapped_column()
