"""The page fetcher against the fake storefront: the cap on pages in flight (global on Redis, per
process without), slow, failing and malformed answers."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import wait

import pytest

from sellerkit.config import Settings
from sellerkit.domain.pages import parse_page
from sellerkit.kit.ratelimit import RedisSlots
from sellerkit.tracking.fetcher import Fetcher
from tests.conftest import REDIS_SKIP, REDIS_URL
from tests.fakes.amazon_pages import FakeAmazon


def _settings(tmp_path, amazon, **extra) -> Settings:
    return Settings(**{"data_dir": tmp_path, "demo": False, "capture_base_urls": {"amazon.com": amazon.url},
                       "capture_host_rps": 10_000, "capture_backoff_seconds": 0.01, "capture_timeout": 5, **extra})


def _fetch_all(fetchers: list[Fetcher], per: int) -> list:
    futures = [f.fetch("amazon.com", f"B{n:09d}") for n, f in enumerate(fetchers * per)]
    wait(futures, timeout=60)
    return [f.result() for f in futures]


class TestCap:
    @pytest.mark.skipif(REDIS_SKIP is not None, reason=REDIS_SKIP or "")
    def test_with_redis_the_cap_holds_across_processes(self, tmp_path):
        with FakeAmazon(latency=0.1) as amazon:
            settings = _settings(tmp_path, amazon, capture_concurrency=3, redis_url=REDIS_URL,
                                 limits_redis_prefix=f"test:{uuid.uuid4().hex}")
            two = [Fetcher(settings), Fetcher(settings)]  # as two worker processes have, one each
            try:
                started = time.monotonic()
                got = _fetch_all(two, 12)
                took = time.monotonic() - started
                assert {g.outcome for g in got} == {"ok"} and len(got) == 24
                assert amazon.most_in_flight == 3
                assert took >= 24 * 0.1 / 3 * 0.9
                assert two[0].slots.held() == 0  # every slot given back
            finally:
                for f in two:
                    f.close()

    def test_without_redis_each_process_has_its_own_cap(self, tmp_path):
        with FakeAmazon(latency=0.1) as amazon:
            settings = _settings(tmp_path, amazon, capture_concurrency=3)
            two = [Fetcher(settings), Fetcher(settings)]
            try:
                got = _fetch_all(two, 12)
                assert {g.outcome for g in got} == {"ok"}
                assert amazon.most_in_flight == 6  # 3 each: the documented per-process cap
            finally:
                for f in two:
                    f.close()

    @pytest.mark.skipif(REDIS_SKIP is not None, reason=REDIS_SKIP or "")
    def test_a_slot_a_dead_process_held_comes_back(self):
        slots = RedisSlots(REDIS_URL, f"test:{uuid.uuid4().hex}:slots", cap=1, ttl=0.3)
        try:
            assert slots.try_acquire("dead-process") is True  # never released
            assert slots.try_acquire("live") is False
            time.sleep(0.4)
            assert slots.try_acquire("live") is True and slots.held() == 1
            slots.release("live")
            assert slots.held() == 0
        finally:
            slots.close()


class TestAnswers:
    @pytest.fixture
    def fetcher(self, tmp_path):
        with FakeAmazon() as amazon:
            f = Fetcher(_settings(tmp_path, amazon, capture_timeout=0.3, capture_retries=1))
            yield f, amazon
            f.close()

    def test_a_page_slower_than_the_timeout_fails_after_its_retries(self, fetcher):
        f, amazon = fetcher
        amazon.slow["B000000001"] = 2.0
        got = f.fetch("amazon.com", "B000000001").result(10)
        assert got.outcome == "failed" and got.attempts == 2 and "Timeout" in got.error

    def test_5xx_are_retried_and_404_is_not(self, fetcher):
        f, amazon = fetcher
        amazon.failing["B000000002"] = 1
        amazon.missing.add("B000000003")
        ok, missing = f.fetch("amazon.com", "B000000002").result(10), f.fetch("amazon.com", "B000000003").result(10)
        assert (ok.outcome, ok.attempts) == ("ok", 2)
        assert (missing.outcome, missing.status, missing.attempts) == ("failed", 404, 1)

    def test_a_robot_check_is_blocked_and_a_malformed_page_reads_as_nulls_with_warnings(self, fetcher):
        f, amazon = fetcher
        amazon.blocked["B000000004"] = 1
        amazon.malformed.add("B000000005")
        blocked = f.fetch("amazon.com", "B000000004").result(10)
        assert blocked.outcome == "blocked" and blocked.attempts == 1
        malformed = f.fetch("amazon.com", "B000000005").result(10)
        assert malformed.outcome == "ok"
        page = parse_page(malformed.body, "amazon.com", content_type=malformed.content_type, asin="B000000005")
        assert page["title"] is None and page["price"] is None
        assert "title: not found on the page" in page["warnings"]

    def test_the_location_cookie_is_sent_with_the_pages_of_its_postcode(self, fetcher):
        f, amazon = fetcher
        cookies = f.set_location("amazon.com", "10001")
        got = f.fetch("amazon.com", "B000000006", cookies=cookies, route="10001").result(10)
        assert b"FREE delivery Tuesday to 10001" in got.body and amazon.location_calls == 1
