from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sellerkit.kit.db import Base


class Product(Base):
    """One Amazon product in one marketplace.

    `data` is the whole catalog-format record, as JSON text: the source of truth, so unknown
    fields survive a round trip, and a canonical import line is stored exactly as it came.
    """

    __tablename__ = "products"
    __table_args__ = (sa.UniqueConstraint("marketplace", "asin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    marketplace: Mapped[str] = mapped_column(sa.String(2))
    asin: Mapped[str] = mapped_column(sa.String(10))
    data: Mapped[str] = mapped_column(sa.Text)


class ProductIdentifier(Base):
    """The identifier graph: many codes to many ASINs, per marketplace.

    `key` is the 14-digit GTIN every equivalent form shares (UPC-A, its EAN-13, ISBN-10 and
    ISBN-13), so one index answers whichever form a supplier file carries.
    """

    __tablename__ = "product_identifiers"
    __table_args__ = (
        sa.PrimaryKeyConstraint("marketplace", "key", "asin", "family", "value"),
        sa.Index("ix_product_identifiers_asin", "marketplace", "asin"),
        {"sqlite_with_rowid": False},
    )

    marketplace: Mapped[str] = mapped_column(sa.String(2))
    key: Mapped[str] = mapped_column(sa.String(14))
    asin: Mapped[str] = mapped_column(sa.String(10))
    family: Mapped[str] = mapped_column(sa.String(4))
    value: Mapped[str] = mapped_column(sa.String(14))


class Observation(Base):
    """A point of price/rank history for an ASIN (imported, or seen by scans and look-ups)."""

    __tablename__ = "observations"
    __table_args__ = (sa.UniqueConstraint("marketplace", "asin", "observed_at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    marketplace: Mapped[str] = mapped_column(sa.String(2))
    asin: Mapped[str] = mapped_column(sa.String(10))
    observed_at: Mapped[datetime] = mapped_column()
    buybox_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    rank: Mapped[int | None] = mapped_column()
    amazon_in_stock: Mapped[bool | None] = mapped_column()
    new_offers_count: Mapped[int | None] = mapped_column()
    monthly_sold: Mapped[int | None] = mapped_column()


class CatalogRevision(Base):
    """A counter per marketplace, bumped by every transaction that changes its products, so
    columnar snapshots of the catalog (what scans join against) know when they are stale."""

    __tablename__ = "catalog_revisions"

    marketplace: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    revision: Mapped[int] = mapped_column(sa.BigInteger, default=0)
class InboundEligibility(Base):
    """Amazon's FBA inbound eligibility answer for an ASIN in a marketplace, kept so it is asked
    again only after `eligibility_cache_ttl`. Answers come from the one SP-API authorisation
    the deployment is configured with, so they are shared like the catalog, not per account.
    The rules' estimates are never stored: they follow the catalog record as it changes."""

    __tablename__ = "inbound_eligibility"
    __table_args__ = (sa.PrimaryKeyConstraint("marketplace", "asin"),)

    marketplace: Mapped[str] = mapped_column(sa.String(2))
    asin: Mapped[str] = mapped_column(sa.String(10))
    eligible: Mapped[bool] = mapped_column()
    ineligible_codes: Mapped[str] = mapped_column(sa.Text)  # JSON list of reason codes
    checked_at: Mapped[datetime] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(20))  # who answered: "sp-api"
