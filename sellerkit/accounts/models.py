from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sellerkit.kit.db import Base, TimestampMixin


class Account(TimestampMixin, Base):
    """A tenant: every seller-owned row carries its id."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # None: no active subscription (keys authenticate, paid routes answer 403).
    plan: Mapped[str | None] = mapped_column(sa.String(20))


class User(TimestampMixin, Base):
    """A person of an account; every API key belongs to one. `push_notifications` maps an event
    (`order_created`) to the commerce marketplace accounts whose events reach `webhook_url`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20), default="super_user")
    user_type: Mapped[str] = mapped_column(sa.String(20), default="client")
    webhook_url: Mapped[str | None] = mapped_column(sa.Text)
    push_notifications: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: event -> [ids]
    updated_at: Mapped[datetime | None] = mapped_column()
    # Dashboard sign-in (sellerkit.accounts.passwords): stored lower-case; argon2id hash.
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    password_changed_at: Mapped[datetime | None] = mapped_column()


class ApiKey(TimestampMixin, Base):
    """A public partner id beside a secret that is stored only as its SHA-256."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    partner_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_hint: Mapped[str] = mapped_column(sa.String(12))
    rate_limit_rps: Mapped[int | None] = mapped_column()
    rotated_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class TokenUsage(Base):
    """Tokens an account used on one UTC day: the persisted side of the daily allowance.

    Never read per request: the limits store counts in memory (or in Redis) and writes here
    every few seconds and at shutdown, adding what it used (`used = used + n`), so several
    processes' counts add up; a (re)starting process reads today's rows once."""

    __tablename__ = "token_usage"
    __table_args__ = (sa.PrimaryKeyConstraint("account_id", "day"),)

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    used: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column()
