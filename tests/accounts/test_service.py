from __future__ import annotations

import pytest

from sellerkit.accounts.models import ApiKey
from sellerkit.accounts.service import hash_secret, keys
from sellerkit.errors import Invalid, NotFound


class TestKeyService:
    def test_secret_is_stored_only_hashed(self, db):
        with db.session(write=True) as s:
            issued = keys.create(s, name="shop", plan="basic")
        with db.session() as s:
            row = s.query(ApiKey).one()
            assert row.secret_hash == hash_secret(issued.key)
            assert issued.key not in (row.secret_hash, row.secret_hint, row.name)

    def test_create_reports_partner_account_and_plan(self, db):
        with db.session(write=True) as s:
            issued = keys.create(s, name="shop", plan="pro")
        assert issued.partner_id.startswith("pk_") and issued.plan == "pro"
        assert set(issued.as_dict()) == {"key", "partner_id", "account_id", "plan"}

    def test_second_key_joins_existing_account_by_name(self, db):
        with db.session(write=True) as s:
            a = keys.create(s, name="one", plan="basic", account="acme")
            b = keys.create(s, name="two", plan="basic", account="acme")
        assert a.account_id == b.account_id and a.partner_id != b.partner_id

    def test_rejects_unknown_plan(self, db):
        with db.session(write=True) as s, pytest.raises(Invalid, match='unknown plan "gold"'):
            keys.create(s, name="shop", plan="gold")

    def test_rotate_keeps_partner_id_and_changes_secret(self, db):
        with db.session(write=True) as s:
            issued = keys.create(s, name="shop")
            rotated = keys.rotate(s, issued.partner_id)
        assert rotated.partner_id == issued.partner_id and rotated.key != issued.key
        with db.reader() as c:
            assert keys.authenticate(c, issued.key) is None
            assert keys.authenticate(c, rotated.key).partner_id == issued.partner_id

    def test_rotate_unknown_partner_is_not_found(self, db):
        with db.session(write=True) as s, pytest.raises(NotFound):
            keys.rotate(s, "pk_nope")

    def test_list_never_shows_secrets(self, db):
        with db.session(write=True) as s:
            issued = keys.create(s, name="shop")
        with db.session() as s:
            listed = keys.list(s)
        assert issued.key not in repr(listed)
        assert listed[0]["partner_id"] == issued.partner_id

    def test_set_limit_rejects_zero(self, db):
        with db.session(write=True) as s:
            issued = keys.create(s, name="shop")
            with pytest.raises(Invalid, match="at least 1"):
                keys.set_limit(s, issued.partner_id, 0)
