"""All SQL about scans, their exports, their leases and the brand blocklist."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.kit.db import utcnow
from sellerkit.kit.process import Owner
from sellerkit.scans.models import BlockedBrand, Leased, MappingPreset, Scan, ScanExport

S = Scan.__table__
B = BlockedBrand.__table__
X = ScanExport.__table__
P = MappingPreset.__table__


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
    return _update(session, S, scan_id, runner, fields)


def _update(session: Session, table: sa.Table, row_id: int, runner: str | None, fields: dict) -> bool:
    stmt = table.update().where(table.c.id == row_id).values(updated_at=utcnow(), **fields)
    if runner is not None:
        stmt = stmt.where(table.c.runner == runner)
    return session.execute(stmt).rowcount == 1


# ---- leases of scans and exports (`models.Leased`) --------------------------------------------

def _unheld(table: sa.Table, stale_after: timedelta, now):
    """Nobody holds the lease, or its holder has gone quiet."""
    return sa.or_(table.c.runner.is_(None), table.c.heartbeat_at.is_(None),
                  table.c.heartbeat_at < now - stale_after)


def claim(session: Session, model: type[Leased], row_id: int, runner: str, owner: Owner,
          stale_after: timedelta) -> bool:
    """Take the lease of an unfinished job nobody is running (or whose runner went quiet),
    recording the process that holds it."""
    table, now = model.__table__, utcnow()
    stmt = table.update().where(
        table.c.id == row_id, table.c.status == "InProgress", _unheld(table, stale_after, now),
    ).values(runner=runner, runner_host=owner.host, runner_pid=owner.pid, runner_started=owner.started,
             heartbeat_at=now, updated_at=now)
    return session.execute(stmt).rowcount == 1


def release(session: Session, model: type[Leased], row_id: int, runner: str) -> None:
    """Give up the lease so the next sweep resumes the job at once."""
    table = model.__table__
    session.execute(table.update().where(table.c.id == row_id, table.c.runner == runner)
                    .values(runner=None, heartbeat_at=None))


def leases_on(session: Session, model: type[Leased], host: str) -> list[tuple[int, str, Owner]]:
    """(id, runner, owner) of the unfinished jobs held by processes of `host`."""
    table = model.__table__
    stmt = sa.select(table.c.id, table.c.runner, table.c.runner_pid, table.c.runner_started).where(
        table.c.status == "InProgress", table.c.runner.is_not(None), table.c.runner_host == host,
    ).order_by(table.c.id)
    return [(i, runner, Owner(host, pid, started)) for i, runner, pid, started in session.execute(stmt)]


def stale(session: Session, model: type[Leased], stale_after: timedelta) -> list[int]:
    """Unfinished jobs that nobody holds, or whose runner has gone quiet."""
    table = model.__table__
    stmt = sa.select(table.c.id).where(table.c.status == "InProgress", _unheld(table, stale_after, utcnow())
                                       ).order_by(table.c.id)
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


def update_export(session: Session, export_id: int, runner: str | None = None, **fields) -> bool:
    """Update an export; with `runner`, only while that runner holds its lease."""
    return _update(session, X, export_id, runner, fields)


# ---- mapping presets (the dashboard's upload page) --------------------------------------------

def presets(session: Session, account_id: int) -> list[MappingPreset]:
    return list(session.execute(sa.select(MappingPreset).where(MappingPreset.account_id == account_id)
                                .order_by(MappingPreset.supplier)).scalars())


def preset_by_supplier(session: Session, account_id: int, supplier: str) -> MappingPreset | None:
    return session.execute(sa.select(MappingPreset).where(
        MappingPreset.account_id == account_id, MappingPreset.supplier == supplier)).scalar_one_or_none()


def get_preset(session: Session, account_id: int, preset_id: int) -> MappingPreset | None:
    return _owned(session, MappingPreset, account_id, preset_id)


def add_preset(session: Session, **fields) -> MappingPreset:
    return _add(session, MappingPreset(**fields))


def delete_preset(session: Session, preset_id: int) -> None:
    session.execute(P.delete().where(P.c.id == preset_id))
