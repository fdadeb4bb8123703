"""Authentication on a real route, in every style the reference APIs use."""

from __future__ import annotations

import pytest

from tests.conftest import make_client

CONVERT = "/api/v3/convert"
BODY = {"marketplace": "US", "ids": ["036000291452"]}


class TestAuthStyles:
    def test_accepts_bearer_authorization(self, client, new_key):
        key = new_key().key
        assert client.post(CONVERT, json=BODY, headers={"Authorization": f"Bearer {key}"}).status_code == 200

    def test_accepts_rocketsource_literal_bearer_colon(self, client, new_key):
        key = new_key().key
        assert client.post(CONVERT, json=BODY, headers={"Authorization": f"Bearer: {key}"}).status_code == 200

    def test_accepts_token_header(self, client, new_key):
        key = new_key().key
        assert client.post(CONVERT, json=BODY, headers={"Token": key}).status_code == 200

    def test_accepts_x_api_key_header(self, client, new_key):
        key = new_key().key
        assert client.post(CONVERT, json=BODY, headers={"X-Api-Key": key}).status_code == 200

    def test_accepts_key_query_parameter(self, client, new_key):
        key = new_key().key
        assert client.post(CONVERT, params={"key": key}, json=BODY).status_code == 200


class TestAuthFailures:
    def test_missing_key_is_401_json_naming_the_styles(self, client):
        r = client.post(CONVERT, json=BODY)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/json")
        assert "Authorization: Bearer" in r.json()["message"]

    def test_wrong_key_is_401(self, client, new_key):
        new_key()
        r = client.post(CONVERT, json=BODY, headers={"X-Api-Key": "sk_not-a-real-key"})
        assert r.status_code == 401
        assert "invalid API key" in r.json()["message"]

    def test_empty_bearer_is_401(self, client):
        assert client.post(CONVERT, json=BODY, headers={"Authorization": "Bearer "}).status_code == 401

    def test_partner_id_is_not_a_key(self, client, new_key):
        issued = new_key()
        assert client.post(CONVERT, json=BODY, headers={"X-Api-Key": issued.partner_id}).status_code == 401

    def test_key_longer_than_any_issued_is_refused_unhashed(self, client, monkeypatch):
        from sellerkit.accounts.service import keys

        monkeypatch.setattr(keys, "authenticate", lambda *a: pytest.fail("a 60 kB key was hashed"))
        r = client.post(CONVERT, json=BODY, headers={"X-Api-Key": "k" * 60_000})
        assert r.status_code == 401 and len(r.text) < 300

    def test_error_never_echoes_the_secret(self, client):
        r = client.post(CONVERT, json=BODY, headers={"X-Api-Key": "sk_secret-value-123"})
        assert "sk_secret-value-123" not in r.text


class TestRotationAndRevocation:
    def test_old_key_refused_after_rotation(self, db, settings, new_key):
        from sellerkit.accounts.service import keys

        issued = new_key()
        with make_client(db, settings) as c:
            assert c.post(CONVERT, json=BODY, headers={"X-Api-Key": issued.key}).status_code == 200
            with db.session(write=True) as s:
                rotated = keys.rotate(s, issued.partner_id)
            assert c.post(CONVERT, json=BODY, headers={"X-Api-Key": issued.key}).status_code == 401
            assert c.post(CONVERT, json=BODY, headers={"X-Api-Key": rotated.key}).status_code == 200

    def test_revoked_key_refused(self, db, settings, new_key):
        from sellerkit.accounts.service import keys

        issued = new_key()
        with db.session(write=True) as s:
            keys.revoke(s, issued.partner_id)
        with make_client(db, settings) as c:
            assert c.post(CONVERT, json=BODY, headers={"X-Api-Key": issued.key}).status_code == 401


