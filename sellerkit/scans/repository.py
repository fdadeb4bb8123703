"""All SQL about scans, their leases and the brand blocklist."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.kit.db import utcnow
from sellerkit.kit.process import Owner
from sellerkit.scans.models import BlockedBrand, Scan, ScanExport

S = Scan.__table__
B = BlockedBrand.__table__
X = ScanExport.__table__


def _add(session: Session, row):
    session.add(row)
    session.flush()
    return row


def _owned(session: Session, model, account_id: int | None, row_id: int):
    """The row if it belongs to the account (any account's for `None`: workers, the operator)."""
    row = session.get(model, row_id)
    if row is None or (account_id is not None and row.account_id != account_id):
        return None
    return row


def add(session: Session, **fields) -> Scan:
    return _add(session, Scan(**fields))


def get(session: Session, account_id: int | None, scan_id: int) -> Scan | None:
    return _owned(session, Scan, account_id, scan_id)


def page(session: Session, account_id: int, offset: int, limit: int) -> tuple[int, list[Scan]]:
    total = session.execute(sa.select(sa.func.count()).where(S.c.account_id == account_id)).scalar_one()
    rows = session.execute(sa.select(Scan).where(Scan.account_id == account_id)
                           .order_by(Scan.id.desc()).offset(offset).limit(limit)).scalars().all()
    return total, list(rows)


def update(session: Session, scan_id: int, runner: str | None = None, **fields) -> bool:
    """Update a scan; with `runner`, only while that runner holds its lease."""
    stmt = S.update().where(S.c.id == scan_id).values(updated_at=utcnow(), **fields)
    if runner is not None:
        stmt = stmt.where(S.c.runner == runner)
    return session.execute(stmt).rowcount == 1


def claim(session: Session, scan_id: int, runner: str, owner: Owner, stale_after: timedelta) -> bool:
    """Take the lease of an unfinished scan nobody is running (or whose runner went quiet),
    recording the process that holds it."""
    now = utcnow()
    stmt = S.update().where(
        S.c.id == scan_id, S.c.status == "InProgress",
        sa.or_(S.c.runner.is_(None), S.c.heartbeat_at.is_(None), S.c.heartbeat_at < now - stale_after),
    ).values(runner=runner, runner_host=owner.host, runner_pid=owner.pid, runner_started=owner.started,
             heartbeat_at=now, updated_at=now)
    return session.execute(stmt).rowcount == 1


def release(session: Session, scan_id: int, runner: str) -> None:
    """Give up the lease so the next sweep resumes the scan at once."""
    session.execute(S.update().where(S.c.id == scan_id, S.c.runner == runner).values(runner=None, heartbeat_at=None))


def leases_on(session: Session, host: str) -> list[tuple[int, str, Owner]]:
    """(scan id, runner, owner) of the unfinished scans held by processes of `host`."""
    stmt = sa.select(S.c.id, S.c.runner, S.c.runner_pid, S.c.runner_started).where(
        S.c.status == "InProgress", S.c.runner.is_not(None), S.c.runner_host == host).order_by(S.c.id)
    return [(i, runner, Owner(host, pid, started)) for i, runner, pid, started in session.execute(stmt)]


def stale(session: Session, stale_after: timedelta) -> list[int]:
    """Unfinished scans that nobody holds, or whose runner has gone quiet."""
    now = utcnow()
    stmt = sa.select(S.c.id).where(
        S.c.status == "InProgress",
        sa.or_(S.c.runner.is_(None), S.c.heartbeat_at.is_(None), S.c.heartbeat_at < now - stale_after),
    ).order_by(S.c.id)
    return list(session.execute(stmt).scalars())


def cancel_requested(session: Session, scan_id: int) -> bool:
    return bool(session.execute(sa.select(S.c.cancel_requested).where(S.c.id == scan_id)).scalar())


def delete(session: Session, scan_id: int) -> None:
    session.execute(S.delete().where(S.c.id == scan_id))


def blocked_brands(session: Session, account_id: int) -> frozenset[str]:
    return frozenset(session.execute(sa.select(B.c.brand).where(B.c.account_id == account_id)).scalars())


def set_blocked_brands(session: Session, account_id: int, brands: list[str]) -> None:
    session.execute(B.delete().where(B.c.account_id == account_id))
    if brands:
        session.execute(B.insert(), [{"account_id": account_id, "brand": b} for b in brands])


def add_export(session: Session, **fields) -> ScanExport:
    return _add(session, ScanExport(**fields))


def get_export(session: Session, account_id: int | None, export_id: int) -> ScanExport | None:
    return _owned(session, ScanExport, account_id, export_id)


def update_export(session: Session, export_id: int, **fields) -> None:
    session.execute(X.update().where(X.c.id == export_id).values(updated_at=utcnow(), **fields))


def stale_exports(session: Session, stale_after: timedelta) -> list[int]:
    cutoff = utcnow() - stale_after
    stmt = sa.select(X.c.id).where(X.c.status == "InProgress",
                                   sa.or_(X.c.updated_at.is_(None), X.c.updated_at < cutoff),
                                   X.c.created_at < cutoff)
    return list(session.execute(stmt).scalars())
