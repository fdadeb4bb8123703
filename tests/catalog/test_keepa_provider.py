"""KeepaProvider against a fake Keepa behind httpx.MockTransport: requests, batches, domains,
token accounting and 429s.

The fake's products and replies are BUILT from the field reference shared/fixtures/external/
keepa/keepa-product-object.md (tests/catalog/keepa_payloads.py): no real raw Keepa JSON is
public. The fake spends tokens as Keepa documents (1 a product, +2 with buybox=1, +6 a page of
10 offers), refills them a minute at a time, and answers 429 when none is left."""

from __future__ import annotations

import asyncio
import logging
import math

import httpx
import pytest

from sellerkit.catalog.providers.base import PricedItem, Provider
from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
from sellerkit.catalog.providers.keepa import KeepaKeyRefused, KeepaProvider
from sellerkit.domain import identifiers as ids
from tests.catalog.keepa_payloads import ASIN, EAN, UPC, product, reply

KEY = "test-keepa-key-0123456789"


class FakeKeepa:
    """Keepa's /product with a token bucket, on a clock that moves only when someone sleeps."""

    def __init__(self, products: list[dict] | None = None, tokens: int = 1200, rate: int = 20,
                 fail: list[int] | None = None) -> None:
        self.now = 1_790_000_000.0
        self.tokens, self.rate = tokens, rate
        self.next_refill = self.now + 60
        self.products = {(p["domainId"], p["asin"]): p for p in products or [product()]}
        self.requests: list[httpx.QueryParams] = []
        self.statuses: list[int] = []
        self.slept: list[float] = []
        self.fail = list(fail or [])  # statuses to answer first, one a request

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def _refill(self) -> None:
        while self.now >= self.next_refill:
            self.tokens = min(self.tokens + self.rate, 60 * self.rate)
            self.next_refill += 60

    def _answer(self, status: int, body: dict) -> httpx.Response:
        self.statuses.append(status)
        return httpx.Response(status, json=body)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self._refill()
        q = request.url.params
        self.requests.append(q)
        tokens = {"tokensLeft": self.tokens, "refillIn": int((self.next_refill - self.now) * 1000),
                  "refillRate": self.rate, "tokenFlowReduction": 0.0, "timestamp": int(self.now * 1000)}
        if q.get("key") != KEY:
            return self._answer(401, {**tokens, "tokensConsumed": 0,
                                      "error": {"type": "invalidKey", "message": "Invalid API key"}})
        if self.fail:
            status = self.fail.pop(0)
            return self._answer(status, {**tokens, "tokensConsumed": 0, "error": {"type": "x", "message": "boom"}})
        if self.tokens <= 0:
            return self._answer(429, {**tokens, "tokensConsumed": 0,
                                      "error": {"type": "tokens", "message": "Not enough token"}})
        domain = int(q["domain"])
        if "asin" in q:
            found = [self.products.get((domain, a)) or {"asin": a, "domainId": domain, "title": None, "csv": None}
                     for a in q["asin"].split(",")]
            count = len(found)
        else:
            codes = q["code"].split(",")
            found = [p for (d, _), p in self.products.items()
                     if d == domain and set(codes) & set((p.get("upcList") or []) + (p.get("eanList") or []))]
            count = len(codes)
        per = 1 + (2 if q.get("buybox") == "1" else 0) + 6 * math.ceil(int(q.get("offers", 0)) / 10)
        cost = per * count
        self.tokens -= cost
        return self._answer(200, reply(found, tokens_left=self.tokens, refill_in=tokens["refillIn"],
                                       refill_rate=self.rate, consumed=cost))


def make(fake: FakeKeepa, key: str = KEY, **kwargs) -> tuple[KeepaProvider, Budgets]:
    budgets = Budgets(MemoryBudgets(clock=fake.clock), sleep=fake.sleep)
    provider = KeepaProvider(key, account_id=7, budgets=budgets, endpoint="https://keepa.test",
                             transport=httpx.MockTransport(fake.handler), sleep=fake.sleep, **kwargs)
    return provider, budgets


def run(coro):
    return asyncio.run(coro)


class TestInterface:
    def test_is_a_provider_for_the_kinds_keepa_answers(self):
        provider, _ = make(FakeKeepa())
        assert isinstance(provider, Provider) and provider.name == "keepa"
        assert provider.kinds == {"catalog", "pricing", "offers"}
        assert provider.batch["catalog"] == provider.batch["pricing"] == 100
        assert "key" not in repr(provider) and KEY not in repr(provider)

    def test_kinds_it_does_not_answer_say_so(self):
        provider, _ = make(fake := FakeKeepa())
        answer = run(provider.fees("IT", [PricedItem(ASIN, 2599)]))
        assert answer.failures == {ASIN: "Keepa does not answer fees"} and fake.requests == []


