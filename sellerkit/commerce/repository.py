"""All SQL of the commerce core: channel accounts, contacts, templates, manifests, listings,
products, variants and inventory locations. Every query filters on the tenant's account id."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.commerce.models import (IdKey, InventoryLocation, Manifest, MarketplaceAccount, Product,
                                       ProductImage, ProductListing, ProductTag, ShipFromAddress, Supplier,
                                       Template, Variant, VariantListing)
from sellerkit.kit.db import insert_ignoring_conflicts, utcnow

P = Product.__table__
V = Variant.__table__
L = InventoryLocation.__table__
PL = ProductListing.__table__
VL = VariantListing.__table__
T = ProductTag.__table__


def stored_id_key(session: Session) -> bytes | None:
    return session.execute(sa.select(IdKey.key).where(IdKey.id == 1)).scalar_one_or_none()


def id_key(session: Session) -> bytes:
    """The installation's id key; made here if the row is missing (a truncated test database)."""
    key = stored_id_key(session)
    if key is None:
        insert_ignoring_conflicts(session, IdKey.__table__, [{"id": 1, "key": os.urandom(32)}])
        key = session.execute(sa.select(IdKey.key).where(IdKey.id == 1)).scalar_one()
    return key


def add(session: Session, row):
    session.add(row)
    session.flush()
    return row


def owned(session: Session, model, account_id: int, row_id: int, with_deleted: bool = False):
    """The row if it belongs to the account; soft-deleted rows only when asked (for the 410)."""
    row = session.get(model, row_id)
    if row is None or row.account_id != account_id:
        return None
    if not with_deleted and getattr(row, "deleted_at", None) is not None:
        return None
    return row


def owned_for_update(session: Session, model, account_id: int, row_id: int):
    """`owned`, with the row locked until the transaction ends (PostgreSQL; SQLite's writer
    already holds the database)."""
    row = session.execute(sa.select(model).where(model.id == row_id, model.account_id == account_id)
                          .with_for_update()).scalar_one_or_none()
    return row


# ---- channel accounts, contacts, templates -----------------------------------------------------


def channel_accounts(session: Session, account_id: int) -> list[MarketplaceAccount]:
    return list(session.execute(sa.select(MarketplaceAccount).where(
        MarketplaceAccount.account_id == account_id, MarketplaceAccount.deleted_at.is_(None))
        .order_by(MarketplaceAccount.id)).scalars())


def contacts(session: Session, model, account_id: int) -> list:
    return list(session.execute(sa.select(model).where(model.account_id == account_id)
                                .order_by(model.id)).scalars())


# ---- manifests ---------------------------------------------------------------------------------


def next_manifest_number(session: Session, account_id: int) -> int:
    last = session.execute(sa.select(sa.func.max(Manifest.number)).where(Manifest.account_id == account_id)).scalar()
    return (last or 0) + 1


def manifests_page(session: Session, account_id: int, channel_id: int | None, folder: str | None,
                   offset: int, limit: int) -> list[Manifest]:
    q = sa.select(Manifest).where(Manifest.account_id == account_id, Manifest.deleted_at.is_(None))
    if channel_id is not None:
        q = q.where(Manifest.marketplace_account_id == channel_id)
    if folder is not None:
        q = q.where(Manifest.folder == folder)
    return list(session.execute(q.order_by(Manifest.id.desc()).offset(offset).limit(limit)).scalars())


def listing_counts(session: Session, manifest_ids: Sequence[int]) -> dict[int, int]:
    if not manifest_ids:
        return {}
    rows = session.execute(sa.select(PL.c.manifest_id, sa.func.count()).where(PL.c.manifest_id.in_(manifest_ids))
                           .group_by(PL.c.manifest_id))
    return dict(rows.all())


