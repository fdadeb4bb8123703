"""The limit stores: process memory and Redis answer the same questions the same way, exactly
under concurrency (Redis across several store instances, as several server processes have)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest

from sellerkit.domain import quotas as q
from sellerkit.domain.plans import plan
from sellerkit.kit.ratelimit import LimitsUnavailable, MemoryLimits, RedisLimits
from tests.conftest import REDIS_SKIP, REDIS_URL

PRO = q.TokenLimits.of(plan("pro"))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def stores(request):
    """`stores(n)`: n stores sharing state (n processes on one Redis; memory: one store) and the
    clock they read."""
    clock = Clock()
    made: list = []
    if request.param == "redis" and REDIS_SKIP:
        pytest.skip(REDIS_SKIP)
    prefix = f"sellerkit-test:{uuid.uuid4().hex[:10]}"

    def make(n: int = 1):
        if request.param == "memory":
            made.append(MemoryLimits(clock))
            return [made[-1]] * n
        new = [RedisLimits(REDIS_URL, prefix, clock) for _ in range(n)]
        made.extend(new)
        return new

    make.clock = clock
    yield make
    if request.param == "redis":
        import redis

        r = redis.Redis.from_url(REDIS_URL)
        for key in r.scan_iter(f"{prefix}:*"):
            r.delete(key)
        r.close()
        for store in made:
            store.close()


def in_threads(calls: list, threads: int = 16) -> list:
    """Run the calls from `threads` threads started together; results in call order."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(threads)

    def work(offset: int) -> None:
        barrier.wait()
        for i in range(offset, len(calls), threads):
            results[i] = calls[i]()

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


class TestTokenCharges:
    def test_200_concurrent_charges_against_a_full_bucket_of_120_grant_exactly_120(self, stores):
        shared = stores(4)
        calls = [lambda s=shared[i % 4]: s.charge(1, PRO, 1) for i in range(200)]
        granted = [c for c in in_threads(calls) if c.granted]
        assert len(granted) == 120

    def test_concurrent_charges_count_every_paid_token_in_the_day(self, stores):
        shared = stores(4)
        in_threads([lambda s=shared[i % 4]: s.charge(1, PRO, 1) for i in range(200)])
        assert shared[0].charge(1, PRO, 0).daily_left == 10_000 - 120

    def test_refused_charge_changes_nothing(self, stores):
        (store,) = stores()
        store.charge(1, PRO, 118)
        store.charge(1, PRO, 5)
        status = store.charge(1, PRO, 0)
        assert (status.daily_left, status.bucket_left) == (10_000 - 118, 2)

    def test_refusal_names_the_bucket_and_its_restore_rate(self, stores):
        (store,) = stores()
        store.charge(1, PRO, 120)
        c = store.charge(1, PRO, 1)
        assert (c.refused, c.message) == ("bucket", "Not enough tokens in the bucket. Restore rate: 60 / min")

    def test_bucket_refills_as_the_clock_moves(self, stores):
        (store,) = stores()
        store.charge(1, PRO, 120)
        stores.clock.now += 5
        assert store.charge(1, PRO, 0).bucket_left == 5

    def test_daily_allowance_refuses_with_the_reference_message(self, stores):
        (store,) = stores()
        basic = q.TokenLimits.of(plan("basic"))
        for _ in range(100):  # 1,000 a day; the bucket refills 10 a minute, so an hour apart
            assert store.charge(1, basic, 10).granted
            stores.clock.now += 360
        assert store.charge(1, basic, 1).message == "The daily requests limit has been reached."

    def test_daily_allowance_resets_at_midnight_utc(self, stores):
        (store,) = stores()
        store.charge(1, PRO, 100)
        stores.clock.now += 43_200
        assert store.charge(1, PRO, 0).daily_left == 10_000

    def test_accounts_have_their_own_tokens(self, stores):
        (store,) = stores()
        store.charge(1, PRO, 120)
        assert store.charge(2, PRO, 120).granted


class TestRequestRate:
    def test_allows_the_limit_within_a_second_then_refuses(self, stores):
        shared = stores(4)
        results = in_threads([lambda s=shared[i % 4]: s.hit(7, 50) for i in range(80)])
        assert sum(d.allowed for d in results) == 50

    def test_refusal_says_when_to_retry(self, stores):
        (store,) = stores()
        for _ in range(10):
            store.hit(7, 10)
        d = store.hit(7, 10)
        assert (d.allowed, d.retry_after) == (False, pytest.approx(0.1))

    def test_refills_at_the_limit_per_second(self, stores):
        (store,) = stores()
        for _ in range(10):
            store.hit(7, 10)
        stores.clock.now += 0.35
        assert [store.hit(7, 10).allowed for _ in range(4)] == [True, True, True, False]

    def test_keys_have_their_own_buckets(self, stores):
        (store,) = stores()
        for _ in range(10):
            store.hit(7, 10)
        assert store.hit(8, 10).allowed


