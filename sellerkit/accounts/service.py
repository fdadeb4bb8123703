"""Accounts and API keys: issue, rotate, revoke, authenticate.

A secret is 32 random bytes, so a plain SHA-256 is a safe way to store it (no slow KDF is needed
for high-entropy tokens) and keeps authentication to one indexed look-up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sellerkit.accounts import repository as repo
from sellerkit.accounts.models import Account, ApiKey, User
from sellerkit.config import get_settings
from sellerkit.domain.plans import plan as get_plan
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Invalid, NotFound
from sellerkit.kit.db import Reader, utcnow


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved once per request from the API key."""

    key_id: int
    account_id: int
    partner_id: str
    plan: str | None
    rate_limit_rps: int | None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: str  # the secret, shown once
    partner_id: str
    account_id: int
    plan: str | None
    user_id: int | None = None
    account_name: str | None = None

    def as_dict(self) -> dict:
        return {"key": self.key, "partner_id": self.partner_id, "account_id": self.account_id, "plan": self.plan,
                "account": self.account_name, "user_id": self.user_id}


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return "sk_" + secrets.token_urlsafe(32)


KEY_NAME_MAX = 64


def key_name(value: str) -> str:
    """A key's name, trimmed: 1 to 64 printable characters. Names are shown in listings and
    terminals, where control characters (escape sequences, new lines) could forge output."""
    name = value.strip()
    if not name or len(name) > KEY_NAME_MAX or not name.isprintable():
        raise Invalid(f"name: a key's name must be 1 to {KEY_NAME_MAX} printable characters after trimming "
                      f"spaces (no control characters); got {quote(value)}")
    return name


