from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sellerkit.kit.db import Base


class ProviderConnection(Base):
    """One seller account's credentials for one provider (`sellerkit providers connect`).

    `secret` is encrypted with SELLERKIT_SECRET_KEY (AES-GCM, `connections.Cipher`); it is never
    logged and never returned by any route. `marketplaces` is a JSON list of marketplace codes it serves."""

    __tablename__ = "provider_connections"
    __table_args__ = (sa.UniqueConstraint("account_id", "provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(sa.String(20))  # "spapi", "keepa"
    seller_id: Mapped[str | None] = mapped_column(sa.String(40))
    marketplaces: Mapped[str] = mapped_column(sa.Text, default="[]")
    secret: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class ProviderMiss(Base):
    """A code (identifier key, or ASIN for other kinds) a provider answered it does not know,
    remembered for `ttl_misses` so a rescan does not ask again. Shared like the catalog."""

    __tablename__ = "provider_misses"
    __table_args__ = (sa.PrimaryKeyConstraint("marketplace", "kind", "code"),)

    marketplace: Mapped[str] = mapped_column(sa.String(2))
    kind: Mapped[str] = mapped_column(sa.String(20))  # providers.base.KINDS
    code: Mapped[str] = mapped_column(sa.String(14))
    reason: Mapped[str] = mapped_column(sa.Text)
    provider: Mapped[str] = mapped_column(sa.String(20))
    observed_at: Mapped[datetime] = mapped_column()
