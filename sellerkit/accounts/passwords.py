"""Dashboard sign-in: users of an account with an email and an argon2id password.

API keys are random 32-byte secrets, hashed with SHA-256; passwords are chosen by people, so they
get a slow, salted, memory-hard hash (argon2-cffi's defaults, RFC 9106's second recommendation).
A session names the user and a short digest of the password hash (`version`), so changing the
password ends every other session of that user.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from sellerkit.accounts import repository as repo
from sellerkit.accounts.models import User
from sellerkit.accounts.service import keys
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Invalid
from sellerkit.kit.db import Reader, utcnow

PASSWORD_MIN = 10
PASSWORD_MAX = 1024  # argon2 takes any length; a bound keeps a huge form field from costing CPU
EMAIL_MAX = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEMO_EMAIL = "demo@sellerkit.local"

_hasher = PasswordHasher()
# Verified when the email is unknown, so an unknown email costs the same time as a wrong password.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a dashboard session belongs to."""

    user_id: int
    account_id: int
    email: str
    name: str
    version: str  # digest of the password hash: a new password ends older sessions


def normal_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise Invalid(f"email: expected an address like name@example.com, got {quote(value)}")
    return email


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise Invalid(f"password: it must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long "
                      f"(got {len(password)})")


def version_of(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _signed_in(user_id: int, account_id: int, email: str, name: str, password_hash: str) -> SignedIn:
    return SignedIn(user_id, account_id, email, name, version_of(password_hash))


class PasswordService:
    def set_password(self, session: Session, email: str, password: str, account: str | None = None) -> User:
        """Give the user with `email` this password, making the user in `account` (default: the
        default account) when no user has that email. An email belongs to one account."""
        email = normal_email(email)
        check_password(password)
        acct = keys.find_account(session, account)
        user = repo.user_by_email(session, email)
        if user is None:
            user = User(account_id=acct.id, name=email, email=email)
            session.add(user)
        elif account is not None and user.account_id != acct.id:
            raise Conflict(f"email: {quote(email)} is already a user of account {user.account_id}, "
                           f"not of account {acct.id}")
        user.password_hash = _hasher.hash(password)
        user.password_changed_at = utcnow()
        session.flush()
        return user

    def verify(self, session: Session, email: str, password: str) -> SignedIn | None:
        """The user when `password` is theirs, else None (same answer, and about the same time,
        for an unknown email). A hash made with older parameters is upgraded here."""
        try:
            email = normal_email(email)
        except Invalid:
            email = ""
        user = repo.user_by_email(session, email) if email else None
        stored = user.password_hash if user is not None and user.password_hash else _DUMMY
        try:
            _hasher.verify(stored, password[:PASSWORD_MAX])
        except (VerificationError, InvalidHashError):
            return None
        if user is None or stored is _DUMMY:
            return None
        if _hasher.check_needs_rehash(stored):
            user.password_hash = _hasher.hash(password)
        return _signed_in(user.id, user.account_id, user.email, user.name, user.password_hash)

    def change(self, session: Session, user_id: int, current: str, new: str) -> SignedIn:
        """A new password for a signed-in user who knows the current one."""
        user = session.get(User, user_id)
        if user is None or not user.password_hash:
            raise Invalid("current_password: this user has no password to change")
        try:
            _hasher.verify(user.password_hash, current[:PASSWORD_MAX])
        except (VerificationError, InvalidHashError):
            raise Invalid("current_password: that is not your current password") from None
        try:
            check_password(new)
        except Invalid as exc:
            raise Invalid("new_" + exc.message) from None
        user.password_hash = _hasher.hash(new)
        user.password_changed_at = utcnow()
        session.flush()
        return _signed_in(user.id, user.account_id, user.email, user.name, user.password_hash)

    def session_user(self, reader: Reader, user_id: int) -> SignedIn | None:
        """The user a session names, while they can still sign in."""
        row = repo.user_for_session(reader, user_id)
        return None if row is None else _signed_in(*row)

    def ensure_demo_user(self, session: Session) -> tuple[str, str] | None:
        """On a first start with no dashboard user: a demo user of the default account (made,
        named `demo`, when there is none) with a generated password, returned once to print."""
        if repo.any_password_set(session):
            return None
        if keys.default_account_id(session) is None:
            keys.find_or_create_account(session, "demo", "pro")
        password = secrets.token_urlsafe(12)
        self.set_password(session, DEMO_EMAIL, password)
        return DEMO_EMAIL, password


passwords = PasswordService()