def claim_submission(session: Session, manifest_id: int, now: datetime, stale_before: datetime) -> bool:
    """Mark a manifest as being submitted, unless a live submission holds it: one statement,
    so two requests cannot both claim it."""
    stmt = (sa.update(Manifest).where(Manifest.id == manifest_id, sa.or_(
        Manifest.submitting_since.is_(None), Manifest.submitting_since < stale_before))
        .values(submitting_since=now, status="submitting", updated_at=now))
    return session.execute(stmt).rowcount == 1


# ---- listings ----------------------------------------------------------------------------------


def listings_page(session: Session, manifest_id: int, created_from: datetime | None, created_to: datetime | None,
                  offset: int, limit: int) -> list[ProductListing]:
    q = sa.select(ProductListing).where(ProductListing.manifest_id == manifest_id)
    if created_from is not None:
        q = q.where(ProductListing.created_at >= created_from)
    if created_to is not None:
        q = q.where(ProductListing.created_at < created_to)
    return list(session.execute(q.order_by(ProductListing.id).offset(offset).limit(limit)).scalars())


def all_listings(session: Session, manifest_id: int) -> list[ProductListing]:
    return list(session.execute(sa.select(ProductListing).where(ProductListing.manifest_id == manifest_id)
                                .order_by(ProductListing.id)).scalars())


def variant_listings(session: Session, listing_ids: Sequence[int]) -> dict[int, list[VariantListing]]:
    found: dict[int, list[VariantListing]] = {i: [] for i in listing_ids}
    if listing_ids:
        for chunk in _chunks(listing_ids):
            for row in session.execute(sa.select(VariantListing).where(VariantListing.product_listing_id.in_(chunk))
                                       .order_by(VariantListing.position, VariantListing.id)).scalars():
                found[row.product_listing_id].append(row)
    return found


def manifest_skus(session: Session, manifest_id: int) -> dict[str, int]:
    """How many listings of the manifest carry each SKU."""
    rows = session.execute(sa.select(PL.c.sku, sa.func.count()).where(PL.c.manifest_id == manifest_id,
                                                                       PL.c.sku.is_not(None)).group_by(PL.c.sku))
    return dict(rows.all())


def product_asins_by_sku(session: Session, channel_id: int, skus: Iterable[str]) -> dict[str, str | None]:
    """The ASIN of each live product of the channel account with one of these SKUs."""
    found: dict[str, str | None] = {}
    for chunk in _chunks(list(skus)):
        rows = session.execute(sa.select(P.c.sku, P.c.asin).where(P.c.marketplace_account_id == channel_id,
                                                                  P.c.deleted_at.is_(None), P.c.sku.in_(chunk)))
        found.update(rows.all())
    return found


def insert_listings(session: Session, rows: list[dict]) -> list[int]:
    """Insert listing rows and return their ids, in order."""
    if not rows:
        return []
    return list(session.execute(sa.insert(PL).returning(PL.c.id, sort_by_parameter_order=True), rows).scalars())


