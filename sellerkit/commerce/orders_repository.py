"""All SQL of orders: intake, what an item took from which location, the list's filters, users
and their notifications. Every query filters on the tenant's account id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.accounts.models import ApiKey, User
from sellerkit.commerce.models import (InventoryLocation, InventoryMovement, MarketplaceAccount, Order, OrderItem,
                                       OrderPull, Product, ProductImage, Shipment, Variant)
from sellerkit.commerce.repository import _insert, _insert_returning_ids

O = Order.__table__
OI = OrderItem.__table__
L = InventoryLocation.__table__
M = InventoryMovement.__table__
SORTS = {"created_at": O.c.created_at, "updated_at": O.c.updated_at, "purchased_at": O.c.purchased_at,
         "order_status": O.c.status, "order_number": O.c.order_number, "id": O.c.id}


def existing_orders(session: Session, channel_id: int, numbers: Sequence[str]) -> dict[str, Order]:
    found: dict[str, Order] = {}
    for i in range(0, len(numbers), 900):
        for row in session.execute(sa.select(Order).where(Order.marketplace_account_id == channel_id,
                                                          Order.order_number.in_(numbers[i:i + 900]))).scalars():
            found[row.order_number] = row
    return found


def sellables(session: Session, channel_id: int, skus: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """(product id, variant id or None) of each SKU among the channel account's live products and
    their variants; a variant's SKU wins over a product's."""
    found: dict[str, tuple[int, int | None]] = {}
    for i in range(0, len(skus), 900):
        chunk = skus[i:i + 900]
        for sku, pid in session.execute(sa.select(Product.sku, Product.id).where(
                Product.marketplace_account_id == channel_id, Product.deleted_at.is_(None), Product.sku.in_(chunk))):
            found.setdefault(sku, (pid, None))
        for sku, pid, vid in session.execute(
                sa.select(Variant.sku, Variant.product_id, Variant.id).join(Product, Product.id == Variant.product_id)
                .where(Product.marketplace_account_id == channel_id, Product.deleted_at.is_(None),
                       Variant.deleted_at.is_(None), Variant.sku.in_(chunk))):
            found[sku] = (pid, vid)
    return found


def locations_for_update(session: Session, product_id: int, variant_id: int | None) -> list[InventoryLocation]:
    """The stock of a product (its own locations) or of one variant, locked until the
    transaction ends (PostgreSQL: a second order for the same stock waits here and then sees
    what the first one left; SQLite's writer holds the whole database already)."""
    own = InventoryLocation.variant_id.is_(None) if variant_id is None else InventoryLocation.variant_id == variant_id
    return list(session.execute(sa.select(InventoryLocation).where(InventoryLocation.product_id == product_id, own)
                                .order_by(InventoryLocation.priority, InventoryLocation.id).with_for_update())
                .scalars())


def locations_for_update_many(session: Session, keys: set[tuple[int, int | None]]) -> dict[tuple, list]:
    """`locations_for_update` for many (product, variant) stocks in one statement, locked in id
    order (two batches lock shared rows in the same order: no deadlock), each list by priority."""
    found: dict[tuple, list] = {k: [] for k in keys}
    products = sorted({p for p, _ in keys})
    for i in range(0, len(products), 900):
        rows = session.execute(sa.select(L.c.id, L.c.product_id, L.c.variant_id, L.c.location, L.c.quantity,
                                         L.c.priority, L.c.delete_if_empty)
                               .where(L.c.product_id.in_(products[i:i + 900])).order_by(L.c.id).with_for_update())
        for row in rows:
            key = (row.product_id, row.variant_id)
            if key in found:
                found[key].append(row)
    for rows in found.values():
        rows.sort(key=lambda r: (r.priority, r.id))
    return found


def insert_orders(session: Session, rows: list[dict]) -> list[int]:
    return _insert_returning_ids(session, O, rows)


def insert_items(session: Session, rows: list[dict]) -> list[int]:
    return _insert_returning_ids(session, OI, rows)


def insert_movements(session: Session, rows: list[dict]) -> None:
    _insert(session, M, rows)


def apply_takes(session: Session, taken: dict[int, int], removed: list[int], at: datetime) -> None:
    """Locations after a sale: `taken[id]` units move from quantity to awaiting_pick; `removed`
    ones (delete_if_empty, emptied) go."""
    if taken:
        session.execute(sa.update(L).where(L.c.id == sa.bindparam("lid")).values(
            quantity=L.c.quantity - sa.bindparam("n"), awaiting_pick=L.c.awaiting_pick + sa.bindparam("n"),
            updated_at=at), [{"lid": i, "n": n} for i, n in taken.items()])
    if removed:
        session.execute(sa.delete(L).where(L.c.id.in_(removed)))


def add_counts_many(session: Session, counts: dict[tuple[int, int | None], tuple[int, int]], at: datetime) -> None:
    """(awaiting_pick, awaiting_paid) added per (product, variant); each product touched once."""
    P, V = Product.__table__, Variant.__table__
    per_product: dict[int, list[int]] = {}
    for (pid, vid), (pick, paid) in counts.items():
        total = per_product.setdefault(pid, [0, 0])
        total[0] += pick
        total[1] += paid
    if per_product:
        session.execute(sa.update(P).where(P.c.id == sa.bindparam("pid")).values(
            awaiting_pick=P.c.awaiting_pick + sa.bindparam("pick"), awaiting_paid=P.c.awaiting_paid + sa.bindparam("paid"),
            updated_at=at, version=P.c.version + 1),
            [{"pid": p, "pick": t[0], "paid": t[1]} for p, t in sorted(per_product.items())])
    variants = [{"vid": vid, "pick": pick, "paid": paid} for (_, vid), (pick, paid) in counts.items() if vid is not None]
    if variants:
        session.execute(sa.update(V).where(V.c.id == sa.bindparam("vid")).values(
            awaiting_pick=V.c.awaiting_pick + sa.bindparam("pick"), awaiting_paid=V.c.awaiting_paid + sa.bindparam("paid")),
            variants)


def orders_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Order]:
    found: dict[int, Order] = {}
    for i in range(0, len(ids), 900):
        for row in session.execute(sa.select(Order).where(Order.id.in_(ids[i:i + 900]))).scalars():
            found[row.id] = row
    return found