class TestTenantIsolation:
    def test_account_shows_only_its_own_keys(self, client, new_key):
        mine = new_key("mine", account="acme")
        new_key("theirs", account="globex")
        r = client.get("/account", headers={"X-Api-Key": mine.key})
        assert r.status_code == 200
        assert [k["partner_id"] for k in r.json()["keys"]] == [mine.partner_id]

    def test_cannot_rotate_another_accounts_key(self, client, new_key):
        mine, theirs = new_key("mine", account="acme"), new_key("theirs", account="globex")
        r = client.post(f"/account/keys/{theirs.partner_id}/rotate", headers={"X-Api-Key": mine.key})
        assert r.status_code == 404
        assert client.get("/account", headers={"X-Api-Key": theirs.key}).status_code == 200

    def test_cannot_revoke_another_accounts_key(self, client, new_key):
        mine, theirs = new_key("mine", account="acme"), new_key("theirs", account="globex")
        r = client.delete(f"/account/keys/{theirs.partner_id}", headers={"X-Api-Key": mine.key})
        assert r.status_code == 404
        assert client.get("/account", headers={"X-Api-Key": theirs.key}).status_code == 200

    def test_rotating_own_key_over_http_retires_old_secret(self, client, new_key):
        mine = new_key("mine")
        r = client.post(f"/account/keys/{mine.partner_id}/rotate", headers={"X-Api-Key": mine.key})
        assert r.status_code == 200
        fresh = r.json()["key"]
        assert client.get("/account", headers={"X-Api-Key": mine.key}).status_code == 401
        assert client.get("/account", headers={"X-Api-Key": fresh}).status_code == 200

    def test_new_key_joins_callers_account(self, client, new_key):
        mine = new_key("mine", account="acme")
        r = client.post("/account/keys", json={"name": "second"}, headers={"X-Api-Key": mine.key})
        assert r.status_code == 201 and r.json()["account_id"] == mine.account_id


class TestKeyMinting:
    def test_key_past_the_cap_is_409_naming_the_cap_and_setting(self, db, tmp_path, new_key):
        from sellerkit.config import Settings

        mine = new_key("mine", account="acme")
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, max_keys_per_account=3)
        with make_client(db, settings) as c:
            codes = [c.post("/account/keys", json={"name": f"k{i}"}, headers={"X-Api-Key": mine.key}).status_code
                     for i in range(3)]
            r = c.post("/account/keys", json={"name": "k3"}, headers={"X-Api-Key": mine.key})
        assert codes == [201, 201, 409]
        assert r.status_code == 409 and "may hold 3" in r.json()["message"]
        assert "SELLERKIT_MAX_KEYS_PER_ACCOUNT" in r.json()["message"]

    def test_revoking_a_key_frees_a_place_under_the_cap(self, db, tmp_path, new_key):
        from sellerkit.config import Settings

        mine = new_key("mine", account="acme")
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, max_keys_per_account=2)
        with make_client(db, settings) as c:
            other = c.post("/account/keys", json={"name": "other"}, headers={"X-Api-Key": mine.key}).json()
            c.delete(f"/account/keys/{other['partner_id']}", headers={"X-Api-Key": mine.key})
            r = c.post("/account/keys", json={"name": "again"}, headers={"X-Api-Key": mine.key})
        assert r.status_code == 201

    def test_name_with_control_characters_is_400_naming_the_field(self, client, new_key):
        mine = new_key("mine")
        r = client.post("/account/keys", json={"name": "evil\x1b[31m" + "x" * 5000}, headers={"X-Api-Key": mine.key})
        assert r.status_code == 400
        assert r.json()["message"].startswith("name: ") and "printable" in r.json()["message"]
        assert "x" * 100 not in r.text

    def test_name_longer_than_64_characters_is_400(self, client, new_key):
        mine = new_key("mine")
        r = client.post("/account/keys", json={"name": "x" * 65}, headers={"X-Api-Key": mine.key})
        assert r.status_code == 400 and "1 to 64" in r.json()["message"]