class KeyService:
    def create(
        self, session: Session, name: str, plan: str | None = "basic", account: str | None = None,
        max_keys: int | None = None,
    ) -> IssuedKey:
        """Issue a key; `account` is an existing account's id or name, or a new account's name
        (made here, so a second tenant is one call away). The key belongs to the account's first
        user, made now (named as the key) when the account has none. An account holds at most `max_keys` live keys (default: the `max_keys_per_account`
        setting): 409 past it. The account's row is locked first, so two requests at the cap
        cannot both pass the count."""
        name = key_name(name)
        if plan is not None:
            try:
                get_plan(plan)
            except ValueError as exc:
                raise Invalid(str(exc)) from None
        if max_keys is None:
            max_keys = get_settings().max_keys_per_account
        acct = self.find_or_create_account(session, account or name, plan)
        repo.lock_account(session, acct.id)
        live = repo.live_key_count(session, acct.id)
        if live >= max_keys:
            raise Conflict(
                f"too many keys: account {acct.id} holds {live} live keys and may hold {max_keys} "
                f"(SELLERKIT_MAX_KEYS_PER_ACCOUNT); revoke one it no longer needs (DELETE "
                f"/account/keys/{{partner_id}} or sellerkit keys revoke) or ask the operator for a higher cap"
            )
        user = repo.first_user(session, acct.id)
        if user is None:
            user = User(account_id=acct.id, name=name)
            session.add(user)
            session.flush()
        secret = _new_secret()
        key = ApiKey(
            account_id=acct.id,
            user_id=user.id,
            name=name,
            partner_id="pk_" + secrets.token_hex(8),
            secret_hash=hash_secret(secret),
            secret_hint=secret[-4:],
        )
        session.add(key)
        session.flush()
        return IssuedKey(secret, key.partner_id, acct.id, acct.plan, user.id, acct.name)

    def find_or_create_account(self, session: Session, ref: str, plan: str | None) -> Account:
        acct = repo.account_by_id(session, int(ref)) if ref.isdigit() else None
        acct = acct or repo.account_by_name(session, ref)
        if acct is None:
            acct = Account(name=ref, plan=plan)
            session.add(acct)
            session.flush()
        elif plan is not None:
            acct.plan = plan
        return acct

    def find_account(self, session: Session, ref: str | None) -> Account:
        """An existing account by id or name, or the default account (`default_account_id`)
        when `ref` is None; never creates one (a typo must not make a stray account)."""
        if ref is None:
            account_id = repo.default_account_id(session)
            if account_id is None:
                raise NotFound("account: there is no account yet; make one with `sellerkit keys create "
                               "--name NAME` (the first account made is the default account)")
            return repo.account_by_id(session, account_id)
        ref = ref.strip()
        acct = repo.account_by_id(session, int(ref)) if ref.isdigit() and len(ref) <= 9 else None
        acct = acct or repo.account_by_name(session, ref)
        if acct is None:
            raise NotFound(f"account: no account {quote(ref)}; give an account id or name as "
                           "`sellerkit keys list` shows them")
        return acct

    def default_account_id(self, session: Session) -> int | None:
        """The install's default account: the first account made (lowest id). The
        SELLERKIT_SPAPI_* and SELLERKIT_KEEPA_KEY settings connect it to live data."""
        return repo.default_account_id(session)

    def rotate(self, session: Session, partner_id: str, account_id: int | None = None) -> IssuedKey:
        """A new secret for the same partner id; the old secret stops working at commit."""
        key = self._live_key(session, partner_id, account_id)
        secret = _new_secret()
        key.secret_hash = hash_secret(secret)
        key.secret_hint = secret[-4:]
        key.rotated_at = utcnow()
        acct = session.get(Account, key.account_id)
        return IssuedKey(secret, key.partner_id, key.account_id, acct.plan if acct else None, key.user_id,
                         acct.name if acct else None)

    def revoke(self, session: Session, partner_id: str, account_id: int | None = None) -> None:
        self._live_key(session, partner_id, account_id).revoked_at = utcnow()

    def set_limit(self, session: Session, partner_id: str, rps: int | None) -> None:
        if rps is not None and rps < 1:
            raise Invalid("rps: the request rate limit must be at least 1 request per second")
        self._live_key(session, partner_id).rate_limit_rps = rps

    def list(self, session: Session, account_id: int | None = None) -> list[dict]:
        """Keys with their public parts only; an account sees its own, the operator all."""
        return [
            {
                "partner_id": k.partner_id,
                "name": k.name,
                "account_id": a.id,
                "account": a.name,
                "plan": a.plan,
                "key_hint": "…" + k.secret_hint,
                "rate_limit_rps": k.rate_limit_rps,
                "created_at": k.created_at.isoformat(),
                "revoked": k.revoked_at is not None,
            }
            for k, a in repo.list_keys(session, account_id)
        ]

    def account(self, session: Session, account_id: int) -> dict:
        acct = repo.account_by_id(session, account_id)
        if acct is None:
            raise NotFound(f"account {account_id} not found")
        return {
            "account_id": acct.id,
            "name": acct.name,
            "plan": acct.plan,
            "keys": [k for k in self.list(session, account_id) if not k["revoked"]],
        }

    def authenticate(self, reader: Reader, secret: str) -> Principal | None:
        """The live key's principal. Kept in memory per secret while the database is unchanged
        (`Reader.memo`: SQLite), so a key revoked, rotated or re-limited from any process is
        seen by the next request; PostgreSQL reads the row each time."""
        held = reader.memo("keys")
        if held is not None:
            found = held.get(secret, _UNKNOWN)
            if found is not _UNKNOWN:
                return found
        row = repo.key_by_hash(reader, hash_secret(secret))
        principal = None if row is None else Principal(*row)
        if held is not None:
            if len(held) >= KEYS_HELD:  # unknown keys tried one after another: start again
                held.clear()
            held[secret] = principal
        return principal

    def _live_key(self, session: Session, partner_id: str, account_id: int | None = None) -> ApiKey:
        key = repo.key_by_partner_id(session, partner_id)
        # Another account's key is "not found", never "forbidden": existence is not confirmed.
        if key is None or key.revoked_at is not None or account_id not in (None, key.account_id):
            raise NotFound(f"partner_id: no active key {quote(partner_id)}")
        return key


_UNKNOWN = object()
KEYS_HELD = 10_000  # secrets (live or not) held per database generation

keys = KeyService()