def sale_movements(session: Session, item_ids: Sequence[int]) -> list[InventoryMovement]:
    if not item_ids:
        return []
    return list(session.execute(sa.select(InventoryMovement).where(InventoryMovement.order_item_id.in_(item_ids),
                                                                   InventoryMovement.kind == "sale")
                                .order_by(InventoryMovement.id)).scalars())


def add_counts(session: Session, product_id: int, variant_id: int | None, *, pick: int = 0, paid: int = 0) -> None:
    """Add to the awaiting_pick and awaiting_paid counts of a product (and of its variant)."""
    if not pick and not paid:
        return
    values = {"awaiting_pick": Product.awaiting_pick + pick, "awaiting_paid": Product.awaiting_paid + paid}
    session.execute(sa.update(Product).where(Product.id == product_id).values(**values))
    if variant_id is not None:
        session.execute(sa.update(Variant).where(Variant.id == variant_id).values(
            awaiting_pick=Variant.awaiting_pick + pick, awaiting_paid=Variant.awaiting_paid + paid))


def items_of(session: Session, order_ids: Sequence[int]) -> dict[int, list[OrderItem]]:
    found: dict[int, list[OrderItem]] = {i: [] for i in order_ids}
    for i in range(0, len(order_ids), 900):
        for row in session.execute(sa.select(OrderItem).where(OrderItem.order_id.in_(order_ids[i:i + 900]))
                                   .order_by(OrderItem.id)).scalars():
            found[row.order_id].append(row)
    return found


def order_for_update(session: Session, account_id: int, order_id: int) -> Order | None:
    return session.execute(sa.select(Order).where(Order.id == order_id, Order.account_id == account_id)
                           .with_for_update()).scalar_one_or_none()


def add_shipment(session: Session, row: Shipment) -> None:
    session.add(row)


def orders_page(session: Session, account_id: int, f: dict, sort: str | None, descending: bool,
                offset: int, limit: int) -> list[Order]:
    q = sa.select(Order).where(Order.account_id == account_id, Order.deleted_at.is_(None))
    if (v := f.get("buyer_name")) is not None:
        needle = v.lower()
        q = q.where(sa.or_(sa.func.lower(Order.buyer_name).contains(needle, autoescape=True),
                           sa.func.lower(Order.buyer_username).contains(needle, autoescape=True)))
    if (v := f.get("order_number")) is not None:
        q = q.where(Order.order_number.startswith(v, autoescape=True))
    if (v := f.get("order_status")) is not None:
        q = q.where(Order.status == v)
    if (v := f.get("marketplace_account_id")) is not None:
        q = q.where(Order.marketplace_account_id == v)
    for name in ("created_at", "updated_at", "purchased_at"):
        column = SORTS[name]
        if (v := f.get(f"{name}_start")) is not None:
            q = q.where(column >= v)
        if (v := f.get(f"{name}_end")) is not None:
            q = q.where(column <= v)
    key = SORTS[sort or "id"]
    order = (key.desc(), O.c.id.desc()) if descending else (key.asc(), O.c.id.asc())
    return list(session.execute(q.order_by(*order).offset(offset).limit(limit)).scalars())


