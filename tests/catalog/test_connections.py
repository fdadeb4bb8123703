"""Credentials per seller account (issue 21, item 3) and "says once what is unavailable" (item 7):
encryption at rest, tenancy, the settings' connection of the default account, the CLI, the
route, and no secret anywhere. Every test runs on SQLite and, where it answers, PostgreSQL."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from sellerkit.catalog.providers.connections import (ANNOUNCED_ENV, INFO, KEEPA_MARKETPLACES, Cipher,
                                                      Connection, SecretKeyMissing, SecretUnreadable,
                                                      connections, connections_for, settings_marketplaces)
from sellerkit.catalog.providers.models import ProviderConnection
from sellerkit.catalog.spapi import REGIONS
from sellerkit.config import Settings
from sellerkit.errors import Invalid
from tests.conftest import make_client

# Made-up credentials shaped like the real ones (no test reaches Amazon or Keepa).
TOKEN = "Atzr|IwEBIFakeRefreshTokenOnlyForTests0123456789abcdefABCDEF-_"
TOKEN_B = "Atzr|IwEBISecondSellersFakeRefreshToken9876543210zyxwvu"
SETTINGS_TOKEN = "Atzr|IwEBISettingsFakeRefreshToken55555555555555555"
KEEPA = "k" * 32 + "0123456789abcdef0123456789abcdef"
SETTINGS_KEEPA = "s" * 64
KEY = "test-secret-key-0123456789abcdefghijklmnop"
OTHER_KEY = "another-secret-key-0123456789abcdefghijklmn"
SECRETS = (TOKEN, TOKEN_B, SETTINGS_TOKEN, KEEPA, SETTINGS_KEEPA, "IwEBIFakeRefreshToken", KEY, OTHER_KEY)
APP = {"spapi_client_id": "amzn1.application-oa2-client.test", "spapi_client_secret": "app-secret-for-tests"}


def no_secret_in(text: str) -> None:
    found = [s for s in SECRETS if s in text]
    assert found == [], f"secret(s) leaked: {found}"


@pytest.fixture
def accounts(db, new_key):
    """Two accounts: `a` made first (the default account), then `b`; with a key each."""
    a, b = new_key("alice", account="alice"), new_key("bob", account="bob")
    assert a.account_id < b.account_id
    return a, b


def with_(settings: Settings, **values) -> Settings:
    return settings.model_copy(update=values)


def keyed(settings: Settings, key: str = KEY, **values) -> Settings:
    from pydantic import SecretStr

    secret = {k: SecretStr(v) if v and k in ("spapi_client_secret", "spapi_refresh_token", "keepa_key") else v
              for k, v in {**APP, **values}.items()}
    return with_(settings, secret_key=SecretStr(key) if key else None, **secret)


def connect_amazon(db, settings, account_id, token=TOKEN, **kw):
    kw.setdefault("seller_id", "A2EXAMPLE1234")
    kw.setdefault("marketplaces", ["US", "ca"])
    with db.session(write=True) as s:
        return connections.connect(s, settings, account_id, "amazon", token, **kw)


def provider(state: dict, name: str) -> dict:
    return next(p for p in state["providers"] if p["provider"] == name)


class TestEncryption:
    def test_round_trip_through_the_database(self, db, settings, accounts):
        a, _ = accounts
        s = keyed(settings)
        made = connect_amazon(db, s, a.account_id)
        assert made == Connection("spapi", a.account_id, TOKEN, "A2EXAMPLE1234", ("US", "CA"), "stored")
        assert connections_for(db, s, a.account_id) == [made]

    def test_what_is_stored_is_not_the_secret(self, db, settings, accounts):
        a, _ = accounts
        connect_amazon(db, keyed(settings), a.account_id)
        with db.engine.connect() as c:
            stored = bytes(c.execute(sa.select(ProviderConnection.secret)).scalar_one())
        assert TOKEN.encode() not in stored and b"Atzr" not in stored and stored[:1] == b"\x01"
        assert len(stored) == 1 + 12 + len(TOKEN) + 16  # format, nonce, ciphertext, tag

    def test_each_encryption_uses_a_new_nonce(self):
        cipher = Cipher(KEY)
        one, two = cipher.encrypt(TOKEN, 1, "spapi"), cipher.encrypt(TOKEN, 1, "spapi")
        assert one != two and cipher.decrypt(one, 1, "spapi") == cipher.decrypt(two, 1, "spapi") == TOKEN

    def test_the_key_is_derived_by_hkdf_sha256_with_the_fixed_info(self):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(KEY.encode())
        blob = Cipher(KEY).encrypt(TOKEN, 7, "spapi")
        aad = b"sellerkit provider credentials|account=7|provider=spapi"
        assert AESGCM(key).decrypt(blob[1:13], blob[13:], aad) == TOKEN.encode()

    def test_a_wrong_key_is_a_clear_error_never_garbage(self):
        blob = Cipher(KEY).encrypt(TOKEN, 1, "spapi")
        with pytest.raises(SecretUnreadable) as caught:
            Cipher(OTHER_KEY).decrypt(blob, 1, "spapi")
        message = caught.value.message
        assert "SELLERKIT_SECRET_KEY" in message and "account 1" in message and "connect again" in message
        no_secret_in(message + repr(caught.value) + str(caught.value.__cause__))

    def test_a_secret_moved_to_another_account_or_provider_does_not_decrypt(self):
        blob = Cipher(KEY).encrypt(TOKEN, 1, "spapi")
        for account_id, provider_ in ((2, "spapi"), (1, "keepa")):
            with pytest.raises(SecretUnreadable):
                Cipher(KEY).decrypt(blob, account_id, provider_)

    @pytest.mark.parametrize("damage", [lambda b: b[:-1] + bytes([b[-1] ^ 1]), lambda b: b"\x02" + b[1:],
                                        lambda b: b[:10], lambda b: b""])
    def test_an_altered_value_is_a_clear_error(self, damage):
        blob = Cipher(KEY).encrypt(TOKEN, 1, "spapi")
        with pytest.raises(SecretUnreadable, match="account 1"):
            Cipher(KEY).decrypt(damage(blob), 1, "spapi")

    def test_a_rotated_key_leaves_the_connection_out_and_status_says_why(self, db, settings, accounts):
        a, _ = accounts
        connect_amazon(db, keyed(settings), a.account_id)
        rotated = keyed(settings, OTHER_KEY)
        assert connections_for(db, rotated, a.account_id) == []
        spapi = provider(connections.status(db, rotated, a.account_id), "spapi")
        assert spapi["connected"] is False
        assert "cannot be decrypted with this SELLERKIT_SECRET_KEY" in spapi["problems"][0]
        no_secret_in(json.dumps(spapi))

    def test_a_rotated_key_falls_back_to_the_settings_connection(self, db, settings, accounts):
        a, _ = accounts
        connect_amazon(db, keyed(settings), a.account_id)
        rotated = keyed(settings, OTHER_KEY, spapi_refresh_token=SETTINGS_TOKEN)
        [conn] = connections_for(db, rotated, a.account_id)
        assert conn.source == "settings" and conn.secret == SETTINGS_TOKEN
        spapi = provider(connections.status(db, rotated, a.account_id), "spapi")
        assert spapi["connected"] and "settings' connection is used" in spapi["problems"][0]

    def test_storing_without_the_secret_key_is_refused_naming_the_setting(self, db, settings, accounts):
        a, _ = accounts
        with pytest.raises(SecretKeyMissing, match="SELLERKIT_SECRET_KEY is not set") as caught:
            connect_amazon(db, keyed(settings, key=""), a.account_id)
        no_secret_in(caught.value.message)
        with db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(ProviderConnection)) == 0

    def test_a_short_secret_key_is_refused(self, db, settings, accounts):
        with pytest.raises(SecretKeyMissing, match="at least 32"):
            connect_amazon(db, keyed(settings, key="short"), accounts[0].account_id)

    def test_stored_connections_without_the_key_are_unreadable_not_a_crash(self, db, settings, accounts):
        a, _ = accounts
        connect_amazon(db, keyed(settings), a.account_id)
        keyless = keyed(settings, key="")
        assert connections_for(db, keyless, a.account_id) == []
        spapi = provider(connections.status(db, keyless, a.account_id), "spapi")
        assert "SELLERKIT_SECRET_KEY is not set" in spapi["problems"][0]

    def test_the_settings_connect_the_default_account_without_a_secret_key(self, db, settings, accounts):
        a, _ = accounts
        s = keyed(settings, key="", spapi_refresh_token=SETTINGS_TOKEN, keepa_key=SETTINGS_KEEPA)
        assert [c.provider for c in connections_for(db, s, a.account_id)] == ["spapi", "keepa"]


class TestTenancy:
    def test_an_account_never_sees_another_s_connection(self, db, settings, accounts):
        a, b = accounts
        s = keyed(settings)
        connect_amazon(db, s, a.account_id)
        with db.session(write=True) as session:
            connections.connect(session, s, b.account_id, "keepa", KEEPA)
        assert [(c.provider, c.account_id) for c in connections_for(db, s, a.account_id)] == [("spapi", a.account_id)]
        assert [(c.provider, c.account_id) for c in connections_for(db, s, b.account_id)] == [("keepa", b.account_id)]
        status_b = connections.status(db, s, b.account_id)
        assert provider(status_b, "spapi")["connected"] is False and provider(status_b, "spapi")["seller_id"] is None
        assert "A2EXAMPLE1234" not in json.dumps(status_b)

    def test_disconnect_removes_only_that_account_s_connection(self, db, settings, accounts):
        a, b = accounts
        s = keyed(settings)
        connect_amazon(db, s, a.account_id)
        connect_amazon(db, s, b.account_id, TOKEN_B, seller_id="A3OTHERSELLER9")
        with db.session(write=True) as session:
            assert connections.disconnect(session, b.account_id, "amazon") is True
            assert connections.disconnect(session, b.account_id, "amazon") is False
        assert connections_for(db, s, b.account_id) == []
        assert [c.secret for c in connections_for(db, s, a.account_id)] == [TOKEN]

    def test_the_settings_connect_only_the_default_account(self, db, settings, accounts):
        a, b = accounts
        s = keyed(settings, spapi_refresh_token=SETTINGS_TOKEN, spapi_seller_id="A1SETTINGSSELLER",
                  keepa_key=SETTINGS_KEEPA)
        got = connections_for(db, s, a.account_id)
        assert [(c.provider, c.source, c.secret) for c in got] == [
            ("spapi", "settings", SETTINGS_TOKEN), ("keepa", "settings", SETTINGS_KEEPA)]
        assert got[0].seller_id == "A1SETTINGSSELLER" and got[1].marketplaces == KEEPA_MARKETPLACES
        assert connections_for(db, s, b.account_id) == []
        status_b = connections.status(db, s, b.account_id)
        assert status_b["default_account"] is False
        assert f"--account {b.account_id}" in provider(status_b, "spapi")["turn_on"]
        assert f"only the default account, {a.account_id}" in provider(status_b, "keepa")["turn_on"]

    def test_the_default_account_is_the_first_made(self, db, new_key, settings):
        from sellerkit.accounts.service import keys

        first = new_key("zed", account="zed")
        new_key("amy", account="amy")
        with db.session() as s:
            assert keys.default_account_id(s) == first.account_id
            assert keys.find_account(s, None).id == first.account_id
            assert keys.find_account(s, "amy").name == "amy"
            with pytest.raises(Exception, match="no account"):
                keys.find_account(s, "nobody")

    def test_a_stored_connection_wins_over_the_settings(self, db, settings, accounts):
        a, _ = accounts
        s = keyed(settings, spapi_refresh_token=SETTINGS_TOKEN)
        connect_amazon(db, s, a.account_id, marketplaces=["DE"])
        [conn] = connections_for(db, s, a.account_id)
        assert (conn.source, conn.secret, conn.marketplaces) == ("stored", TOKEN, ("DE",))
        with db.session(write=True) as session:
            connections.disconnect(session, a.account_id, "amazon")
        assert [c.source for c in connections_for(db, s, a.account_id)] == ["settings"]

    def test_connecting_again_replaces_the_connection(self, db, settings, accounts):
        a, _ = accounts
        s = keyed(settings)
        connect_amazon(db, s, a.account_id)
        connect_amazon(db, s, a.account_id, TOKEN_B, seller_id=None, marketplaces=["UK"])
        assert connections_for(db, s, a.account_id) == [
            Connection("spapi", a.account_id, TOKEN_B, None, ("UK",), "stored")]


class TestSpApiNeedsTheAppCredentials:
    def test_without_client_id_and_secret_no_spapi_connection_is_usable(self, db, settings, accounts):
        a, _ = accounts
        connect_amazon(db, keyed(settings), a.account_id)
        bare = keyed(settings, spapi_client_id=None, spapi_client_secret=None)
        assert connections_for(db, bare, a.account_id) == []
        spapi = provider(connections.status(db, bare, a.account_id), "spapi")
        assert spapi["connected"] is False and spapi["source"] == "stored"
        assert "SELLERKIT_SPAPI_CLIENT_ID and SELLERKIT_SPAPI_CLIENT_SECRET are not set" in spapi["problems"][0]
        assert spapi["turn_on"].startswith("set SELLERKIT_SPAPI_CLIENT_ID and SELLERKIT_SPAPI_CLIENT_SECRET")

    def test_only_the_missing_one_is_named(self, db, settings, accounts):
        a, _ = accounts
        s = keyed(settings, spapi_client_secret=None, spapi_refresh_token=SETTINGS_TOKEN)
        spapi = provider(connections.status(db, s, a.account_id), "spapi")
        assert "SELLERKIT_SPAPI_CLIENT_SECRET is not set" in spapi["problems"][0]
        assert "CLIENT_ID" not in spapi["problems"][0]


class TestStatus:
    def test_connected_says_source_seller_marketplaces_and_what_it_unlocks(self, db, settings, accounts):
        a, _ = accounts
        s = keyed(settings)
        connect_amazon(db, s, a.account_id)
        state = connections.status(db, s, a.account_id)
        assert state["account_id"] == a.account_id and state["default_account"] is True
        spapi = provider(state, "spapi")
        assert {k: spapi[k] for k in ("connected", "source", "seller_id", "marketplaces", "turn_on")} == {
            "connected": True, "source": "stored", "seller_id": "A2EXAMPLE1234", "marketplaces": ["US", "CA"],
            "turn_on": None}
        assert [u["feature"] for u in spapi["unlocks"]] == [
            "match codes the catalog lacks", "live Buy Box prices", "Amazon's fee estimates (cross-check)",
            "listing restrictions (needs seller id)", "inbound eligibility"]
        assert all(u["available"] for u in spapi["unlocks"])
        assert spapi["kinds"] == ["catalog", "pricing", "fees", "offers", "restrictions", "eligibility"]
        keepa = provider(state, "keepa")
        assert keepa["connected"] is False and "Keepa history and monthly sold" in [u["feature"] for u in keepa["unlocks"]]
        assert keepa["turn_on"] == ("set SELLERKIT_KEEPA_KEY, or run `sellerkit providers connect keepa "
                                    "--key-file FILE`")

    def test_restrictions_need_the_seller_id(self, db, settings, accounts):
        a, _ = accounts
        s = keyed(settings)
        connect_amazon(db, s, a.account_id, seller_id=None)
        unlocks = {u["feature"]: u for u in provider(connections.status(db, s, a.account_id), "spapi")["unlocks"]}
        restrictions = unlocks["listing restrictions (needs seller id)"]
        assert restrictions["available"] is False and "--seller-id" in restrictions["needs"]
        assert unlocks["live Buy Box prices"]["available"] is True

    def test_nothing_connected_names_every_setting(self, db, settings, accounts):
        spapi = provider(connections.status(db, keyed(settings, spapi_client_id=None, spapi_client_secret=None),
                                            accounts[0].account_id), "spapi")
        for name in ("SELLERKIT_SPAPI_CLIENT_ID", "SELLERKIT_SPAPI_CLIENT_SECRET", "SELLERKIT_SPAPI_REFRESH_TOKEN",
                     "sellerkit providers connect amazon"):
            assert name in spapi["turn_on"]
        assert spapi["problems"] == [] and not any(u["available"] for u in spapi["unlocks"])

    @pytest.mark.parametrize("endpoint, expected", [
        ("https://sellingpartnerapi-eu.amazon.com", REGIONS["EU"]),
        ("https://sandbox.sellingpartnerapi-fe.amazon.com", REGIONS["FE"]),
        (None, sum(REGIONS.values(), ())),
        ("http://127.0.0.1:8123", sum(REGIONS.values(), ())),
    ])
    def test_the_settings_connection_serves_its_endpoint_s_region(self, endpoint, expected):
        assert settings_marketplaces(endpoint) == expected


class TestChecks:
    @pytest.mark.parametrize("text", ["", "   ", "Atza|IwEBIAccessTokenNotRefresh0123456789", "amzn1.secret.x",
                                      "Atzr|short", "Atzr|with a space inside 0123456789abcdef"])
    def test_what_is_not_a_refresh_token_is_refused_without_showing_it(self, db, settings, accounts, text):
        with pytest.raises(Invalid) as caught:
            connect_amazon(db, keyed(settings), accounts[0].account_id, text)
        if text.strip():
            assert text.strip()[5:] not in caught.value.message

    def test_seller_id_and_marketplaces_are_checked(self, db, settings, accounts):
        with pytest.raises(Invalid, match="merchant token"):
            connect_amazon(db, keyed(settings), accounts[0].account_id, seller_id="not a seller")
        with pytest.raises(Invalid, match="unknown marketplace"):
            connect_amazon(db, keyed(settings), accounts[0].account_id, marketplaces=["US", "XX"])
        with pytest.raises(Invalid, match="give the marketplaces"):
            connect_amazon(db, keyed(settings), accounts[0].account_id, marketplaces=[])

    def test_an_unknown_provider_is_refused(self, db, settings, accounts):
        with db.session(write=True) as s, pytest.raises(Invalid, match="expected one of amazon, keepa, ebay"):
            connections.connect(s, keyed(settings), accounts[0].account_id, "etsy", KEEPA)


class TestNoSecretAnywhere:
    def test_repr_of_a_connection(self):
        conn = Connection("spapi", 1, TOKEN, "A2EXAMPLE1234", ("US",), "stored")
        no_secret_in(repr(conn) + str(conn) + repr(Cipher(KEY)))
        assert "A2EXAMPLE1234" in repr(conn)

    def test_logs_while_connecting_and_reading(self, db, settings, accounts, caplog):
        a, b = accounts
        caplog.set_level(logging.DEBUG)
        s = keyed(settings, spapi_refresh_token=SETTINGS_TOKEN, keepa_key=SETTINGS_KEEPA)
        connect_amazon(db, s, a.account_id)
        with db.session(write=True) as session:
            connections.connect(session, s, b.account_id, "keepa", KEEPA)
        connections_for(db, s, a.account_id)
        connections.status(db, keyed(settings, OTHER_KEY), a.account_id)
        connections.announce(db, keyed(settings, OTHER_KEY), "test")
        assert "account 1 connected to Amazon SP-API" in caplog.text or "connected to Amazon SP-API" in caplog.text
        no_secret_in(caplog.text)

    def test_the_route_s_reply(self, db, settings, accounts):
        a, b = accounts
        s = keyed(settings, spapi_refresh_token=SETTINGS_TOKEN, keepa_key=SETTINGS_KEEPA)
        connect_amazon(db, s, a.account_id)
        with make_client(db, s) as client:
            mine = client.get("/api/v3/providers", headers={"Authorization": f"Bearer {a.key}"})
            theirs = client.get("/api/v3/providers", headers={"X-Api-Key": b.key})
            assert client.get("/api/v3/providers").status_code == 401
        assert mine.status_code == 200 and theirs.status_code == 200
        no_secret_in(mine.text + theirs.text + str(mine.headers) + str(theirs.headers))
        body = mine.json()
        assert body["account_id"] == a.account_id and body["default_account"] is True
        assert provider(body, "spapi")["source"] == "stored" and provider(body, "keepa")["source"] == "settings"
        other = theirs.json()
        assert other["account_id"] == b.account_id and not any(p["connected"] for p in other["providers"])


class TestSaidOnce:
    def test_server_start_says_each_missing_provider_once_not_per_request(self, db, settings, accounts, caplog,
                                                                          monkeypatch):
        monkeypatch.delenv(ANNOUNCED_ENV, raising=False)
        caplog.set_level(logging.WARNING, logger="sellerkit.providers")
        with make_client(db, settings) as client:
            for _ in range(3):
                client.get("/api/v3/providers", headers={"X-Api-Key": accounts[0].key})
        lines = [r.getMessage() for r in caplog.records if r.name == "sellerkit.providers"]
        assert len(lines) == 2, lines
        assert "Amazon SP-API is not connected" in lines[0] and "SELLERKIT_SPAPI_REFRESH_TOKEN" in lines[0]
        assert "local catalog" in lines[0]
        assert "Keepa is not connected" in lines[1] and "SELLERKIT_KEEPA_KEY" in lines[1]

    def test_nothing_is_said_when_everything_is_connected(self, db, settings, accounts, caplog, monkeypatch):
        monkeypatch.delenv(ANNOUNCED_ENV, raising=False)
        caplog.set_level(logging.WARNING, logger="sellerkit.providers")
        s = keyed(settings, spapi_refresh_token=SETTINGS_TOKEN, keepa_key=SETTINGS_KEEPA)
        with make_client(db, s):
            pass
        assert [r for r in caplog.records if r.name == "sellerkit.providers"] == []

    def test_a_stored_connection_of_any_account_counts(self, db, settings, accounts):
        s = keyed(settings)
        connect_amazon(db, s, accounts[1].account_id)
        assert [n.provider for n in connections.unavailable(db, s)] == ["keepa"]

    def test_unreadable_and_unusable_connections_are_said(self, db, settings, accounts):
        s = keyed(settings)
        connect_amazon(db, s, accounts[1].account_id)
        rotated = [n.line for n in connections.unavailable(db, keyed(settings, OTHER_KEY))]
        assert any(f"account {accounts[1].account_id} cannot be read" in line for line in rotated)
        bare = [n.line for n in connections.unavailable(db, keyed(settings, spapi_client_id=None))]
        assert any("connected but cannot be used: SELLERKIT_SPAPI_CLIENT_ID is not set" in line for line in bare)

    def test_not_again_after_sellerkit_serve_said_it_in_its_banner(self, db, settings, caplog, monkeypatch):
        monkeypatch.setenv(ANNOUNCED_ENV, "1")
        caplog.set_level(logging.WARNING, logger="sellerkit.providers")
        with make_client(db, settings):
            pass
        assert [r for r in caplog.records if r.name == "sellerkit.providers"] == []

    def test_the_banner_says_it_in_a_short_line_a_provider(self, db, settings):
        from sellerkit.cli import _banner

        settings.database_url = db.url
        lines = [x for x in _banner(settings, "http://127.0.0.1:8000") if x.startswith("No live ")]
        assert len(lines) == 2 and all(len(x) < 200 for x in lines)
        assert "SELLERKIT_SPAPI_REFRESH_TOKEN" in lines[0] and "providers connect amazon" in lines[0]
        assert "SELLERKIT_KEEPA_KEY" in lines[1]
        connected = keyed(settings, spapi_refresh_token=SETTINGS_TOKEN, keepa_key=SETTINGS_KEEPA)
        assert not any(x.startswith("No live ") for x in _banner(connected, "http://127.0.0.1:8000"))


# ---- the CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli(db, tmp_path, monkeypatch):
    """`sellerkit ...` in this process (typer's CliRunner) on the test's database."""
    from sellerkit.cli import app
    from sellerkit.config import get_settings

    monkeypatch.setenv("SELLERKIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SELLERKIT_DATABASE_URL", db.url)
    monkeypatch.setenv("SELLERKIT_SECRET_KEY", KEY)
    monkeypatch.setenv("SELLERKIT_SPAPI_CLIENT_ID", APP["spapi_client_id"])
    monkeypatch.setenv("SELLERKIT_SPAPI_CLIENT_SECRET", APP["spapi_client_secret"])
    for name in ("SELLERKIT_SPAPI_REFRESH_TOKEN", "SELLERKIT_KEEPA_KEY", "SELLERKIT_SPAPI_SELLER_ID"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        get_settings.cache_clear()
        return runner.invoke(app, list(args), input=input)

    yield run
    get_settings.cache_clear()


def said(result) -> str:
    """What a command wrote to standard error, unwrapped (rich wraps at the terminal's width)."""
    return " ".join(result.stderr.split())


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "refresh-token"
    path.write_text(f"\n  {TOKEN}\n\n")
    return path


class TestCli:
    def test_connect_status_disconnect(self, cli, accounts, token_file, db, caplog):
        a, b = accounts
        caplog.set_level(logging.DEBUG)
        made = cli("providers", "connect", "amazon", "--refresh-token-file", str(token_file),
                   "--seller-id", "A2EXAMPLE1234", "--marketplace", "US", "--marketplace", "uk")
        assert made.exit_code == 0, made.output
        assert f"connected account {a.account_id} (alice) to Amazon SP-API (seller A2EXAMPLE1234): US, UK" in said(made)
        status = cli("providers", "status", "--json")
        assert status.exit_code == 0
        spapi = provider(json.loads(status.stdout), "spapi")
        assert (spapi["connected"], spapi["marketplaces"]) == (True, ["US", "UK"])
        text = cli("providers", "status")
        assert "Amazon SP-API: connected (stored), seller id A2EXAMPLE1234, marketplaces US UK" in text.stdout
        assert "Keepa: not connected" in text.stdout and "SELLERKIT_KEEPA_KEY" in text.stdout
        other = json.loads(cli("providers", "status", "--account", "bob", "--json").stdout)
        assert other["account_id"] == b.account_id and not provider(other, "spapi")["connected"]
        gone = cli("providers", "disconnect", "amazon")
        assert gone.exit_code == 0 and f"disconnected account {a.account_id}" in said(gone)
        assert not provider(json.loads(cli("providers", "status", "--json").stdout), "spapi")["connected"]
        no_secret_in(made.output + status.output + text.output + gone.output + caplog.text)

    def test_connect_keepa_for_another_account_from_standard_input(self, cli, accounts, db):
        _, b = accounts
        made = cli("providers", "connect", "keepa", "--account", str(b.account_id), "--key-file", "-",
                   input=KEEPA + "\n")
        assert made.exit_code == 0, made.output
        no_secret_in(made.output)
        from sellerkit.config import get_settings

        assert connections_for(db, get_settings(), b.account_id)[0].secret == KEEPA

    def test_a_file_that_is_not_a_refresh_token_is_a_clear_error_never_echoed(self, cli, accounts, tmp_path):
        path = tmp_path / "wrong"
        path.write_text("Atza|IwEBIAnAccessTokenNotARefreshToken0123456789")
        made = cli("providers", "connect", "amazon", "--refresh-token-file", str(path), "--marketplace", "US")
        assert made.exit_code == 2 and "Atzr|" in said(made) and "not a Login with Amazon refresh token" in said(made)
        assert "AnAccessToken" not in made.output
        missing = cli("providers", "connect", "amazon", "--refresh-token-file", str(tmp_path / "nope"),
                      "--marketplace", "US")
        assert missing.exit_code == 2 and "no such file" in said(missing)

    def test_an_unknown_marketplace_names_the_option(self, cli, accounts, token_file):
        made = cli("providers", "connect", "amazon", "--refresh-token-file", str(token_file), "--marketplace", "XX")
        assert made.exit_code == 2 and '--marketplace: unknown marketplace "XX"' in said(made)

    def test_without_the_secret_key_connect_is_refused(self, cli, accounts, token_file, monkeypatch):
        monkeypatch.delenv("SELLERKIT_SECRET_KEY")
        made = cli("providers", "connect", "amazon", "--refresh-token-file", str(token_file), "--marketplace", "US")
        assert made.exit_code == 1 and "SELLERKIT_SECRET_KEY is not set" in said(made)
        no_secret_in(made.output)

    def test_an_unknown_account_is_not_created(self, cli, accounts, token_file, db):
        made = cli("providers", "connect", "amazon", "--account", "typo", "--refresh-token-file", str(token_file),
                   "--marketplace", "US")
        assert made.exit_code == 1 and 'no account "typo"' in said(made)
        from sellerkit.accounts.models import Account

        with db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(Account)) == 2

    def test_status_before_any_account_exists(self, cli):
        out = cli("providers", "status", "--json")
        assert out.exit_code == 0
        state = json.loads(out.stdout)
        assert state["account_id"] is None and state["default_account"] is True

    def test_disconnect_an_unknown_provider(self, cli, accounts):
        out = cli("providers", "disconnect", "etsy")
        assert out.exit_code == 2 and "expected one of amazon, keepa" in said(out)
