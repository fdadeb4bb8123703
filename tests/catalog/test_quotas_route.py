"""`GET /api/v3/quotas` and `sellerkit quotas`: every budget of the caller's account, the idle
documented ones included, from the store the server and its workers share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime

import pytest

from sellerkit.catalog.providers.budget import DOCUMENTED, BudgetKey, RedisBudgets
from sellerkit.config import Settings
from tests.conftest import REDIS_SKIP, REDIS_URL, make_client

FIELDS = {"provider", "operation", "account_id", "unit", "state", "rate_per_second", "burst", "available_now",
          "queued_seconds", "next_slot_at", "limit_source", "throttled"}


def _rows(body: dict) -> dict[tuple[str, str], dict]:
    return {(r["provider"], r["operation"]): r for r in body["budgets"]}


def _when(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def seller(new_key):
    return new_key("seller", account="seller")


class TestQuotasRoute:
    def test_needs_a_key(self, client):
        r = client.get("/api/v3/quotas")
        assert r.status_code == 401 and "missing API key" in r.json()["message"]

    def test_a_new_account_sees_every_documented_budget_idle(self, client, seller):
        r = client.get("/api/v3/quotas", headers={"X-Api-Key": seller.key})
        assert r.status_code == 200
        body = r.json()
        assert (body["account_id"], body["store"], body["note"]) == (seller.account_id, "memory", None)
        rows = _rows(body)
        assert set(rows) == set(DOCUMENTED)
        for pair, (rate, burst) in DOCUMENTED.items():
            row = rows[pair]
            assert set(row) == FIELDS
            assert (row["state"], row["limit_source"], row["throttled"], row["account_id"]) == (
                "idle", "documented", 0, seller.account_id)
            assert (row["rate_per_second"], row["burst"], row["available_now"]) == (
                pytest.approx(rate, abs=1e-6), burst, burst)
        assert rows[("keepa", "tokens")]["unit"] == "tokens" and rows[("spapi", "getMyFeesEstimates")]["unit"] == "calls"
        assert [r["operation"] for r in body["budgets"]][:2] == ["searchCatalogItems", "getCatalogItem"]

    def test_shows_the_live_state_of_budgets_in_use(self, client, seller):
        budgets = client.app.state.budgets
        offers = BudgetKey("spapi", "getItemOffersBatch", seller.account_id)
        for _ in range(3):
            budgets.store.reserve(offers, 1, 0.1, 1)
        budgets.follow("spapi", "searchCatalogItems", seller.account_id, rate=4.0)
        budgets.throttled("spapi", "getMyFeesEstimates", seller.account_id, retry_after=60)
        budgets.sync_tokens("keepa", "tokens", seller.account_id, 300, 20, 10_000)
        body = client.get("/api/v3/quotas", headers={"X-Api-Key": seller.key}).json()
        rows = _rows(body)
        now = _when(body["now"])
        offered = rows[("spapi", "getItemOffersBatch")]
        assert (offered["state"], offered["available_now"]) == ("waiting", 0)
        assert offered["queued_seconds"] == pytest.approx(30, abs=0.5)
        assert _when(offered["next_slot_at"]) == pytest.approx(now + offered["queued_seconds"], abs=0.01)
        catalog = rows[("spapi", "searchCatalogItems")]
        assert (catalog["state"], catalog["rate_per_second"], catalog["limit_source"]) == ("ready", 4.0, "reply")
        fees = rows[("spapi", "getMyFeesEstimates")]
        assert (fees["state"], fees["throttled"]) == ("waiting", 1) and fees["queued_seconds"] == pytest.approx(60, abs=0.5)
        keepa = rows[("keepa", "tokens")]
        assert (keepa["state"], keepa["limit_source"], keepa["burst"]) == ("ready", "reply", 1200)
        assert keepa["available_now"] == pytest.approx(300, abs=1)
        assert rows[("spapi", "getCompetitivePricing")]["state"] == "idle"  # not used: still listed

    def test_another_accounts_budgets_are_not_shown_nor_shared(self, client, seller, new_key):
        other = new_key("other", account="other")
        budgets = client.app.state.budgets
        budgets.throttled("spapi", "getItemOffersBatch", other.account_id, retry_after=600)
        mine = _rows(client.get("/api/v3/quotas", headers={"X-Api-Key": seller.key}).json())
        theirs = _rows(client.get("/api/v3/quotas", headers={"X-Api-Key": other.key}).json())
        assert mine[("spapi", "getItemOffersBatch")]["state"] == "idle"
        assert theirs[("spapi", "getItemOffersBatch")]["throttled"] == 1
        assert {r["account_id"] for r in theirs.values()} == {other.account_id}

    def test_is_documented_with_its_errors(self, client):
        op = client.get("/openapi.json").json()["paths"]["/api/v3/quotas"]["get"]
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/QuotasReply"}
        assert {"200", "401", "429", "503"} == set(op["responses"])
        assert "Redis" in op["responses"]["503"]["description"]

    def test_several_workers_without_redis_say_each_has_its_own(self, db, tmp_path, seller):
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, workers=3)
        with make_client(db, settings) as c:
            note = c.get("/api/v3/quotas", headers={"X-Api-Key": seller.key}).json()["note"]
        assert "3 processes" in note and "SELLERKIT_REDIS_URL" in note

    @pytest.mark.redis
    def test_with_redis_shows_what_other_processes_reserved(self, db, tmp_path, seller):
        if REDIS_SKIP:
            pytest.skip(REDIS_SKIP)
        prefix = f"sellerkit-test:{uuid.uuid4().hex[:10]}"
        elsewhere = RedisBudgets(REDIS_URL, prefix)  # a worker process's budgets
        try:
            for _ in range(4):
                elsewhere.reserve(BudgetKey("spapi", "getItemOffersBatch", seller.account_id), 1, 0.1, 1)
            settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, redis_url=REDIS_URL,
                                limits_redis_prefix=prefix, queue_name=prefix)
            with make_client(db, settings) as c:
                body = c.get("/api/v3/quotas", headers={"X-Api-Key": seller.key}).json()
        finally:
            import redis

            r = redis.Redis.from_url(REDIS_URL)
            for key in r.scan_iter(f"{prefix}*"):
                r.delete(key)
            elsewhere.close()
        offers = _rows(body)[("spapi", "getItemOffersBatch")]
        assert body["store"] == "redis" and body["note"] is None
        assert offers["state"] == "waiting" and offers["queued_seconds"] == pytest.approx(40, abs=1)


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "SELLERKIT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "160"}
    for name in ("SELLERKIT_DATABASE_URL", "SELLERKIT_REDIS_URL"):
        env.pop(name, None)

    def sellerkit(*args: str, check: bool = True, **settings: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "sellerkit.cli", *args], env={**env, **settings},
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"sellerkit {' '.join(args)} failed: {proc.stderr}")
        return proc

    return sellerkit


class TestQuotasCli:
    def test_without_redis_prints_the_documented_limits_and_says_where_the_live_state_is(self, run):
        proc = run("quotas")
        assert "GET /api/v3/quotas" in proc.stderr and "SELLERKIT_REDIS_URL" in proc.stderr
        for _, operation in DOCUMENTED:
            assert operation in proc.stdout
        body = json.loads(run("quotas", "--json").stdout)
        assert body["store"] == "memory" and {r["state"] for r in body["budgets"]} == {"idle"}
        assert set(_rows(body)) == set(DOCUMENTED) and "GET /api/v3/quotas" in body["note"]

    def test_account_by_id_or_name(self, run):
        made = json.loads(run("keys", "create", "--name", "shop", "--json").stdout)
        by_id = json.loads(run("quotas", "--account", str(made["account_id"]), "--json").stdout)
        by_name = json.loads(run("quotas", "--account", "shop", "--json").stdout)
        assert by_id["account_id"] == by_name["account_id"] == made["account_id"]
        assert {r["account_id"] for r in by_id["budgets"]} == {made["account_id"]}

    def test_unknown_account_fails_naming_the_option(self, run):
        proc = run("quotas", "--account", "nobody", check=False)
        assert proc.returncode == 2 and "--account" in proc.stderr and "nobody" in proc.stderr

    @pytest.mark.redis
    def test_with_redis_prints_the_live_state_the_server_shares(self, run):
        if REDIS_SKIP:
            pytest.skip(REDIS_SKIP)
        prefix = f"sellerkit-test:{uuid.uuid4().hex[:10]}"
        server = RedisBudgets(REDIS_URL, prefix)
        try:
            made = json.loads(run("keys", "create", "--name", "shop", "--json").stdout)
            server.push_back(BudgetKey("spapi", "getMyFeesEstimates", made["account_id"]), 120)
            redis_env = {"SELLERKIT_REDIS_URL": REDIS_URL, "SELLERKIT_LIMITS_REDIS_PREFIX": prefix}
            body = json.loads(run("quotas", "--json", **redis_env).stdout)
            table = run("quotas", "--account", "shop", **redis_env)
        finally:
            import redis

            r = redis.Redis.from_url(REDIS_URL)
            for key in r.scan_iter(f"{prefix}:*"):
                r.delete(key)
            server.close()
        fees = [r for r in body["budgets"] if r["operation"] == "getMyFeesEstimates"]
        assert body["store"] == "redis" and body["note"] is None
        assert [(r["account_id"], r["state"], r["throttled"]) for r in fees] == [(made["account_id"], "waiting", 1)]
        assert "on Redis" in table.stdout and "waiting" in table.stdout and table.stderr == ""


@pytest.mark.slow
class TestServed:
    def test_each_worker_of_a_server_without_redis_says_it_keeps_its_own_budgets(self, tmp_path):
        """`sellerkit serve --workers 2`: the flag reaches the workers' settings."""
        import httpx

        from tests.served import env_for, new_key, serve

        env = env_for(tmp_path / "data")
        env.pop("SELLERKIT_REDIS_URL", None)
        key = new_key(env, "shop")["key"]
        with serve(env, workers=2) as base:
            body = httpx.get(f"{base}/api/v3/quotas", headers={"X-Api-Key": key}, timeout=10).json()
        assert body["store"] == "memory" and "2 processes" in body["note"]
