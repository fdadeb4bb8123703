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


def channel_accounts_by_ids(session: Session, account_id: int, ids: Iterable[int]) -> list[MarketplaceAccount]:
    """The account's channel accounts of `ids`, removed ones too (their orders and products stay)."""
    ids = sorted(set(ids))
    if not ids:
        return []
    return list(session.execute(sa.select(MarketplaceAccount).where(
        MarketplaceAccount.account_id == account_id, MarketplaceAccount.id.in_(ids))).scalars())


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


def list_status_counts(session: Session, manifest_id: int) -> dict[str, int]:
    rows = session.execute(sa.select(PL.c.list_status, sa.func.count()).where(PL.c.manifest_id == manifest_id)
                           .group_by(PL.c.list_status))
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


def insert_listings(session: Session, rows: list[dict]) -> list[int]:
    return _insert_returning_ids(session, PL, rows)


def insert_variant_listings(session: Session, rows: list[dict]) -> None:
    _insert(session, VL, rows)


def _insert_returning_ids(session: Session, table: sa.Table, rows: list[dict]) -> list[int]:
    """Insert rows in one statement; their ids, in the rows' order."""
    if not rows:
        return []
    stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(stmt, rows).scalars())


def _insert(session: Session, table: sa.Table, rows: list[dict]) -> None:
    if rows:
        session.execute(sa.insert(table), rows)


def update_rows(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """Update rows by `_id`, rows with the same columns in one executemany (not a statement a
    row, as the ORM's flush does on SQLite)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for columns, group in groups.items():
        stmt = table.update().where(table.c.id == sa.bindparam("_id")).values(
            {c: sa.bindparam(c) for c in columns if c != "_id"})
        session.execute(stmt.execution_options(synchronize_session=False), group)


def set_marketplace_status(session: Session, products: Sequence[Product], status: str) -> None:
    """The products' `marketplace_status`, in one UPDATE per 900 (the loaded objects kept in step)."""
    from sqlalchemy.orm.attributes import set_committed_value

    for chunk in _chunks([p.id for p in products]):
        session.execute(sa.update(P).where(P.c.id.in_(chunk)).values(marketplace_status=status)
                        .execution_options(synchronize_session=False))
    for p in products:
        set_committed_value(p, "marketplace_status", status)


def _chunks(values: Sequence, size: int = 900):
    for i in range(0, len(values), size):
        yield values[i:i + size]


# ---- products ----------------------------------------------------------------------------------


def live_products_by_sku(session: Session, channel_id: int, skus: Iterable[str], lock: bool = True
                         ) -> dict[str, Product]:
    """The channel account's live products with these SKUs (locked for the transaction unless
    `lock` is false)."""
    found: dict[str, Product] = {}
    for chunk in _chunks(list(skus)):
        q = sa.select(Product).where(Product.marketplace_account_id == channel_id, Product.deleted_at.is_(None),
                                     Product.sku.in_(chunk))
        for row in session.execute(q.with_for_update() if lock else q).scalars():
            found[row.sku] = row
    return found


def insert_products(session: Session, rows: list[dict]) -> list[int]:
    return _insert_returning_ids(session, P, rows)


def insert_variants(session: Session, rows: list[dict]) -> list[int]:
    return _insert_returning_ids(session, V, rows)


def insert_locations(session: Session, rows: list[dict]) -> None:
    _insert(session, L, rows)


def replace_tags(session: Session, account_id: int, product_id: int, tags: Iterable[str]) -> None:
    session.execute(sa.delete(T).where(T.c.product_id == product_id))
    rows = [{"account_id": account_id, "tag": t, "product_id": product_id} for t in sorted(set(tags))]
    if rows:
        session.execute(sa.insert(T), rows)


def insert_tags(session: Session, rows: list[dict]) -> None:
    _insert(session, T, rows)


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
    if (v := filters.get("tags_key")) is not None:
        q = q.where(P.c.tags_key == v)
    order = P.c.id
    if (v := filters.get("tag")) is not None:
        # driven by the tag's rows, which its primary key keeps in product order: no sort of
        # every product that has the tag to find the first page
        q = q.join(T, T.c.product_id == P.c.id).where(T.c.account_id == account_id, T.c.tag == v)
        order = T.c.product_id
    return list(session.execute(q.order_by(order).offset(offset).limit(limit)).scalars())


PLANNER_STATS_AFTER = 1_000  # products added at once after which SQLite's planner statistics are refreshed


def refresh_planner_stats(session: Session) -> None:
    """SQLite chooses indexes from `ANALYZE` statistics; without them a date range is preferred
    over a far more selective equality (a product list went from 0.1 to 18 ms). About 0.1 s per
    100,000 products; PostgreSQL keeps its own statistics (autovacuum)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("ANALYZE commerce_products"))
        session.execute(sa.text("ANALYZE commerce_product_tags"))


def products_by_ids(session: Session, ids: Sequence[int]) -> list[Product]:
    if not ids:
        return []
    rows = {p.id: p for p in session.execute(sa.select(Product).where(Product.id.in_(ids))).scalars()}
    return [rows[i] for i in ids if i in rows]


def _by_product(session: Session, model, product_ids: Sequence[int], *order, live: bool = False) -> dict[int, list]:
    """Rows of `model` of each product (variants, locations, images), in `order`."""
    found: dict[int, list] = {i: [] for i in product_ids}
    for chunk in _chunks(list(product_ids)):
        q = sa.select(model).where(model.product_id.in_(chunk))
        if live:
            q = q.where(model.deleted_at.is_(None))
        for row in session.execute(q.order_by(*order)).scalars():
            found[row.product_id].append(row)
    return found


def variants_of(session: Session, product_ids: Sequence[int]) -> dict[int, list[Variant]]:
    return _by_product(session, Variant, product_ids, Variant.position, Variant.id, live=True)


def locations_of(session: Session, product_ids: Sequence[int]) -> dict[int, list[InventoryLocation]]:
    return _by_product(session, InventoryLocation, product_ids, InventoryLocation.priority, InventoryLocation.id)


def images_of(session: Session, product_ids: Sequence[int]) -> dict[int, list[ProductImage]]:
    return _by_product(session, ProductImage, product_ids, ProductImage.position, ProductImage.id)


def touch_product(session: Session, product_id: int, now: datetime | None = None) -> None:
    session.execute(sa.update(P).where(P.c.id == product_id).values(updated_at=now or utcnow(),
                                                                     version=P.c.version + 1))


def linked_products(session: Session, account_id: int, product: Product) -> list[Product]:
    """The account's other live products of the same SKU (on its other channel accounts)."""
    return list(session.execute(sa.select(Product).where(
        Product.account_id == account_id, Product.sku == product.sku, Product.id != product.id,
        Product.deleted_at.is_(None)).with_for_update()).scalars())
