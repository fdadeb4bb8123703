"""Dashboard passwords (sellerkit.accounts.passwords) on each database backend."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from sellerkit.accounts.models import User
from sellerkit.accounts.passwords import DEMO_EMAIL, passwords, version_of
from sellerkit.accounts.service import keys
from sellerkit.errors import Conflict, Invalid, NotFound

PASSWORD = "a long enough password"


@pytest.fixture
def acme(db):
    with db.session(write=True) as s:
        return keys.create(s, name="acme", plan="pro").account_id


@pytest.fixture
def owner(db, acme):
    """owner@acme.test's user id."""
    with db.session(write=True) as s:
        return passwords.set_password(s, "owner@acme.test", PASSWORD).id


class TestSetPassword:
    def test_makes_a_user_of_the_default_account_who_can_sign_in(self, db, acme):
        with db.session(write=True) as s:
            passwords.set_password(s, " Owner@Acme.TEST ", PASSWORD)
        with db.session(write=True) as s:
            user = passwords.verify(s, "owner@acme.test", PASSWORD)
        assert user is not None and user.account_id == acme and user.email == "owner@acme.test"

    def test_stores_an_argon2_hash_never_the_password(self, db, acme):
        with db.session(write=True) as s:
            stored = passwords.set_password(s, "owner@acme.test", PASSWORD).password_hash
        assert stored.startswith("$argon2id$") and PASSWORD not in stored

    def test_refuses_a_short_password(self, db, acme):
        with db.session(write=True) as s, pytest.raises(Invalid, match="10 to 1024 characters"):
            passwords.set_password(s, "owner@acme.test", "short")

    def test_refuses_a_malformed_email(self, db, acme):
        with db.session(write=True) as s, pytest.raises(Invalid, match="email"):
            passwords.set_password(s, "not-an-email", PASSWORD)

    def test_refuses_an_unknown_account(self, db, acme):
        with db.session(write=True) as s, pytest.raises(NotFound):
            passwords.set_password(s, "owner@acme.test", PASSWORD, account="nope")

    def test_an_email_belongs_to_one_account(self, db, acme):
        with db.session(write=True) as s:
            keys.create(s, name="globex", plan="pro")
            passwords.set_password(s, "owner@acme.test", PASSWORD)
        with db.session(write=True) as s, pytest.raises(Conflict):
            passwords.set_password(s, "owner@acme.test", PASSWORD, account="globex")


class TestVerify:
    def test_a_wrong_password_is_none(self, db, owner):
        with db.session(write=True) as s:
            assert passwords.verify(s, "owner@acme.test", PASSWORD + "!") is None

    def test_an_unknown_email_is_none(self, db, owner):
        with db.session(write=True) as s:
            assert passwords.verify(s, "nobody@acme.test", PASSWORD) is None

    def test_a_hash_with_weaker_parameters_is_upgraded(self, db, owner):
        with db.session(write=True) as s:
            s.get(User, owner).password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
        with db.session(write=True) as s:
            assert passwords.verify(s, "owner@acme.test", PASSWORD) is not None
        with db.session() as s:
            assert not PasswordHasher().check_needs_rehash(s.get(User, owner).password_hash)


class TestChange:
    def test_needs_the_current_password(self, db, owner):
        with db.session(write=True) as s, pytest.raises(Invalid, match="current_password"):
            passwords.change(s, owner, "wrong password", "another long password")

    def test_a_new_password_gives_a_new_session_version(self, db, owner):
        with db.session(write=True) as s:
            before = version_of(s.get(User, owner).password_hash)
            after = passwords.change(s, owner, PASSWORD, "another long password")
        assert after.version != before
        with db.reader() as r:
            assert passwords.session_user(r, owner).version == after.version


class TestDemoUser:
    def test_made_once_with_a_printed_password(self, db):
        with db.session(write=True) as s:
            email, password = passwords.ensure_demo_user(s)
        with db.session(write=True) as s:
            assert passwords.ensure_demo_user(s) is None
            assert email == DEMO_EMAIL and passwords.verify(s, email, password) is not None