def insert_variant_listings(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(sa.insert(VL), rows)


def _chunks(values: Sequence, size: int = 900):
    for i in range(0, len(values), size):
        yield values[i:i + size]


# ---- products ----------------------------------------------------------------------------------


def live_products_by_sku(session: Session, channel_id: int, skus: Sequence[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for chunk in _chunks(list(skus)):
        for row in session.execute(sa.select(Product).where(Product.marketplace_account_id == channel_id,
                                                            Product.deleted_at.is_(None), Product.sku.in_(chunk))
                                   .with_for_update()).scalars():
            found[row.sku] = row
    return found


def insert_products(session: Session, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    return list(session.execute(sa.insert(P).returning(P.c.id, sort_by_parameter_order=True), rows).scalars())


def insert_variants(session: Session, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    return list(session.execute(sa.insert(V).returning(V.c.id, sort_by_parameter_order=True), rows).scalars())


def insert_locations(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(sa.insert(L), rows)


def replace_tags(session: Session, account_id: int, product_id: int, tags: Iterable[str]) -> None:
    session.execute(sa.delete(T).where(T.c.product_id == product_id))
    rows = [{"account_id": account_id, "tag": t, "product_id": product_id} for t in sorted(set(tags))]
    if rows:
        session.execute(sa.insert(T), rows)


def insert_tags(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(sa.insert(T), rows)


def product_ids_page(session: Session, account_id: int, filters: dict, offset: int, limit: int) -> list[int]:
    """Ids of the account's live products matching the reference's filters, oldest first."""
    q = sa.select(P.c.id).where(P.c.account_id == account_id, P.c.deleted_at.is_(None))
    if (v := filters.get("marketplace_account_id")) is not None:
        q = q.where(P.c.marketplace_account_id == v)
    if (v := filters.get("sku")) is not None:
        q = q.where(P.c.sku == v)
    if (v := filters.get("asin")) is not None:
        q = q.where(P.c.asin == v)
    if (v := filters.get("upc")) is not None:
        q = q.where(P.c.upc_key == v)
    if (v := filters.get("marketplace_id")) is not None:
        q = q.where(P.c.marketplace_id == v)
    for column, start, end in ((P.c.created_at, "created_at_start", "created_at_end"),
                               (P.c.updated_at, "updated_at_start", "updated_at_end")):
        if (v := filters.get(start)) is not None:
            q = q.where(column >= v)
        if (v := filters.get(end)) is not None:
            q = q.where(column <= v)
    if (v := filters.get("tag")) is not None:
        q = q.where(P.c.id.in_(sa.select(T.c.product_id).where(T.c.account_id == account_id, T.c.tag == v)))
    if (v := filters.get("tags_key")) is not None:
        q = q.where(P.c.tags_key == v)
    return list(session.execute(q.order_by(P.c.id).offset(offset).limit(limit)).scalars())


def products_by_ids(session: Session, ids: Sequence[int]) -> list[Product]:
    if not ids:
        return []
    rows = {p.id: p for p in session.execute(sa.select(Product).where(Product.id.in_(ids))).scalars()}
    return [rows[i] for i in ids if i in rows]


def variants_of(session: Session, product_ids: Sequence[int]) -> dict[int, list[Variant]]:
    found: dict[int, list[Variant]] = {i: [] for i in product_ids}
    for chunk in _chunks(list(product_ids)):
        for row in session.execute(sa.select(Variant).where(Variant.product_id.in_(chunk), Variant.deleted_at.is_(None))
                                   .order_by(Variant.position, Variant.id)).scalars():
            found[row.product_id].append(row)
    return found


def locations_of(session: Session, product_ids: Sequence[int]) -> dict[int, list[InventoryLocation]]:
    found: dict[int, list[InventoryLocation]] = {i: [] for i in product_ids}
    for chunk in _chunks(list(product_ids)):
        for row in session.execute(sa.select(InventoryLocation).where(InventoryLocation.product_id.in_(chunk))
                                   .order_by(InventoryLocation.priority, InventoryLocation.id)).scalars():
            found[row.product_id].append(row)
    return found


def images_of(session: Session, product_ids: Sequence[int]) -> dict[int, list[ProductImage]]:
    found: dict[int, list[ProductImage]] = {i: [] for i in product_ids}
    for chunk in _chunks(list(product_ids)):
        for row in session.execute(sa.select(ProductImage).where(ProductImage.product_id.in_(chunk))
                                   .order_by(ProductImage.position, ProductImage.id)).scalars():
            found[row.product_id].append(row)
    return found


def touch_product(session: Session, product_id: int, now: datetime | None = None) -> None:
    session.execute(sa.update(P).where(P.c.id == product_id).values(updated_at=now or utcnow(),
                                                                     version=P.c.version + 1))


def linked_products(session: Session, account_id: int, product: Product) -> list[Product]:
    """The account's other live products of the same SKU (on its other channel accounts)."""
    return list(session.execute(sa.select(Product).where(
        Product.account_id == account_id, Product.sku == product.sku, Product.id != product.id,
        Product.deleted_at.is_(None)).with_for_update()).scalars())
