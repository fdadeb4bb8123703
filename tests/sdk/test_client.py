"""The Python SDK: against the real app (typed results, errors by status, scans end to end) and
against scripted transports (retries, timeouts, fallbacks)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

import sellerkit
from sellerkit.app import create_app
from sellerkit.sdk import (
    APITimeout,
    AsyncClient,
    BadRequest,
    Client,
    DailyLimitReached,
    Forbidden,
    LookupResult,
    NotEnoughTokens,
    NotFound,
    Product,
    RateLimited,
    ServerError,
    Tokens,
    Unauthorized,
)
from tests.catalog.factories import UPC, product
from tests.conftest import import_records, make_client

pytestmark = pytest.mark.filterwarnings("ignore:You should not use the 'timeout' argument with the TestClient")

ASIN = "B088H39PXX"
BASE = "http://testserver"


@pytest.fixture
def catalog(db):
    import_records(db, [
        product(ASIN, identifiers={"upc": ["793610399007"]}, buybox_price=2279,
                package_dimensions={"length": 9, "width": 6, "height": 2, "weight": 0.8}, category="Toys & Games"),
        product("B000000001", identifiers={"upc": [UPC]}, buybox_price=1500,
                package_dimensions={"length": 9, "width": 6, "height": 2, "weight": 0.8}, category="Toys & Games"),
    ])


@pytest.fixture
def sk(client, catalog, new_key):
    """The SDK over the real app (the test client is an httpx.Client)."""
    return Client(BASE, new_key(plan="pro").key, http_client=client)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def frozen(client) -> None:
    client.app.state.quotas.limits.clock = Clock(time.time())


class TestExports:
    def test_clients_are_importable_from_the_package(self):
        assert (sellerkit.Client, sellerkit.AsyncClient) == (Client, AsyncClient)


class TestClientAgainstTheApp:
    def test_lookup_returns_typed_products(self, sk):
        result = sk.lookup(asin=[ASIN])
        assert isinstance(result, LookupResult) and isinstance(result.items[0], Product)
        assert (result.items[0].asin, result.items[0].lowest_formatted_price, result.consumed_tokens) == (
            ASIN, "$22.79", 1)

    def test_lookup_by_upc_string(self, sk):
        assert [p.asin for p in sk.lookup(upc=UPC).items] == ["B000000001"]

    def test_tokens_are_typed(self, sk):
        tokens = sk.tokens()
        assert isinstance(tokens, Tokens) and (tokens.daily_tokens_limit, tokens.tokens_per_minute) == (10_000, 60)

    def test_convert(self, sk):
        assert sk.convert([UPC]) == {UPC: ["B000000001", "0" + UPC]}

    def test_asin_convert(self, sk):
        assert sk.asin_convert(["B000000001"])["B000000001"]["upc"] == [UPC]

    def test_bad_request_raises_bad_request_with_the_message(self, sk):
        with pytest.raises(BadRequest, match="domain: unknown domain"):
            sk.lookup(asin=ASIN, domain="zz")

    def test_wrong_key_raises_unauthorized(self, client):
        with pytest.raises(Unauthorized):
            Client(BASE, "sk_wrong", http_client=client).tokens()

    def test_account_without_plan_raises_forbidden(self, client, new_key):
        with pytest.raises(Forbidden):
            Client(BASE, new_key("lapsed", plan=None).key, http_client=client).tokens()

    def test_unknown_scan_raises_not_found(self, sk):
        with pytest.raises(NotFound):
            sk.scans.get(999)

    def test_empty_bucket_raises_not_enough_tokens_with_retry_after(self, client, sk):
        frozen(client)
        for _ in range(12):
            sk.lookup(asin=[f"B00000{i:04d}" for i in range(10)])
        with pytest.raises(NotEnoughTokens) as err:
            sk.lookup(asin=ASIN, timeout=5)
        assert err.value.retry_after == pytest.approx(1.0)

    def test_spent_day_raises_daily_limit_reached(self, client, catalog, new_key):
        sk = Client(BASE, new_key("small", plan="basic").key, http_client=client)
        clock = Clock((time.time() // 86_400) * 86_400 + 60)  # 00:01 UTC: the whole day ahead
        client.app.state.quotas.limits.clock = clock
        for _ in range(100):  # 1,000 tokens a day, 10 a minute
            sk.lookup(asin=[f"B00000{i:04d}" for i in range(10)])
            clock.now += 60
        with pytest.raises(DailyLimitReached):
            sk.lookup(asin=ASIN)

    def test_inbound_eligibility_is_typed_in_the_order_asked(self, sk):
        answers = sk.inbound_eligibility(["B000000001", ASIN, "B000000099"])
        assert [(a.asin, a.eligible, a.source) for a in answers] == [
            ("B000000001", True, "rules"), (ASIN, True, "rules"), ("B000000099", False, "rules")]
        assert answers[2].ineligible_codes == ["FBA_INB_0017"] and "catalog" in answers[2].reason

    def test_fallback_replaces_an_error(self, sk):
        assert sk.lookup(asin=ASIN, domain="zz", fallback=None) is None


class TestScansThroughTheSdk:
    def test_upload_wait_results_and_download(self, db, worker_settings, catalog, new_key):
        with make_client(db, worker_settings) as client:
            sk = Client(BASE, new_key(plan="pro").key, http_client=client)
            scan = sk.scans.upload(f"UPC,Cost\n{UPC},3.25\n793610399007,4.10\n".encode(), filename="s.csv",
                                   name="sdk")
            done = sk.scans.wait(scan.id, poll=0.05, timeout=30)
            page = sk.scans.results(scan.id, sort="-profit")
            csv = sk.scans.download(scan.id, "csv")
            listed = sk.scans.list()
        assert (done.status, page.count, listed.count) == ("Success", 2, 1)
        assert {row["asin"] for row in page.data} == {"B000000001", ASIN}
        assert csv.count(b"\n") == 3


    def test_recalculate_rerun_cancel_and_exports(self, db, worker_settings, catalog, new_key):
        with make_client(db, worker_settings) as client:
            sk = Client(BASE, new_key(plan="pro").key, http_client=client)
            scan = sk.scans.upload(f"{UPC},3.25\n793610399007,4.10\n".encode())
            sk.scans.wait(scan.id, poll=0.05, timeout=30)
            queued = sk.scans.recalculate(scan.id)
            repriced = sk.scans.wait(scan.id, poll=0.05, timeout=30)
            rerun = sk.scans.rerun(scan.id)
            again = sk.scans.wait(scan.id, poll=0.05, timeout=30)
            ended = sk.scans.cancel(scan.id)
            cheap = sk.scans.results(scan.id, filter={"cost": {"<": 4}})
            with pytest.raises(BadRequest, match="not set up"):
                sk.scans.export_sheet(scan.id)
            job = client.post(f"/api/v3/scans/{scan.id}/download", params={"type": "json", "background": "true"},
                              headers=sk._headers).json()
            deadline = time.monotonic() + 30
            while (export := sk.scans.export(job["id"])).status == "InProgress" and time.monotonic() < deadline:
                time.sleep(0.05)
        assert (queued.status, repriced.status, rerun.status, again.status) == (
            "InProgress", "Success", "InProgress", "Success")
        assert ended.status == "Success" and [row["asin"] for row in cheap.data] == ["B000000001"]
        assert (export.status, export.url) == ("Success", f"/api/v3/exports/{job['id']}/file")


def scripted(*replies, seen: list | None = None):
    """An httpx transport answering the given (status, headers, body) in turn."""
    queue = list(replies)

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status, headers=headers, json=body)

    return handler


OK = (200, {}, {"items": [], "dailyTokensLeft": 5, "bucketSize": 5, "msBeforeNextDailyToken": 1, "consumedTokens": 1})
BUCKET = (429, {"Retry-After": "1", "Retry-After-Ms": "30"},
          {"error": "Not enough tokens in the bucket. Restore rate: 60 / min", "message": "...", "status": 429})


def sync_client(handler, **kw) -> Client:
    return Client("http://api.test", "sk_secret", http_client=httpx.Client(transport=httpx.MockTransport(handler)),
                  **kw)


class TestRetries:
    def test_429_is_retried_after_the_named_wait(self):
        seen: list = []
        started = time.monotonic()
        result = sync_client(scripted(BUCKET, OK, seen=seen)).lookup(asin=ASIN)
        assert (result.consumed_tokens, len(seen)) == (1, 2) and time.monotonic() - started >= 0.03

    def test_wait_longer_than_the_timeout_is_not_attempted(self):
        seen: list = []
        daily = (429, {"Retry-After": "40000"}, {"error": "The daily requests limit has been reached."})
        with pytest.raises(DailyLimitReached):
            sync_client(scripted(daily, OK, seen=seen)).lookup(asin=ASIN)
        assert len(seen) == 1

    def test_gives_up_after_max_retries(self):
        seen: list = []
        with pytest.raises(RateLimited):
            sync_client(scripted(BUCKET, seen=seen), max_retries=2).lookup(asin=ASIN, timeout=5)
        assert len(seen) == 3

    def test_backs_off_without_a_named_wait(self):
        seen: list = []
        bare = (429, {}, {"message": "slow down"})
        sync_client(scripted(bare, bare, OK, seen=seen), backoff=0.01).lookup(asin=ASIN)
        assert len(seen) == 3

    def test_503_with_retry_after_is_retried(self):
        seen: list = []
        busy = (503, {"Retry-After-Ms": "10"}, {"message": "rate limits unavailable"})
        sync_client(scripted(busy, OK, seen=seen)).lookup(asin=ASIN)
        assert len(seen) == 2

    def test_other_errors_are_not_retried(self):
        seen: list = []
        with pytest.raises(ServerError):
            sync_client(scripted((500, {}, {"message": "boom"}), OK, seen=seen)).lookup(asin=ASIN)
        assert len(seen) == 1


class TestTimeoutsAndFallbacks:
    def test_lookup_timeout_defaults_to_500_ms(self):
        seen: list = []
        sync_client(scripted(OK, seen=seen)).lookup(asin=ASIN)
        assert 0 < seen[0].extensions["timeout"]["read"] <= 0.5

    def test_other_calls_default_to_the_client_timeout(self):
        seen: list = []
        sync_client(scripted((200, {}, {}), seen=seen), timeout=12).convert([UPC])
        assert 0.5 < seen[0].extensions["timeout"]["read"] <= 12

    def test_no_answer_in_time_raises_api_timeout(self):
        with pytest.raises(APITimeout):
            sync_client(scripted((httpx.ReadTimeout("slow"), None, None))).lookup(asin=ASIN)

    def test_fallback_replaces_a_timeout(self):
        assert sync_client(scripted((httpx.ReadTimeout("slow"), None, None))).lookup(asin=ASIN, fallback=[]) == []

    def test_fallback_replaces_a_connection_failure(self):
        failing = scripted((httpx.ConnectError("refused"), None, None))
        assert sync_client(failing).tokens(fallback="no tokens") == "no tokens"

    def test_fallback_replaces_an_error_status(self):
        assert sync_client(scripted((500, {}, {"message": "boom"}))).lookup(asin=ASIN, fallback=None) is None


class TestSecrets:
    def test_key_travels_in_the_authorization_header_not_the_url(self):
        seen: list = []
        sync_client(scripted(OK, seen=seen)).lookup(asin=ASIN)
        assert seen[0].headers["authorization"] == "Bearer sk_secret" and "sk_secret" not in str(seen[0].url)

    def test_repr_never_shows_the_key(self):
        assert "sk_secret" not in repr(sync_client(scripted(OK)))

    def test_missing_key_is_refused_at_construction(self, monkeypatch):
        monkeypatch.delenv("SELLERKIT_API_KEY", raising=False)
        with pytest.raises(ValueError, match="key"):
            Client("http://api.test")


class TestAsyncClient:
    def test_lookup_against_the_app(self, db, settings, catalog, new_key):
        key = new_key(plan="pro").key
        app = create_app(settings, db)

        async def run():
            async with app.router.lifespan_context(app):
                http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
                async with AsyncClient(BASE, key, http_client=http) as sk:
                    result, tokens = await sk.lookup(asin=ASIN), await sk.tokens()
                await http.aclose()
                return result, tokens

        result, tokens = asyncio.run(run())
        assert (result.items[0].asin, tokens.daily_tokens_left) == (ASIN, 9_999)

    def test_timeout_covers_the_whole_exchange(self):
        async def slow(request):
            await asyncio.sleep(2)
            return httpx.Response(200, json={})

        async def run():
            http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
            async with AsyncClient("http://api.test", "sk_secret", http_client=http) as sk:
                started = time.monotonic()
                with pytest.raises(APITimeout):
                    await sk.lookup(asin=ASIN, timeout=0.1)
                return time.monotonic() - started

        assert asyncio.run(run()) < 0.5

    def test_fallback_replaces_a_timeout(self):
        async def slow(request):
            await asyncio.sleep(2)
            return httpx.Response(200, json={})

        async def run():
            http = httpx.AsyncClient(transport=httpx.MockTransport(slow))
            async with AsyncClient("http://api.test", "sk_secret", http_client=http) as sk:
                return await sk.lookup(asin=ASIN, timeout=0.05, fallback="cached")

        assert asyncio.run(run()) == "cached"

    def test_429_is_retried(self):
        calls = []

        async def handler(request):
            calls.append(request)
            return httpx.Response(*BUCKET[:1], headers=BUCKET[1], json=BUCKET[2]) if len(calls) == 1 else \
                httpx.Response(200, json=OK[2])

        async def run():
            http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
            async with AsyncClient("http://api.test", "sk_secret", http_client=http) as sk:
                return await sk.lookup(asin=ASIN)

        assert (asyncio.run(run()).consumed_tokens, len(calls)) == (1, 2)
