"""All SQL about accounts and API keys."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.accounts.models import Account, ApiKey

_BY_HASH = (
    sa.select(
        ApiKey.id, ApiKey.account_id, ApiKey.partner_id, ApiKey.rate_limit_rps, Account.plan
    )
    .join(Account, Account.id == ApiKey.account_id)
    .where(ApiKey.secret_hash == sa.bindparam("h"), ApiKey.revoked_at.is_(None))
)


def key_by_hash(conn: sa.Connection | Session, secret_hash: str) -> sa.Row | None:
    return conn.execute(_BY_HASH, {"h": secret_hash}).first()


def account_by_name(session: Session, name: str) -> Account | None:
    return session.scalars(sa.select(Account).where(Account.name == name)).first()


def account_by_id(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def key_by_partner_id(session: Session, partner_id: str) -> ApiKey | None:
    return session.scalars(sa.select(ApiKey).where(ApiKey.partner_id == partner_id)).first()


def list_keys(session: Session, account_id: int | None = None) -> list[tuple[ApiKey, Account]]:
    stmt = sa.select(ApiKey, Account).join(Account).order_by(ApiKey.id)
    if account_id is not None:
        stmt = stmt.where(ApiKey.account_id == account_id)
    return [(k, a) for k, a in session.execute(stmt)]
