"""All SQL about listings on live channels (`commerce_channel_listings`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.commerce.models import ChannelListing, InventoryLocation, ProductListing
from sellerkit.commerce.repository import _chunks, _insert

CL = ChannelListing.__table__


def of_products(session: Session, product_ids: Sequence[int]) -> dict[int, ChannelListing]:
    found: dict[int, ChannelListing] = {}
    for chunk in _chunks(list(product_ids)):
        for row in session.scalars(sa.select(ChannelListing).where(ChannelListing.product_id.in_(chunk))):
            found[row.product_id] = row
    return found


def insert(session: Session, rows: list[dict]) -> None:
    _insert(session, CL, rows)


def mark_changed(session: Session, product_ids: Sequence[int], now: datetime) -> None:
    """A patch becomes pending for those of the products listed on a live channel with nothing
    pending; a patch already pending keeps its first change's time (the debounce window runs
    from it), and a put or delete pending sends the product's state anyway."""
    for chunk in _chunks(sorted(set(product_ids))):
        session.execute(sa.update(CL).where(CL.c.product_id.in_(chunk), CL.c.pending.is_(None))
                        .values(pending="patch", changed_at=now, due_at=None, updated_at=now)
                        .execution_options(synchronize_session=False))


def claim_due(session: Session, now: datetime, lease_until: datetime, *, kinds: Sequence[str],
              patch_before: datetime | None = None, manifest_id: int | None = None,
              limit: int = 10_000) -> list[ChannelListing]:
    """Pending work that is due, taken for this run until `lease_until` (another run, or the
    sweep, does not take it meanwhile; a run that dies leaves it due again then). A patch is
    due once its first change is older than the debounce window (`patch_before`)."""
    due = sa.or_(CL.c.due_at.is_(None), CL.c.due_at <= now)
    kinds_due = []
    for kind in kinds:
        cond = sa.and_(CL.c.pending == kind, due)
        if kind == "patch" and patch_before is not None:
            cond = sa.and_(cond, CL.c.changed_at <= patch_before)
        kinds_due.append(cond)
    q = sa.select(CL.c.id).where(sa.or_(*kinds_due)).order_by(CL.c.id).limit(limit)
    if manifest_id is not None:
        q = q.where(CL.c.manifest_id == manifest_id)
    ids = list(session.scalars(q))
    taken: list[int] = []
    for chunk in _chunks(ids):
        # the same condition again: a row another run took between the select and here stays its
        session.execute(sa.update(CL).where(CL.c.id.in_(chunk), sa.or_(*kinds_due))
                        .values(due_at=lease_until).execution_options(synchronize_session=False))
        taken += list(session.scalars(sa.select(CL.c.id).where(CL.c.id.in_(chunk), CL.c.due_at == lease_until)))
    rows: list[ChannelListing] = []
    for chunk in _chunks(taken):
        rows += list(session.scalars(sa.select(ChannelListing).where(ChannelListing.id.in_(chunk))
                                     .order_by(ChannelListing.id)))
    return rows


def manifest_counts(session: Session, manifest_id: int) -> dict[str, int]:
    """The manifest's channel listings by state: `pending` (not answered yet), `okay` and
    `refused` (by the verdict of their last answer)."""
    rows = session.execute(sa.select(CL.c.pending.is_not(None), CL.c.list_status, sa.func.count())
                           .where(CL.c.manifest_id == manifest_id)
                           .group_by(CL.c.pending.is_not(None), CL.c.list_status)).all()
    out = {"pending": 0, "okay": 0, "refused": 0}
    for waiting, status, n in rows:
        key = "pending" if waiting else ("okay" if status in (None, "okay_to_ship") else "refused")
        out[key] += n
    return out


def last_error(session: Session, manifest_id: int) -> str | None:
    """Why one of the manifest's pending listings got no answer, if one did not."""
    return session.scalar(sa.select(CL.c.last_error).where(CL.c.manifest_id == manifest_id, CL.c.pending.is_not(None),
                                                           CL.c.last_error.is_not(None)).limit(1))


def quantities(session: Session, product_ids: Sequence[int]) -> dict[int, int]:
    """Each product's quantity available: the sum of its locations (its variants' included)."""
    out = dict.fromkeys(product_ids, 0)
    L = InventoryLocation.__table__
    for chunk in _chunks(list(product_ids)):
        for pid, total in session.execute(sa.select(L.c.product_id, sa.func.sum(L.c.quantity))
                                          .where(L.c.product_id.in_(chunk)).group_by(L.c.product_id)):
            out[pid] = int(total or 0)
    return out


def latest_listings(session: Session, product_ids: Sequence[int]) -> dict[int, ProductListing]:
    """The manifest listing each product was last made or merged from."""
    out: dict[int, ProductListing] = {}
    for chunk in _chunks(list(product_ids)):
        for row in session.scalars(sa.select(ProductListing).where(ProductListing.product_id.in_(chunk))
                                   .order_by(ProductListing.id)):
            out[row.product_id] = row  # the last one wins
    return out