class TestAccountRequestRate:
    """Every key of an account also draws on the account's bucket: minting keys does not
    multiply the rate."""

    def test_keys_of_one_account_share_its_limit_exactly_under_concurrency(self, stores):
        shared = stores(4)
        calls = [lambda s=shared[i % 4], k=i % 5: s.hit(k, 50, 1, 100) for i in range(300)]
        assert sum(d.allowed for d in in_threads(calls)) == 100

    def test_each_key_keeps_its_own_limit_under_the_accounts(self, stores):
        shared = stores(4)
        results = in_threads([lambda s=shared[i % 4]: s.hit(7, 50, 1, 100) for i in range(80)])
        assert sum(d.allowed for d in results) == 50

    def test_refusal_by_the_account_names_it_and_costs_the_key_nothing(self, stores):
        (store,) = stores()
        for _ in range(10):
            store.hit(7, 10, 1, 10)
        refused = store.hit(8, 10, 1, 10)
        assert (refused.allowed, refused.scope, refused.retry_after) == (False, "account", pytest.approx(0.1))
        assert store.hit(8, 10).remaining == 9  # key 8's bucket was never paid from

    def test_refusal_by_the_key_costs_the_account_nothing(self, stores):
        (store,) = stores()
        for _ in range(3):
            store.hit(7, 2, 1, 10)
        assert store.hit(8, 10, 1, 10).remaining == 7  # the account paid 2, not 3

    def test_account_bucket_refills_at_its_limit_per_second(self, stores):
        (store,) = stores()
        for k in range(10):
            store.hit(k, 10, 1, 10)
        stores.clock.now += 0.25
        assert [store.hit(20, 10, 1, 10).allowed for _ in range(3)] == [True, True, False]

    def test_accounts_have_their_own_request_buckets(self, stores):
        (store,) = stores()
        for k in range(10):
            store.hit(k, 10, 1, 10)
        assert store.hit(99, 10, 2, 10).allowed

    def test_figures_are_the_tighter_buckets(self, stores):
        (store,) = stores()
        for k in range(8):
            store.hit(k, 10, 1, 10)
        d = store.hit(50, 10, 1, 10)
        assert (d.scope, d.limit, d.remaining) == ("account", 10, 1)


class TestMemoryCounterPersistence:
    def test_pending_is_what_was_paid_since_the_last_take(self):
        store = MemoryLimits(Clock())
        store.charge(1, PRO, 3)
        store.charge(1, PRO, 200)  # refused: not pending
        day = q.utc_day(NOON)
        assert (store.take_pending(), store.take_pending()) == ({(1, day): 3}, {})

    def test_absorb_takes_persisted_total_plus_unwritten_usage(self):
        store = MemoryLimits(Clock())
        store.charge(1, PRO, 3)
        store.take_pending()
        store.charge(1, PRO, 2)
        store.absorb(q.utc_day(NOON), {1: 50})  # 50 written by every process, our 3 included
        assert store.charge(1, PRO, 0).daily_left == 10_000 - 52

    def test_absorb_of_another_day_is_ignored(self):
        store = MemoryLimits(Clock())
        store.absorb(q.utc_day(NOON) - 1, {1: 50})
        assert store.charge(1, PRO, 0).daily_left == 10_000

    def test_restored_pending_is_written_next_time(self):
        store = MemoryLimits(Clock())
        store.charge(1, PRO, 3)
        store.restore_pending(store.take_pending())
        assert store.take_pending() == {(1, q.utc_day(NOON)): 3}


class TestRedisUnavailable:
    def test_store_is_made_without_reaching_redis(self):
        RedisLimits("redis://127.0.0.1:1/0", "x", timeout=0.2).close()

    def test_unreachable_redis_is_503_saying_to_retry(self):
        store = RedisLimits("redis://127.0.0.1:1/0", "x", timeout=0.2)
        with pytest.raises(LimitsUnavailable) as err:
            store.hit(1, 10)
        assert err.value.status_code == 503 and "retry shortly" in err.value.message
