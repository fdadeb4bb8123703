"""All SQL about tracked collections, their items, runs, outputs, postcodes and credits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.kit.db import utcnow
from sellerkit.tracking.models import Collection, Item, Output, Run, RunItem, TrackingAccount, Zipcode

A, C, I, R, RI, O, Z = (m.__table__ for m in (TrackingAccount, Collection, Item, Run, RunItem, Output, Zipcode))


def _owned(session: Session, model, account_id: int | None, row_id: int):
    """The row if it belongs to the account (any account's for `None`: workers, the operator)."""
    row = session.get(model, row_id)
    if row is None or (account_id is not None and row.account_id != account_id):
        return None
    return row


def add(session: Session, row):
    session.add(row)
    session.flush()
    return row


# ---- accounts: credits and time zone ----------------------------------------------------------

def account(session: Session, account_id: int, credits: int, timezone: str, lock: bool = False) -> TrackingAccount:
    """The account's row, made with `credits` and `timezone` on first use; `lock` holds it for
    the transaction (two runs of one account cannot both pass the credit gate)."""
    stmt = sa.select(TrackingAccount).where(TrackingAccount.account_id == account_id)
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        row = add(session, TrackingAccount(account_id=account_id, available_credits=credits, used_credits=0,
                                           frozen_credits=0, timezone=timezone, updated_at=utcnow()))
    return row


def change_credits(session: Session, account_id: int, *, frozen: int = 0, used: int = 0) -> None:
    session.execute(A.update().where(A.c.account_id == account_id).values(
        frozen_credits=A.c.frozen_credits + frozen, used_credits=A.c.used_credits + used, updated_at=utcnow()))


# ---- postcodes ------------------------------------------------------------------------------------

def zipcode(session: Session, account_id: int | None, zipcode_id: int) -> Zipcode | None:
    return _owned(session, Zipcode, account_id, zipcode_id)


def zipcode_by_value(session: Session, account_id: int, domain_id: int, value: str) -> Zipcode | None:
    return session.execute(sa.select(Zipcode).where(Zipcode.account_id == account_id, Zipcode.domain_id == domain_id,
                                                    Zipcode.zipcode == value)).scalar_one_or_none()


def zipcodes(session: Session, account_id: int, status: str | None, domain_id: int | None, skip: int,
             limit: int) -> list[Zipcode]:
    stmt = sa.select(Zipcode).where(Zipcode.account_id == account_id)
    if status:
        stmt = stmt.where(Zipcode.status == status)
    if domain_id:
        stmt = stmt.where(Zipcode.domain_id == domain_id)
    return list(session.execute(stmt.order_by(Zipcode.id).offset(skip).limit(limit)).scalars())


def update_zipcode(session: Session, zipcode_id: int, **fields) -> None:
    session.execute(Z.update().where(Z.c.id == zipcode_id).values(updated_at=utcnow(), **fields))


# ---- collections ----------------------------------------------------------------------------------

def collection(session: Session, account_id: int | None, collection_id: int) -> Collection | None:
    return _owned(session, Collection, account_id, collection_id)


def collections(session: Session, account_id: int, skip: int, limit: int) -> tuple[int, list[Collection]]:
    total = session.execute(sa.select(sa.func.count()).where(C.c.account_id == account_id)).scalar_one()
    rows = session.execute(sa.select(Collection).where(Collection.account_id == account_id)
                           .order_by((Collection.status == "Processing").desc(), Collection.id.desc())
                           .offset(skip).limit(limit)).scalars()
    return total, list(rows)


def update_collection(session: Session, collection_id: int, **fields) -> None:
    session.execute(C.update().where(C.c.id == collection_id).values(updated_at=utcnow(), **fields))


def delete_collections(session: Session, ids: list[int]) -> None:
    session.execute(C.delete().where(C.c.id.in_(ids)))


def due_collections(session: Session, now: datetime, limit: int = 200) -> list[Collection]:
    """Enabled, unpaused collections whose next run time has come, highest priority first."""
    stmt = sa.select(Collection).where(Collection.next_run_at.is_not(None), Collection.next_run_at <= now,
                                       Collection.paused.is_(False), Collection.status == "enable")
    return list(session.execute(stmt.order_by(Collection.next_run_at).limit(limit)).scalars())


def claim_due(session: Session, collection_id: int, seen: datetime, next_at: datetime | None) -> bool:
    """Move a due collection's next run time on, once: only one dispatcher gets True."""
    return session.execute(C.update().where(C.c.id == collection_id, C.c.next_run_at == seen)
                           .values(next_run_at=next_at, updated_at=utcnow())).rowcount == 1


# ---- items ----------------------------------------------------------------------------------------

def item(session: Session, account_id: int | None, item_id: int) -> Item | None:
    return _owned(session, Item, account_id, item_id)


def item_count(session: Session, collection_id: int) -> int:
    return session.execute(sa.select(sa.func.count()).where(I.c.collection_id == collection_id)).scalar_one()


def item_keys(session: Session, collection_id: int) -> set[tuple[int, int, str]]:
    rows = session.execute(sa.select(I.c.domain_id, I.c.zipcode_id, I.c.asin).where(I.c.collection_id == collection_id))
    return {tuple(r) for r in rows}


def insert_items(session: Session, rows: list[dict]) -> None:
    if rows:
        now = utcnow()
        session.execute(I.insert(), [{"created_at": now, "updated_at": now, **r} for r in rows])


def items(session: Session, collection_id: int, skip: int, limit: int) -> list[Item]:
    return list(session.execute(sa.select(Item).where(Item.collection_id == collection_id)
                                .order_by(Item.id).offset(skip).limit(limit)).scalars())


def items_by_id(session: Session, ids: list[int]) -> dict[int, Item]:
    out: dict[int, Item] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update({i.id: i for i in session.execute(sa.select(Item).where(Item.id.in_(chunk))).scalars()})
    return out


def item_ids(session: Session, collection_id: int) -> list[int]:
    return list(session.execute(sa.select(I.c.id).where(I.c.collection_id == collection_id).order_by(I.c.id)).scalars())


def update_item(session: Session, item_id: int, **fields) -> None:
    session.execute(I.update().where(I.c.id == item_id).values(updated_at=utcnow(), **fields))


def delete_item(session: Session, item_id: int) -> None:
    session.execute(I.delete().where(I.c.id == item_id))


def zipcodes_by_id(session: Session, ids: set[int]) -> dict[int, Zipcode]:
    if not ids:
        return {}
    return {z.id: z for z in session.execute(sa.select(Zipcode).where(Zipcode.id.in_(ids))).scalars()}


# ---- runs -----------------------------------------------------------------------------------------

def run(session: Session, account_id: int | None, run_id: int) -> Run | None:
    return _owned(session, Run, account_id, run_id)


def runs(session: Session, collection_id: int, skip: int, limit: int) -> list[Run]:
    return list(session.execute(sa.select(Run).where(Run.collection_id == collection_id)
                                .order_by(Run.id.desc()).offset(skip).limit(limit)).scalars())


def running(session: Session, collection_id: int) -> Run | None:
    return session.execute(sa.select(Run).where(Run.collection_id == collection_id, Run.status == "InProgress")
                           ).scalars().first()


def previous_run(session: Session, collection_id: int, run_id: int) -> int | None:
    return session.execute(sa.select(R.c.id).where(R.c.collection_id == collection_id, R.c.id < run_id,
                                                   R.c.status == "Completed").order_by(R.c.id.desc()).limit(1)
                           ).scalar()


def update_run(session: Session, run_id: int, runner: str | None = None, **fields) -> bool:
    """Update a run; with `runner`, only while that runner holds its lease."""
    stmt = R.update().where(R.c.id == run_id).values(updated_at=utcnow(), **fields)
    if runner is not None:
        stmt = stmt.where(R.c.runner == runner)
    return session.execute(stmt).rowcount == 1


def add_run_items(session: Session, run_id: int, item_ids: list[int]) -> None:
    for start in range(0, len(item_ids), 1000):
        session.execute(RI.insert(), [{"run_id": run_id, "item_id": i, "state": "pending", "attempts": 0}
                                      for i in item_ids[start:start + 1000]])


def run_items_todo(session: Session, run_id: int, max_attempts: int) -> list[tuple[int, int, datetime | None]]:
    """(item id, attempts, retry at) of the run's items still to capture: pending ones, and
    blocked ones with tries left."""
    stmt = sa.select(RI.c.item_id, RI.c.attempts, RI.c.retry_at).where(
        RI.c.run_id == run_id,
        sa.or_(RI.c.state == "pending", sa.and_(RI.c.state == "blocked", RI.c.attempts < max_attempts)))
    return [tuple(r) for r in session.execute(stmt.order_by(RI.c.item_id))]


def set_run_items(session: Session, run_id: int, rows: list[dict]) -> None:
    """Each `{item_id, state, attempts, retry_at, message}` of the run."""
    if rows:
        session.execute(RI.update().where(RI.c.run_id == run_id, RI.c.item_id == sa.bindparam("_item")).values(
            state=sa.bindparam("state"), attempts=sa.bindparam("attempts"), retry_at=sa.bindparam("retry_at"),
            message=sa.bindparam("message")), [{"_item": r["item_id"], **{k: r.get(k) for k in
                                                ("state", "attempts", "retry_at", "message")}} for r in rows])


def run_item_counts(session: Session, run_id: int) -> dict[str, int]:
    rows = session.execute(sa.select(RI.c.state, sa.func.count()).where(RI.c.run_id == run_id).group_by(RI.c.state))
    return {state: n for state, n in rows}


# ---- outputs --------------------------------------------------------------------------------------

def insert_outputs(session: Session, rows: list[dict]) -> None:
    if rows:
        now = utcnow()
        session.execute(O.insert(), [{"created_at": now, "updated_at": now, **r} for r in rows])


def output(session: Session, account_id: int, output_id: int) -> Output | None:
    return _owned(session, Output, account_id, output_id)


def outputs(session: Session, collection_id: int, skip: int, limit: int) -> list[sa.Row]:
    """Output records without their (large) JSON."""
    stmt = sa.select(O.c.id, O.c.account_id, O.c.collection_id, O.c.run_id, O.c.item_id, O.c.asin, O.c.created_at,
                     O.c.updated_at).where(O.c.collection_id == collection_id).order_by(O.c.id.desc())
    return list(session.execute(stmt.offset(skip).limit(limit)))


def run_outputs(session: Session, run_id: int, after_item: int = 0, limit: int = 500) -> list[tuple[int, str]]:
    """(item id, output JSON) of a run in item order, a page at a time."""
    stmt = sa.select(O.c.item_id, O.c.output_json).where(O.c.run_id == run_id, O.c.item_id > after_item) \
        .order_by(O.c.item_id).limit(limit)
    return [tuple(r) for r in session.execute(stmt)]


def item_outputs(session: Session, item_id: int, limit: int) -> list[tuple[int, datetime, str]]:
    """(run id, captured at, output JSON) of an item's last `limit` captures, oldest first."""
    stmt = sa.select(O.c.run_id, O.c.created_at, O.c.output_json).where(O.c.item_id == item_id) \
        .order_by(O.c.run_id.desc()).limit(limit)
    return [tuple(r) for r in reversed(session.execute(stmt).all())]


def output_count(session: Session, run_id: int) -> int:
    return session.execute(sa.select(sa.func.count()).where(O.c.run_id == run_id)).scalar_one()
