"""All SQL about accounts and API keys."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sellerkit.accounts.models import Account, ApiKey, TokenUsage, User
from sellerkit.kit.db import Reader, upsert

_BY_HASH = (  # on every request: plain SQL straight to the driver
    "SELECT k.id, k.account_id, k.partner_id, a.plan, k.rate_limit_rps FROM api_keys AS k "
    "JOIN accounts AS a ON a.id = k.account_id WHERE k.secret_hash = ? AND k.revoked_at IS NULL"
)


def key_by_hash(reader: Reader, secret_hash: str) -> tuple | None:
    """`(key id, account id, partner id, plan, rate limit)` of a live key."""
    rows = reader.rows(_BY_HASH, (secret_hash,))
    return rows[0] if rows else None


def account_by_name(session: Session, name: str) -> Account | None:
    return session.scalars(sa.select(Account).where(Account.name == name)).first()


def account_by_id(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def default_account_id(session: Session) -> int | None:
    """The install's default account: the first one made (lowest id), e.g. by `make key` or the
    first `sellerkit keys create`. None before any account exists."""
    return session.scalar(sa.select(sa.func.min(Account.id)))


def first_user(session: Session, account_id: int) -> User | None:
    """The account's first user: the one its keys belong to unless told otherwise."""
    return session.scalars(sa.select(User).where(User.account_id == account_id).order_by(User.id).limit(1)).first()


def key_by_partner_id(session: Session, partner_id: str) -> ApiKey | None:
    return session.scalars(sa.select(ApiKey).where(ApiKey.partner_id == partner_id)).first()


def lock_account(session: Session, account_id: int) -> None:
    """Hold the account's row until the transaction ends (PostgreSQL: `FOR UPDATE`), so that
    checks of its keys and the writes they allow are one step for concurrent requests. SQLite
    needs nothing: write transactions begin IMMEDIATE and run one at a time."""
    session.execute(sa.select(Account.id).where(Account.id == account_id).with_for_update())


def live_key_count(session: Session, account_id: int) -> int:
    """Keys of the account that authenticate (revoked ones do not count)."""
    return session.scalar(sa.select(sa.func.count()).select_from(ApiKey)
                          .where(ApiKey.account_id == account_id, ApiKey.revoked_at.is_(None)))


def list_keys(session: Session, account_id: int | None = None) -> list[tuple[ApiKey, Account]]:
    stmt = sa.select(ApiKey, Account).join(Account).order_by(ApiKey.id)
    if account_id is not None:
        stmt = stmt.where(ApiKey.account_id == account_id)
    return [(k, a) for k, a in session.execute(stmt)]


# ---- daily token counters (written every few seconds and at shutdown, never read per request) ---

U = TokenUsage.__table__


def add_token_usage(session: Session, day: date, used: dict[int, int], at: datetime) -> None:
    """Add `used` tokens per account to `day`'s counters (`used = used + n`: several processes'
    counts add up). Accounts deleted meanwhile are skipped."""
    live = set(session.scalars(sa.select(Account.id).where(Account.id.in_(list(used)))))
    rows = [{"account_id": a, "day": day, "used": n, "updated_at": at} for a, n in used.items() if a in live]
    upsert(session, U, rows, keys=("account_id", "day"), add=("used",))


def token_usage_of_day(session: Session, day: date) -> dict[int, int]:
    """`{account id: tokens used}` on `day`, every process's writes included."""
    rows = session.execute(sa.select(U.c.account_id, U.c.used).where(U.c.day == day))
    return {account_id: used for account_id, used in rows}



# ---- dashboard users (sellerkit.accounts.passwords) -------------------------------------------

_USER_SESSION = ("SELECT id, account_id, email, name, password_hash FROM users "
                 "WHERE id = ? AND password_hash IS NOT NULL")


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(sa.select(User).where(User.email == email)).first()


def user_for_session(reader: Reader, user_id: int) -> tuple | None:
    """`(id, account id, email, name, password hash)` of a user who can sign in: on every
    dashboard page, plain SQL like the key check."""
    rows = reader.rows(_USER_SESSION, (user_id,))
    return rows[0] if rows else None


def any_password_set(session: Session) -> bool:
    return session.scalar(sa.select(User.id).where(User.password_hash.is_not(None)).limit(1)) is not None
