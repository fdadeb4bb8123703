from __future__ import annotations

import pytest

from sellerkit.accounts.models import ApiKey, User
from sellerkit.accounts.service import hash_secret, keys
from sellerkit.errors import Conflict, Invalid, NotFound


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
        assert set(issued.as_dict()) == {"key", "partner_id", "account_id", "account", "user_id", "plan"}

    def test_second_key_joins_existing_account_by_name(self, db):
        with db.session(write=True) as s:
            a = keys.create(s, name="one", plan="basic", account="acme")
            b = keys.create(s, name="two", plan="basic", account="acme")
        assert a.account_id == b.account_id and a.partner_id != b.partner_id

    def test_a_new_account_name_makes_a_second_tenant_with_its_own_user(self, db):
        with db.session(write=True) as s:
            first = keys.create(s, name="me", plan="pro", account="shop-a")
            second = keys.create(s, name="me", plan="pro", account="shop-b")
        assert first.account_id != second.account_id and first.user_id != second.user_id
        assert (first.account_name, second.account_name) == ("shop-a", "shop-b")

    def test_every_key_belongs_to_its_accounts_first_user(self, db):
        with db.session(write=True) as s:
            a = keys.create(s, name="owner", plan="basic", account="acme")
            b = keys.create(s, name="laptop", plan="basic", account="acme")
        with db.session() as s:
            users = {k.partner_id: k.user_id for k in s.query(ApiKey)}
            (user,) = s.query(User).all()
        assert users == {a.partner_id: user.id, b.partner_id: user.id} and user.name == "owner"

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


class TestKeyNames:
    @pytest.mark.parametrize("name", ["shop\x1b[2J", "a\nb", "tab\there", "", "   ", "x" * 65, "zero\u200bwidth"],
                             ids=["escape", "newline", "tab", "empty", "spaces", "65-chars", "format-char"])
    def test_rejects_names_that_are_not_1_to_64_printable_characters(self, db, name):
        with db.session(write=True) as s, pytest.raises(Invalid, match=r"^name: .*1 to 64 printable"):
            keys.create(s, name=name)

    def test_trims_surrounding_spaces(self, db):
        with db.session(write=True) as s:
            keys.create(s, name="  shop  ", account="acme")
            assert [k["name"] for k in keys.list(s)] == ["shop"]

    def test_accepts_64_printable_characters_of_any_script(self, db):
        with db.session(write=True) as s:
            keys.create(s, name="Läden – 店 " + "x" * 54)
            assert len(keys.list(s)[0]["name"]) == 64

    def test_message_quotes_only_a_short_prefix(self, db):
        with db.session(write=True) as s, pytest.raises(Invalid) as err:
            keys.create(s, name="\x07" + "y" * 10_000)
        assert len(err.value.message) < 300 and "10,001 characters" in err.value.message


class TestKeyCap:
    def test_refuses_a_key_past_the_cap_with_409_naming_cap_and_setting(self, db):
        with db.session(write=True) as s:
            for i in range(3):
                keys.create(s, name=f"k{i}", account="acme", max_keys=3)
            with pytest.raises(Conflict) as err:
                keys.create(s, name="k3", account="acme", max_keys=3)
        assert err.value.status_code == 409
        assert "may hold 3" in err.value.message and "SELLERKIT_MAX_KEYS_PER_ACCOUNT" in err.value.message

    def test_revoked_keys_do_not_count(self, db):
        with db.session(write=True) as s:
            made = [keys.create(s, name=f"k{i}", account="acme", max_keys=2) for i in range(2)]
            keys.revoke(s, made[0].partner_id)
            keys.create(s, name="k2", account="acme", max_keys=2)

    def test_cap_is_per_account(self, db):
        with db.session(write=True) as s:
            keys.create(s, name="k0", account="acme", max_keys=1)
            keys.create(s, name="k0", account="globex", max_keys=1)

    def test_default_cap_is_the_setting(self, db, monkeypatch):
        from sellerkit.config import get_settings

        monkeypatch.setenv("SELLERKIT_MAX_KEYS_PER_ACCOUNT", "2")
        get_settings.cache_clear()
        try:
            with db.session(write=True) as s:
                keys.create(s, name="k0", account="acme")
                keys.create(s, name="k1", account="acme")
                with pytest.raises(Conflict):
                    keys.create(s, name="k2", account="acme")
        finally:
            get_settings.cache_clear()

    def test_create_at_the_cap_waits_for_one_in_flight_and_is_refused(self, db):
        """The first create of the last slot has counted and added its key but not committed yet;
        a second started meanwhile must see that key, not count past it."""
        import threading
        import time

        with db.session(write=True) as s:
            for i in range(4):
                keys.create(s, name=f"k{i}", account="acme", max_keys=5)
        added, outcomes = threading.Event(), {}

        def first() -> None:
            with db.session(write=True) as s:
                keys.create(s, name="first", account="acme", max_keys=5)
                added.set()
                time.sleep(0.3)  # the second starts now, while this one is uncommitted
            outcomes["first"] = "created"

        def second() -> None:
            added.wait(10)
            try:
                with db.session(write=True) as s:
                    keys.create(s, name="second", account="acme", max_keys=5)
                outcomes["second"] = "created"
            except Conflict:
                outcomes["second"] = "refused"

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with db.session() as s:
            live = sum(not k["revoked"] for k in keys.list(s))
        assert (outcomes, live) == ({"first": "created", "second": "refused"}, 5)