# ---- users -------------------------------------------------------------------------------------


def user_of_key(session: Session, key_id: int) -> int | None:
    return session.execute(sa.select(ApiKey.user_id).where(ApiKey.id == key_id)).scalar_one_or_none()


def subscribers(session: Session, account_id: int) -> list[User]:
    """The account's users with a webhook URL (their push_notifications say for which channels)."""
    return list(session.execute(sa.select(User).where(User.account_id == account_id, User.webhook_url.is_not(None))
                                .order_by(User.id)).scalars())


def touch(session: Session, model, row_id: int, now: datetime) -> None:
    session.execute(sa.update(model).where(model.id == row_id).values(updated_at=now))


def last_image_position(session: Session, product_id: int) -> int:
    return session.execute(sa.select(sa.func.max(ProductImage.position))
                           .where(ProductImage.product_id == product_id)).scalar() or 0


def insert_url_images(session: Session, images: list[tuple[int, int, str]], now: datetime) -> None:
    """A new product's images given as outside URLs (a listing's `image_urls`), kept as given."""
    rows, position = [], {}
    for account_id, product_id, url in images:
        position[product_id] = position.get(product_id, 0) + 1
        rows.append({"account_id": account_id, "product_id": product_id, "group_name": "primary",
                     "position": position[product_id], "original_url": url, "created_at": now})
    _insert(session, ProductImage.__table__, rows)


# ---- channel pulls and shipment confirmations (issue 22) ---------------------------------------


def order_pull(session: Session, channel: MarketplaceAccount, lock: bool = False) -> OrderPull:
    """The channel account's pull row, made on first use (two first pulls at once: the unique
    constraint keeps one, the loser reads it)."""
    q = sa.select(OrderPull).where(OrderPull.marketplace_account_id == channel.id)
    row = session.execute(q.with_for_update() if lock else q).scalar_one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(OrderPull(account_id=channel.account_id, marketplace_account_id=channel.id))
        except sa.exc.IntegrityError:
            pass
        row = session.execute(q.with_for_update() if lock else q).scalar_one()
    return row


def live_channels(session: Session, marketplaces: Sequence[str], account_id: int | None = None) -> list[MarketplaceAccount]:
    q = sa.select(MarketplaceAccount).where(MarketplaceAccount.marketplace.in_(marketplaces),
                                            MarketplaceAccount.deleted_at.is_(None), MarketplaceAccount.active.is_(True))
    if account_id is not None:
        q = q.where(MarketplaceAccount.account_id == account_id)
    return list(session.execute(q.order_by(MarketplaceAccount.id)).scalars())


def recently_pulled(session: Session, channel_ids: Sequence[int], cutoff: datetime) -> set[int]:
    """Of these channel accounts, those pulled since `cutoff` (or being pulled now)."""
    if not channel_ids:
        return set()
    return set(session.execute(sa.select(OrderPull.marketplace_account_id).where(
        OrderPull.marketplace_account_id.in_(channel_ids),
        sa.or_(OrderPull.pulled_at >= cutoff, OrderPull.lease_until >= cutoff))).scalars())


def pending_shipments(session: Session, *, order_id: int | None = None, due_before: datetime | None = None,
                      limit: int = 1000) -> list[int]:
    q = sa.select(Shipment.id).where(Shipment.channel_status == "pending")
    if order_id is not None:
        q = q.where(Shipment.order_id == order_id)
    if due_before is not None:
        q = q.where(Shipment.next_attempt_at < due_before)
    return list(session.execute(q.order_by(Shipment.id).limit(limit)).scalars())


def claim_shipment(session: Session, shipment_id: int, attempts: int, hold_until: datetime) -> bool:
    """Take one attempt of a pending shipment (its attempts compared and raised in one UPDATE),
    so a shipment enqueued twice (after the commit and by the sweep) is sent once per attempt."""
    return bool(session.execute(sa.update(Shipment).where(
        Shipment.id == shipment_id, Shipment.attempts == attempts, Shipment.channel_status == "pending")
        .values(attempts=attempts + 1, next_attempt_at=hold_until).execution_options(synchronize_session=False))
        .rowcount)


def set_shipment(session: Session, shipment_id: int, values: dict) -> None:
    session.execute(sa.update(Shipment).where(Shipment.id == shipment_id).values(**values)
                    .execution_options(synchronize_session=False))


def latest_shipment(session: Session, order_id: int) -> Shipment | None:
    return session.execute(sa.select(Shipment).where(Shipment.order_id == order_id)
                           .order_by(Shipment.id.desc()).limit(1)).scalar_one_or_none()
