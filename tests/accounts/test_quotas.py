"""Per-key request rates on every keyed route, and the daily token counters' persistence."""

from __future__ import annotations

import time
import uuid

import pytest

from sellerkit.accounts import repository as repo
from sellerkit.accounts.quotas import Quotas
from sellerkit.accounts.service import Principal, keys
from sellerkit.config import Settings
from sellerkit.kit.ratelimit import MemoryLimits
from tests.conftest import REDIS_SKIP, REDIS_URL, make_client

CONVERT = "/api/v3/convert"
BODY = {"marketplace": "US", "ids": ["036000291452"]}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def freeze(client) -> Clock:
    clock = Clock()
    client.app.state.quotas.limits.clock = clock
    return clock


def set_limit(db, partner_id: str, rps: int) -> None:
    with db.session(write=True) as s:
        keys.set_limit(s, partner_id, rps)


KEYED_ROUTES = [
    ("POST", CONVERT, BODY),
    ("POST", "/api/v3/asin-convert", {"marketplace": "US", "asins": ["B000000001"]}),
    ("GET", "/account", None),
    ("GET", "/account/tokens", None),
    ("GET", "/products/lookup?asin=B000000001", None),
    ("GET", "/api/v3/scans", None),
    ("GET", "/api/v3/brand-blocklist", None),
    ("POST", "/api/v3/calculate", {"asin": "B000000001", "marketplace": "US"}),
]


class TestRequestRateLimit:
    def test_replies_carry_the_rate_limit_headers(self, client, new_key):
        r = client.post(CONVERT, json=BODY, headers={"X-Api-Key": new_key().key})
        assert (r.headers["X-RateLimit-Limit"], int(r.headers["X-RateLimit-Remaining"]) > 590,
                r.headers["X-RateLimit-Reset"]) == ("600", True, "1")

    def test_default_limit_is_600_requests_a_second(self, client, new_key):
        freeze(client)
        key = {"X-Api-Key": new_key().key}
        codes = [client.get("/account", headers=key).status_code for _ in range(601)]
        assert (codes.count(200), codes[-1]) == (600, 429)

    def test_over_the_limit_is_429_with_retry_after_and_rate_limit_headers(self, db, client, new_key):
        issued = new_key()
        set_limit(db, issued.partner_id, 2)
        freeze(client)
        for _ in range(3):
            r = client.get("/account", headers={"X-Api-Key": issued.key})
        assert r.status_code == 429
        assert {h: r.headers[h] for h in ("Retry-After", "Retry-After-Ms", "X-RateLimit-Limit",
                                          "X-RateLimit-Remaining", "X-RateLimit-Reset")} == {
            "Retry-After": "1", "Retry-After-Ms": "500", "X-RateLimit-Limit": "2",
            "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}

    def test_429_body_says_what_to_change_and_names_the_partner_id_only(self, db, client, new_key):
        issued = new_key()
        set_limit(db, issued.partner_id, 1)
        freeze(client)
        client.get("/account", headers={"X-Api-Key": issued.key})
        r = client.get("/account", headers={"X-Api-Key": issued.key})
        message = r.json()["message"]
        assert issued.partner_id in message and "set-limit" in message and issued.key not in r.text

    def test_limit_set_by_the_operator_applies_at_once(self, db, client, new_key):
        issued = new_key()
        client.get("/account", headers={"X-Api-Key": issued.key})
        set_limit(db, issued.partner_id, 5)
        assert client.get("/account", headers={"X-Api-Key": issued.key}).headers["X-RateLimit-Limit"] == "5"

    def test_requests_are_allowed_again_as_the_bucket_refills(self, db, client, new_key):
        issued = new_key()
        set_limit(db, issued.partner_id, 2)
        clock = freeze(client)
        for _ in range(3):
            client.get("/account", headers={"X-Api-Key": issued.key})
        clock.now += 0.5
        assert client.get("/account", headers={"X-Api-Key": issued.key}).status_code == 200

    def test_each_key_has_its_own_limit(self, db, client, new_key):
        first, second = new_key("a", account="acme"), new_key("b", account="acme")
        set_limit(db, first.partner_id, 1)
        freeze(client)
        client.get("/account", headers={"X-Api-Key": first.key})
        assert client.get("/account", headers={"X-Api-Key": second.key}).status_code == 200

    @pytest.mark.parametrize("method, path, body", KEYED_ROUTES, ids=[p for _, p, _ in KEYED_ROUTES])
    def test_applies_to_every_route_that_takes_a_key(self, db, client, new_key, method, path, body):
        issued = new_key()
        set_limit(db, issued.partner_id, 1)
        freeze(client)
        client.get("/account", headers={"X-Api-Key": issued.key})
        r = client.request(method, path, json=body, headers={"X-Api-Key": issued.key})
        assert (r.status_code, "Retry-After" in r.headers) == (429, True)

    def test_routes_without_a_key_are_not_limited(self, client):
        assert "X-RateLimit-Limit" not in client.get("/health").headers

    def test_default_limit_is_configurable(self, db, tmp_path, new_key):
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, rate_limit_rps=1000)
        with make_client(db, settings) as c:
            r = c.get("/account", headers={"X-Api-Key": new_key().key})
        assert r.headers["X-RateLimit-Limit"] == "1000"