class TestQueries:
    def test_attributes_by_asin(self):
        fake = FakeKeepa()
        provider, _ = make(fake)
        answer = run(provider.attributes("IT", [ASIN]))
        q = fake.requests[0]
        assert (q["domain"], q["asin"], q["stats"], q["history"]) == ("8", ASIN, "60", "1")
        assert "buybox" not in q and "offers" not in q
        rec = answer.records[0]
        assert rec["asin"] == ASIN and rec["marketplace"] == "IT" and rec["rank"] == 1234
        assert set(rec["provenance"]) == {"catalog"} and rec["provenance"]["catalog"]["provider"] == "keepa"
        assert len(answer.observations) == 3 and not answer.misses and not answer.failures

    def test_pricing_asks_for_the_buy_box_and_offers_for_offers(self):
        fake = FakeKeepa()
        provider, _ = make(fake)
        priced = run(provider.pricing("IT", [ASIN]))
        assert fake.requests[-1]["buybox"] == "1"
        assert set(priced.records[0]["provenance"]) == {"catalog", "pricing"}
        offered = run(provider.offers("IT", [ASIN]))
        assert fake.requests[-1]["offers"] == "20"
        assert set(offered.records[0]["provenance"]) == {"catalog", "pricing", "offers"}
        assert provider.tokens_consumed == 3 + 13

    def test_up_to_100_asins_a_request(self):
        fake = FakeKeepa(tokens=1200)
        provider, _ = make(fake)
        asins = [f"B0KEEP{i:04d}" for i in range(150)]
        answer = run(provider.attributes("US", asins))
        assert [len(q["asin"].split(",")) for q in fake.requests] == [100, 50]
        assert all(q["domain"] == "1" for q in fake.requests)
        assert len(answer.misses) == 150  # the fake knows none of them
        assert answer.misses["B0KEEP0000"] == "Keepa has no data for B0KEEP0000 in US"

    def test_match_by_code(self):
        fake = FakeKeepa()
        provider, _ = make(fake)
        upc, ean, unknown = ids.parse(UPC), ids.parse(EAN), ids.parse("012345678905")
        answer = run(provider.match("IT", [upc, ean, unknown]))
        assert fake.requests[0]["code"].split(",") == [UPC, EAN, "012345678905"]
        assert answer.matches == {upc.key: [ASIN], ean.key: [ASIN]}
        assert answer.misses == {unknown.key: "Keepa has no product with this UPC in IT"}
        assert [r["asin"] for r in answer.records] == [ASIN]

    def test_each_marketplace_asks_its_domain(self):
        fake = FakeKeepa(products=[product(domainId=3), product(domainId=1)])
        provider, _ = make(fake)
        de = run(provider.attributes("DE", [ASIN]))
        us = run(provider.attributes("US", [ASIN]))
        assert [q["domain"] for q in fake.requests] == ["3", "1"]
        assert de.records[0]["marketplace"] == "DE" and us.records[0]["marketplace"] == "US"

    def test_a_marketplace_keepa_does_not_track_asks_nothing(self):
        fake = FakeKeepa()
        provider, _ = make(fake)
        answer = run(provider.attributes("NL", [ASIN]))
        assert fake.requests == [] and "Keepa has no data for marketplace NL" in answer.failures[ASIN]


class TestTokens:
    def test_each_request_spends_the_expected_tokens_first(self):
        spent: list[float] = []
        fake = FakeKeepa()
        provider, budgets = make(fake)
        acquire = budgets.acquire

        async def spy(provider_name, operation, account_id, cost=1.0):
            spent.append((provider_name, operation, account_id, cost))
            return await acquire(provider_name, operation, account_id, cost)

        budgets.acquire = spy
        run(provider.attributes("IT", [ASIN, "B0KEEPA009"]))
        run(provider.pricing("IT", [ASIN]))
        run(provider.offers("IT", [ASIN]))
        assert spent == [("keepa", "tokens", 7, 2), ("keepa", "tokens", 7, 3), ("keepa", "tokens", 7, 13)]

    def test_the_budget_follows_every_reply(self):
        fake = FakeKeepa(rate=60)
        provider, budgets = make(fake)
        run(provider.attributes("IT", [ASIN]))
        (state,) = budgets.states(7)
        assert (state.key.provider, state.key.operation) == ("keepa", "tokens")
        assert state.source == "reply" and state.rate == pytest.approx(1.0)  # 60 tokens a minute
        assert state.burst == 3600  # an hour's worth

    def test_a_429_waits_for_the_refill_and_never_reaches_the_caller(self):
        fake = FakeKeepa(tokens=0, rate=20)
        provider, _ = make(fake)
        answer = run(provider.attributes("IT", [ASIN]))
        assert fake.statuses == [429, 200]
        assert answer.records and not answer.failures
        assert sum(fake.slept) >= 60 - 1e-6  # the refill came 60 s on: nobody asked before it

    def test_when_retries_run_out_the_codes_fail_with_the_reason(self):
        fake = FakeKeepa(tokens=0, rate=0)  # a plan that never refills
        provider, _ = make(fake, max_retries=2)
        answer = run(provider.attributes("IT", [ASIN]))
        assert fake.statuses == [429, 429, 429]
        assert answer.failures[ASIN].startswith("Keepa is out of tokens (Not enough token)")
        assert not answer.records and not answer.misses

    def test_server_errors_are_retried(self):
        fake = FakeKeepa(fail=[500, 503])
        provider, _ = make(fake)
        answer = run(provider.attributes("IT", [ASIN]))
        assert fake.statuses == [500, 503, 200] and answer.records

    def test_a_refused_key_raises_without_showing_it(self):
        fake = FakeKeepa()
        provider, _ = make(fake, key="wrong-key-abcdef")
        with pytest.raises(KeepaKeyRefused) as err:
            run(provider.attributes("IT", [ASIN]))
        assert "SELLERKIT_KEEPA_KEY" in str(err.value) and "wrong-key-abcdef" not in str(err.value)

    def test_a_bad_request_fails_at_once(self):
        fake = FakeKeepa(fail=[400])
        provider, _ = make(fake)
        answer = run(provider.attributes("IT", [ASIN]))
        assert fake.statuses == [400] and "Keepa refused the request (400: boom)" == answer.failures[ASIN]

    def test_the_key_never_reaches_the_logs(self, caplog):
        fake = FakeKeepa()
        provider, _ = make(fake)
        with caplog.at_level(logging.DEBUG):
            run(provider.attributes("IT", [ASIN]))
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "keepa.test" in logged and KEY not in logged