def limited_client(db, tmp_path, **limits):
    return make_client(db, Settings(data_dir=tmp_path, demo=False, embedded_worker=False, **limits))


class TestAccountRequestRate:
    def test_minting_keys_does_not_multiply_the_accounts_rate(self, db, tmp_path, new_key):
        minted = [new_key(f"k{i}", account="acme").key for i in range(3)]
        with limited_client(db, tmp_path, rate_limit_rps=10, account_rate_limit_rps=15) as c:
            freeze(c)
            codes = [c.get("/account", headers={"X-Api-Key": k}).status_code for k in minted for _ in range(10)]
        assert codes.count(200) == 15

    def test_429_of_the_account_limit_names_the_account_and_its_setting(self, db, tmp_path, new_key):
        first, second = new_key("a", account="acme"), new_key("b", account="acme")
        with limited_client(db, tmp_path, rate_limit_rps=10, account_rate_limit_rps=10) as c:
            freeze(c)
            for _ in range(10):
                c.get("/account", headers={"X-Api-Key": first.key})
            r = c.get("/account", headers={"X-Api-Key": second.key})
        assert (r.status_code, r.headers["X-RateLimit-Scope"], r.headers["X-RateLimit-Limit"]) == (429, "account", "10")
        assert f"account {second.account_id}" in r.json()["message"]
        assert "SELLERKIT_ACCOUNT_RATE_LIMIT_RPS" in r.json()["message"] and "Retry-After" in r.headers

    def test_headers_show_the_tighter_of_key_and_account(self, db, tmp_path, new_key):
        first, second = new_key("a", account="acme"), new_key("b", account="acme")
        with limited_client(db, tmp_path, rate_limit_rps=10, account_rate_limit_rps=12) as c:
            freeze(c)
            for _ in range(8):
                c.get("/account", headers={"X-Api-Key": first.key})
            r = c.get("/account", headers={"X-Api-Key": second.key})
        assert {h: r.headers[h] for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Scope")} == {
            "X-RateLimit-Limit": "12", "X-RateLimit-Remaining": "3", "X-RateLimit-Scope": "account"}

    def test_one_key_at_the_default_limit_is_never_slowed_by_its_account(self, db, tmp_path, new_key):
        key = {"X-Api-Key": new_key().key}
        with limited_client(db, tmp_path, rate_limit_rps=20, account_rate_limit_rps=5) as c:
            freeze(c)
            codes = [c.get("/account", headers=key).status_code for _ in range(21)]
        assert (codes.count(200), codes[-1]) == (20, 429)

    def test_key_raised_by_the_operator_is_not_slowed_by_its_account(self, db, tmp_path, new_key):
        issued = new_key()
        set_limit(db, issued.partner_id, 50)
        with limited_client(db, tmp_path, rate_limit_rps=10, account_rate_limit_rps=20) as c:
            freeze(c)
            codes = [c.get("/account", headers={"X-Api-Key": issued.key}).status_code for _ in range(51)]
        assert (codes.count(200), codes[-1]) == (50, 429)

    def test_raised_key_does_not_raise_the_limit_its_account_keys_share(self, db, tmp_path, new_key):
        raised = new_key("raised", account="acme")
        first, second = new_key("a", account="acme"), new_key("b", account="acme")
        set_limit(db, raised.partner_id, 50)
        with limited_client(db, tmp_path, rate_limit_rps=10, account_rate_limit_rps=10) as c:
            freeze(c)
            for _ in range(5):
                c.get("/account", headers={"X-Api-Key": raised.key})
            for _ in range(10):
                c.get("/account", headers={"X-Api-Key": first.key})
            r = c.get("/account", headers={"X-Api-Key": second.key})
        assert (r.status_code, r.headers["X-RateLimit-Scope"]) == (429, "account")


    @pytest.mark.redis
    def test_account_limit_holds_with_limits_on_redis(self, db, tmp_path, new_key):
        if REDIS_SKIP:
            pytest.skip(REDIS_SKIP)
        minted = [new_key(f"k{i}", account="acme").key for i in range(3)]
        with limited_client(db, tmp_path, rate_limit_rps=10, account_rate_limit_rps=15, redis_url=REDIS_URL,
                            limits_redis_prefix=f"sellerkit-test:{uuid.uuid4().hex[:10]}") as c:
            freeze(c)
            replies = [c.get("/account", headers={"X-Api-Key": k}) for k in minted for _ in range(10)]
        assert [r.status_code for r in replies].count(200) == 15
        assert replies[-1].headers["X-RateLimit-Scope"] == "account"


class TestDailyCounterPersistence:
    def test_daily_counters_survive_a_restart(self, db, settings, new_key):
        key = new_key(plan="pro").key
        with make_client(db, settings) as c:
            c.get("/products/lookup", params={"key": key, "asin": "B000000001,B000000002,B000000003"})
        with make_client(db, settings) as c:
            assert c.get("/account/tokens", params={"key": key}).json()["dailyTokensLeft"] == 9_997

    def test_counters_are_written_every_flush_interval(self, db, tmp_path, new_key):
        issued = new_key(plan="pro")
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, quota_flush_seconds=0.05)
        with make_client(db, settings) as c:
            c.get("/products/lookup", params={"key": issued.key, "asin": "B000000001"})
            deadline = time.time() + 5
            while time.time() < deadline and not self._stored(db, issued.account_id):
                time.sleep(0.02)
            assert self._stored(db, issued.account_id) == 1

    @staticmethod
    def _stored(db, account_id: int) -> int:
        from datetime import UTC, datetime

        with db.session() as s:
            return repo.token_usage_of_day(s, datetime.now(UTC).date()).get(account_id, 0)

    def test_no_database_read_of_quota_state_per_request(self, db, tmp_path, new_key, monkeypatch):
        reads = []
        real = repo.token_usage_of_day
        monkeypatch.setattr(repo, "token_usage_of_day", lambda *a: reads.append(1) or real(*a))
        key = new_key(plan="pro").key
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, quota_flush_seconds=3600)
        with make_client(db, settings) as c:
            for _ in range(20):
                assert c.get("/products/lookup", params={"key": key, "asin": "B000000001"}).status_code == 200
            assert len(reads) == 1  # the start's

    def test_processes_sharing_a_database_learn_each_others_usage(self, db, new_key):
        issued = new_key(plan="pro")
        who = Principal(0, issued.account_id, issued.partner_id, "pro", None)
        first, second = Quotas(MemoryLimits()), Quotas(MemoryLimits())
        first.charge(who, 4)
        second.charge(who, 6)
        first.flush(db)
        second.flush(db)
        first.flush(db)
        assert (first.status(who).daily_left, second.status(who).daily_left) == (9_990, 9_990)

    def test_counts_that_could_not_be_written_are_kept_for_the_next_write(self, db, new_key, monkeypatch):
        issued = new_key(plan="pro")
        who = Principal(0, issued.account_id, issued.partner_id, "pro", None)
        quotas = Quotas(MemoryLimits())
        quotas.charge(who, 4)
        monkeypatch.setattr(repo, "add_token_usage", lambda *a: (_ for _ in ()).throw(RuntimeError("db down")))
        with pytest.raises(RuntimeError):
            quotas.flush(db)
        monkeypatch.undo()
        quotas.flush(db)
        assert TestDailyCounterPersistence._stored(db, issued.account_id) == 4
