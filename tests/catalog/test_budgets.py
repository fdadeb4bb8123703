"""Provider budgets (GCRA): paced, fair, per account, following replies; the same in process
memory and on Redis (where several processes share one budget). Time is injected wherever it
need not pass: a clock the test moves, and an event loop whose sleeps advance that clock."""

from __future__ import annotations

import asyncio
import heapq
import multiprocessing
import threading
import time
import uuid

import pytest

from sellerkit.catalog.providers.budget import (DOCUMENTED, BudgetKey, Budgets, BudgetsUnavailable, MemoryBudgets,
                                                RedisBudgets, budgets_for)
from tests.conftest import REDIS_SKIP, REDIS_URL

START = 1_800_000_000.0
CATALOG = ("spapi", "searchCatalogItems")  # 2/s, burst 2
OFFERS = ("spapi", "getItemOffersBatch")  # 0.1/s, burst 1
RESTRICTIONS = ("spapi", "getListingsRestrictions")  # 5/s, burst 10


def approx(expected):
    """Unix times near 2e9 hold about 2e-7 s: figures are exact to a microsecond."""
    return pytest.approx(expected, abs=1e-5, rel=0)


class VirtualTime:
    """A clock, and an asyncio sleep that moves it: `run(*coroutines)` wakes the earliest
    sleeper whenever every coroutine is waiting, so hours of pacing take no time."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self._timers: list = []
        self._seq = 0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, self._seq, future))
        self._seq += 1
        await future

    def run(self, *coroutines):
        async def drive():
            tasks = [asyncio.ensure_future(c) for c in coroutines]
            while not all(t.done() for t in tasks):
                for _ in range(20):  # let every runnable task reach its next sleep
                    await asyncio.sleep(0)
                if not self._timers:
                    assert all(t.done() for t in tasks), "a task waits on something other than the clock"
                    break
                at, _, future = heapq.heappop(self._timers)
                self.now = max(self.now, at)
                future.set_result(None)
            return [t.result() for t in tasks]

        return asyncio.run(drive())


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def stores(request):
    """`stores(n)`: n stores sharing one state (n processes on one Redis; memory: one store),
    all on the clock `stores.clock`."""
    clock = VirtualTime()
    made: list = []
    if request.param == "redis" and REDIS_SKIP:
        pytest.skip(REDIS_SKIP)
    prefix = f"sellerkit-test:{uuid.uuid4().hex[:10]}"

    def make(n: int = 1):
        if request.param == "memory":
            made.append(MemoryBudgets(clock))
            return [made[-1]] * n
        new = [RedisBudgets(REDIS_URL, prefix, clock) for _ in range(n)]
        made.extend(new)
        return new

    make.clock = clock
    make.prefix = prefix
    make.kind = request.param
    yield make
    if request.param == "redis":
        _drop(prefix)
        for store in made:
            store.close()


def _drop(prefix: str) -> None:
    import redis

    r = redis.Redis.from_url(REDIS_URL)
    for key in r.scan_iter(f"{prefix}:*"):
        r.delete(key)
    r.close()


@pytest.fixture
def budgets(stores):
    (store,) = stores()
    return Budgets(store, sleep=stores.clock.sleep)


def waits(budgets: Budgets, clock: VirtualTime, budget: tuple[str, str], n: int, account: int = 1,
          cost: float = 1) -> list[float]:
    """The waits of `n` calls reserved back to back at one instant."""
    return [budgets.store.reserve(BudgetKey(*budget, account), cost, *DOCUMENTED[budget]) for _ in range(n)]


def state(budgets: Budgets, budget: tuple[str, str], account: int = 1):
    (found,) = [s for s in budgets.states(account) if (s.key.provider, s.key.operation) == budget]
    return found


class TestPacing:
    def test_burst_goes_at_once_then_one_slot_an_interval(self, budgets, stores):
        assert waits(budgets, stores.clock, CATALOG, 5) == approx([0, 0, 0.5, 1.0, 1.5])

    def test_a_burst_of_ten(self, budgets, stores):
        got = waits(budgets, stores.clock, RESTRICTIONS, 12)
        assert got == approx([0] * 10 + [0.2, 0.4])

    def test_burst_refills_while_idle_and_no_further(self, budgets, stores):
        waits(budgets, stores.clock, CATALOG, 2)
        stores.clock.now += 60
        assert waits(budgets, stores.clock, CATALOG, 3) == approx([0, 0, 0.5])

    def test_acquire_sleeps_the_wait(self, budgets, stores):
        async def three():
            return [await budgets.acquire(*OFFERS, 1) for _ in range(3)]

        (got,) = stores.clock.run(three())
        assert got == approx([0, 10, 10]) and stores.clock.now == approx(START + 20)

    def test_a_call_costing_several_units_waits_for_all_of_them(self, budgets, stores):
        assert waits(budgets, stores.clock, RESTRICTIONS, 2, cost=10) == approx([0, 2])

    def test_reservations_in_turn_are_served_in_turn(self, stores):
        shared = stores(4)
        key = BudgetKey(*OFFERS, 1)
        slots = [shared[i % 4].reserve_slot(key, 1, *DOCUMENTED[OFFERS])[0] for i in range(6)]
        assert slots == approx([START + 10 * i for i in range(6)])

    def test_concurrent_reservations_never_share_a_slot(self, stores):
        shared = stores(4)
        key = BudgetKey(*RESTRICTIONS, 1)
        slots: list[float] = []
        lock = threading.Lock()
        barrier = threading.Barrier(8)

        def work(n: int) -> None:
            barrier.wait()
            for i in range(25):
                slot, _ = shared[(n + i) % 4].reserve_slot(key, 1, *DOCUMENTED[RESTRICTIONS])
                with lock:
                    slots.append(slot)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(slots) == approx([START] * 10 + [START + 0.2 * i for i in range(1, 191)])


class TestFairness:
    def test_two_consumers_of_one_budget_alternate_and_neither_starves(self, budgets, stores):
        """Two scans of one account: each takes a slot, calls, and comes back for the next."""
        grants: list[tuple[float, str]] = []

        async def consumer(name: str, calls: int):
            for _ in range(calls):
                await budgets.acquire(*OFFERS, 1)
                grants.append((stores.clock.now, name))
                await asyncio.sleep(0)  # the call itself

        stores.clock.run(consumer("a", 20), consumer("b", 20))
        names = [name for _, name in grants]
        assert names == ["a", "b"] * 20
        assert [t for t, _ in grants] == approx([START + 10 * i for i in range(40)])

    def test_with_a_burst_they_alternate_within_one_slot(self, budgets, stores):
        grants: list[tuple[float, str]] = []

        async def consumer(name: str, calls: int):
            for _ in range(calls):
                await budgets.acquire(*CATALOG, 1)
                grants.append((stores.clock.now, name))
                await asyncio.sleep(0)

        stores.clock.run(consumer("a", 30), consumer("b", 30))
        assert [name for _, name in grants] == ["a", "b"] * 30
        times = [t - START for t, _ in grants]
        assert times[:2] == approx([0, 0]) and times[2:] == approx([0.5 * i for i in range(1, 59)])

    def test_a_greedy_consumer_does_not_starve_a_late_one(self, budgets, stores):
        """One scan has been spending the budget for a minute; a second one starting then gets
        every other slot from its first request on."""
        grants: list[tuple[float, str]] = []

        async def consumer(name: str, calls: int, start_after: float = 0):
            if start_after:
                await stores.clock.sleep(start_after)
            for _ in range(calls):
                await budgets.acquire(*CATALOG, 1)
                grants.append((stores.clock.now, name))
                await asyncio.sleep(0)

        stores.clock.run(consumer("early", 200), consumer("late", 40, start_after=60))
        late = [i for i, (_, name) in enumerate(grants) if name == "late"]
        first = late[0]
        assert grants[first][0] - START <= 60.5  # served within one slot of asking
        assert late == list(range(first, first + 80, 2))  # then every other slot

    def test_two_accounts_share_nothing(self, budgets, stores):
        assert waits(budgets, stores.clock, OFFERS, 3, account=1) == approx([0, 10, 20])
        assert waits(budgets, stores.clock, OFFERS, 3, account=2) == approx([0, 10, 20])
        budgets.throttled(*OFFERS, 1, retry_after=100)
        budgets.follow(*OFFERS, 1, rate=0.01)
        assert waits(budgets, stores.clock, OFFERS, 1, account=2) == approx([30])
        assert state(budgets, OFFERS, 2).throttled == 0 and state(budgets, OFFERS, 2).source == "documented"

    def test_two_accounts_run_in_parallel_at_the_full_rate_each(self, budgets, stores):
        grants: dict[int, list[float]] = {1: [], 2: []}

        async def consumer(account: int, calls: int):
            for _ in range(calls):
                await budgets.acquire(*OFFERS, account)
                grants[account].append(stores.clock.now - START)
                await asyncio.sleep(0)

        stores.clock.run(consumer(1, 10), consumer(2, 10))
        assert grants[1] == approx([10 * i for i in range(10)]) == grants[2]

    def test_operations_of_one_account_are_separate_budgets(self, budgets, stores):
        waits(budgets, stores.clock, OFFERS, 3)
        assert waits(budgets, stores.clock, CATALOG, 2) == [0, 0]


class TestReplies:
    def test_follow_changes_the_rate(self, budgets, stores):
        budgets.follow(*OFFERS, 1, rate=2.0)
        assert waits(budgets, stores.clock, OFFERS, 4) == approx([0, 0.5, 1.0, 1.5])
        s = state(budgets, OFFERS)
        assert (s.rate, s.burst, s.source) == (2.0, 1, "reply")

    def test_follow_keeps_what_is_already_reserved(self, budgets, stores):
        waits(budgets, stores.clock, OFFERS, 3)  # slots at 0, 10, 20: 3 units owed, paid back by 30
        budgets.follow(*OFFERS, 1, rate=1.0)  # the same 3 units at 1/s: paid back by 3
        assert waits(budgets, stores.clock, OFFERS, 2) == approx([3, 4])

    def test_follow_may_set_the_burst(self, budgets, stores):
        budgets.follow(*CATALOG, 1, rate=1.0, burst=4)
        assert waits(budgets, stores.clock, CATALOG, 6) == approx([0, 0, 0, 0, 1, 2])

    @pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
    def test_follow_ignores_a_rate_that_is_no_rate(self, budgets, stores, rate):
        budgets.follow(*OFFERS, 1, rate=rate)
        assert waits(budgets, stores.clock, OFFERS, 2) == approx([0, 10])

    def test_throttled_pushes_the_next_slot_back(self, budgets, stores):
        waits(budgets, stores.clock, CATALOG, 1)
        budgets.throttled(*CATALOG, 1, retry_after=5)
        assert waits(budgets, stores.clock, CATALOG, 3) == approx([5, 5.5, 6])
        assert state(budgets, CATALOG).throttled == 1

    def test_throttled_without_retry_after_waits_one_interval(self, budgets, stores):
        budgets.throttled(*OFFERS, 1, retry_after=None)
        assert waits(budgets, stores.clock, OFFERS, 2) == approx([10, 20])

    def test_throttled_never_brings_a_reserved_slot_forward(self, budgets, stores):
        waits(budgets, stores.clock, OFFERS, 4)  # next free slot at 40
        budgets.throttled(*OFFERS, 1, retry_after=1)
        assert waits(budgets, stores.clock, OFFERS, 1) == approx([40])
        assert state(budgets, OFFERS).throttled == 1

    def test_throttled_counts_every_429(self, budgets, stores):
        for _ in range(3):
            budgets.throttled(*CATALOG, 1, retry_after=0)
        assert state(budgets, CATALOG).throttled == 3


class TestKeepaTokens:
    """Figures as Keepa's replies carry them: tokensLeft, refillRate (a minute), refillIn (ms)."""

    def test_available_equals_tokens_left_and_the_rate_the_refill(self, budgets, stores):
        budgets.sync_tokens("keepa", "tokens", 1, tokens_left=250, refill_rate_per_minute=60, refill_in_ms=30_000)
        s = state(budgets, ("keepa", "tokens"))
        assert s.available == approx(250) and s.rate == approx(1.0)
        assert (s.burst, s.source) == (3600, "reply")  # an hour's refill: tokens expire after an hour
        assert waits(budgets, stores.clock, ("keepa", "tokens"), 3, cost=100) == approx([0, 0, 50])

    def test_a_later_reply_replaces_the_balance(self, budgets, stores):
        budgets.sync_tokens("keepa", "tokens", 1, 250, 60, 30_000)
        waits(budgets, stores.clock, ("keepa", "tokens"), 2, cost=100)  # we guessed 200 tokens
        budgets.sync_tokens("keepa", "tokens", 1, 190, 60, 30_000)  # the calls cost 60
        assert state(budgets, ("keepa", "tokens")).available == approx(190)

    def test_no_token_left_waits_for_the_refill(self, budgets, stores):
        budgets.sync_tokens("keepa", "tokens", 1, tokens_left=0, refill_rate_per_minute=20, refill_in_ms=45_000)
        s = state(budgets, ("keepa", "tokens"))
        assert s.available == approx(0) and s.next_slot == approx(START + 45)
        assert waits(budgets, stores.clock, ("keepa", "tokens"), 1) == approx([45])

    def test_an_overdrawn_balance_is_paid_back_first(self, budgets, stores):
        budgets.sync_tokens("keepa", "tokens", 1, tokens_left=-40, refill_rate_per_minute=20, refill_in_ms=10_000)
        s = state(budgets, ("keepa", "tokens"))
        assert s.available == approx(0) and s.next_slot == approx(START + 41 * 3)  # 40 owed, then 1 token

    def test_the_bucket_may_be_given(self, budgets, stores):
        budgets.sync_tokens("keepa", "tokens", 1, 50, 20, 1_000, bucket=100)
        s = state(budgets, ("keepa", "tokens"))
        assert (s.burst, s.available) == (100, approx(50))

    def test_tokens_left_above_the_bucket_are_all_available(self, budgets, stores):
        budgets.sync_tokens("keepa", "tokens", 1, 5_000, 20, 1_000)
        assert state(budgets, ("keepa", "tokens")).available == approx(5_000)

    def test_no_refill_rate_keeps_the_rate(self, budgets, stores):
        budgets.sync_tokens("keepa", "tokens", 1, 10, 0, 1_000)
        s = state(budgets, ("keepa", "tokens"))
        assert s.rate == approx(20 / 60) and s.available == approx(10)


class TestStates:
    def test_figures_follow_the_reservations(self, budgets, stores):
        waits(budgets, stores.clock, CATALOG, 5)  # slots 0, 0, 0.5, 1, 1.5; paid back by 2.5
        s = state(budgets, CATALOG)
        assert (s.available, s.queued_seconds, s.next_slot) == (approx(0), approx(2), approx(START + 2))
        stores.clock.now += 2.25
        s = state(budgets, CATALOG)
        assert (s.available, s.queued_seconds, s.next_slot) == (approx(1.5), 0, approx(START + 2.25))

    def test_a_429_back_off_is_queued_time(self, budgets, stores):
        budgets.throttled(*OFFERS, 1, retry_after=30)
        s = state(budgets, OFFERS)
        assert (s.available, s.queued_seconds, s.next_slot) == (approx(0), approx(30), approx(START + 30))

    def test_eta_is_the_slot_the_last_unit_would_get(self, budgets, stores):
        waits(budgets, stores.clock, RESTRICTIONS, 13)
        predicted = state(budgets, RESTRICTIONS).eta(7)
        slots = [budgets.store.reserve_slot(BudgetKey(*RESTRICTIONS, 1), 1, 5.0, 10)[0] for _ in range(7)]
        assert predicted == approx(slots[-1])

    def test_eta_of_a_fresh_budget_counts_its_burst(self, budgets, stores):
        waits(budgets, stores.clock, RESTRICTIONS, 0)
        budgets.follow(*RESTRICTIONS, 1, rate=5.0)  # a state without reservations
        s = state(budgets, RESTRICTIONS)
        assert (s.eta(10), s.eta(11)) == (approx(START), approx(START + 0.2))

    def test_states_of_one_account_or_all(self, budgets, stores):
        waits(budgets, stores.clock, CATALOG, 1, account=1)
        waits(budgets, stores.clock, OFFERS, 1, account=1)
        waits(budgets, stores.clock, OFFERS, 1, account=2)
        assert {(s.key.operation, s.key.account_id) for s in budgets.states(1)} == {
            ("searchCatalogItems", 1), ("getItemOffersBatch", 1)}
        assert len(budgets.states()) == 3


@pytest.mark.redis
class TestRedisStore:
    @pytest.fixture
    def redis_store(self):
        if REDIS_SKIP:
            pytest.skip(REDIS_SKIP)
        prefix = f"sellerkit-test:{uuid.uuid4().hex[:10]}"
        store = RedisBudgets(REDIS_URL, prefix)  # Redis's own clock
        yield store
        store.close()
        _drop(prefix)

    @pytest.fixture
    def clocked(self, redis_store):
        """A store on an injected clock, sharing the prefix."""
        store = RedisBudgets(REDIS_URL, redis_store.prefix, VirtualTime())
        yield store
        store.close()

    def test_state_is_one_hash_per_budget_with_every_figure(self, redis_store):
        import redis

        Budgets(redis_store).throttled(*CATALOG, 7, retry_after=1)
        r = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        fields = r.hgetall(f"{redis_store.prefix}:budget:spapi:searchCatalogItems:7")
        assert set(fields) == {"tat", "rate", "burst", "source", "throttled"}
        assert (float(fields["rate"]), float(fields["burst"]), fields["source"], fields["throttled"]) == (
            2.0, 2.0, "documented", "1")

    def test_keys_expire_when_idle(self, clocked):
        import redis

        store = clocked
        store.idle_seconds = 3600
        store.reserve(BudgetKey(*OFFERS, 7), 1, 0.1, 1)
        store.reserve(BudgetKey(*OFFERS, 7), 1, 0.1, 1)  # reserved up to 20 s ahead
        r = redis.Redis.from_url(REDIS_URL)
        assert 3600 + 20 - 2 <= r.ttl(f"{store.prefix}:budget:spapi:getItemOffersBatch:7") <= 3600 + 20
        assert r.ttl(f"{store.prefix}:budgets:7") >= 3600 + 18

    def test_time_is_redis_time(self, redis_store):
        before = time.time()
        slot, wait = redis_store.reserve_slot(BudgetKey(*OFFERS, 1), 1, 0.1, 1)
        assert wait == 0 and before - 1 < slot < time.time() + 1
        slot, wait = redis_store.reserve_slot(BudgetKey(*OFFERS, 1), 1, 0.1, 1)
        assert wait == pytest.approx(10, abs=0.5)

    def test_a_budget_expired_meanwhile_is_left_out(self, clocked):
        import redis

        store = clocked
        store.reserve(BudgetKey(*OFFERS, 7), 1, 0.1, 1)
        store.reserve(BudgetKey(*CATALOG, 7), 1, 2, 2)
        redis.Redis.from_url(REDIS_URL).delete(f"{store.prefix}:budget:spapi:getItemOffersBatch:7")
        assert [s.key.operation for s in store.states(7)] == ["searchCatalogItems"]

    def test_unreachable_redis_is_503_saying_to_retry(self):
        store = RedisBudgets("redis://127.0.0.1:1/0", "x", timeout=0.2)
        with pytest.raises(BudgetsUnavailable) as err:
            store.reserve(BudgetKey(*OFFERS, 1), 1, 0.1, 1)
        assert err.value.status_code == 503 and "retry" in err.value.message
        with pytest.raises(BudgetsUnavailable):
            store.states(1)


def _reserve_in_a_process(url: str, prefix: str, calls: int, ready, go, out) -> None:
    """A process reserving against one budget as a provider does: reserve, sleep to the slot,
    call, reserve again. It puts (slot, seconds it was told to wait) of each reservation."""
    store = RedisBudgets(url, prefix)
    key = BudgetKey(*RESTRICTIONS, 1)
    ready.put(True)
    go.wait(60)
    grants = []
    for _ in range(calls):
        slot, wait = store.reserve_slot(key, 1, 50.0, 3)
        time.sleep(wait)
        grants.append((slot, wait))
    out.put(grants)
    store.close()


@pytest.mark.redis
class TestTwoProcesses:
    def test_two_processes_on_one_budget_never_exceed_its_rate_together(self):
        """Two OS processes reserve 60 slots each against one budget of 50/s, burst 3, on
        Redis's clock: the 120 granted slots keep GCRA's bound (any n slots span at least
        (n - 3) / 50 s), none is later than that bound and the time it was asked for allow
        (no slower than the rate), and both processes are served throughout.

        Each slot is judged by the time it was asked for (Redis's clock: the slot less the wait
        it was told), not by the run's wall time: on a loaded machine a process that is not
        scheduled asks late, and the budget rightly grants it a later slot."""
        if REDIS_SKIP:
            pytest.skip(REDIS_SKIP)
        prefix = f"sellerkit-test:{uuid.uuid4().hex[:10]}"
        budgets = RedisBudgets(REDIS_URL, prefix)
        budgets.set_rate(BudgetKey(*RESTRICTIONS, 1), 50.0, 3)  # the rate a reply told
        ctx = multiprocessing.get_context("spawn")
        ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_reserve_in_a_process, args=(REDIS_URL, prefix, 60, ready, go, out))
                 for _ in range(2)]
        try:
            for p in procs:
                p.start()
            for _ in procs:  # both started (a spawned process imports for a while): neither has a head start
                ready.get(timeout=60)
            go.set()
            results = [out.get(timeout=60) for _ in procs]
            for p in procs:
                p.join(10)
        finally:
            for p in procs:
                if p.is_alive():
                    p.kill()
            budgets.close()
            _drop(prefix)
        merged = sorted((slot, slot - wait, n) for n, grants in enumerate(results) for slot, wait in grants)
        times = [t for t, _, _ in merged]
        assert len(times) == 120 and len(set(times)) >= 118  # a burst may share an instant
        assert all(wait >= 0 for grants in results for _, wait in grants)
        for i in range(len(times)):
            for j in range(i + 3, len(times)):
                assert times[j] - times[i] >= (j - i - 2) / 50 - 1e-5, (i, j)
        # and no slower than the rate: each slot is the earliest of the time it was asked for
        # and what the bound allows after the slots before it (with every process asking at
        # once, the 120 slots span 117 / 50 s)
        for k, (slot, asked, _) in enumerate(merged):
            earliest = max([asked] + [times[i] + (k - i - 2) / 50 for i in range(k - 2)])
            assert slot <= earliest + 1e-5, (k, slot - earliest)
        first_half = {n for _, _, n in merged[:60]}
        assert first_half == {0, 1}, "one process took every early slot"


class TestBudgetsFor:
    def test_memory_without_redis_one_set_per_process(self, settings):
        first = budgets_for(settings)
        assert first.kind == "memory" and budgets_for(settings) is first

    def test_memory_sets_of_two_data_dirs_are_two_installations(self, settings, tmp_path):
        other = settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
        assert budgets_for(other) is not budgets_for(settings)

    def test_redis_when_configured(self, settings):
        on_redis = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0",
                                               "limits_redis_prefix": "p-test"})
        b = budgets_for(on_redis)
        assert b.kind == "redis" and b.store.prefix == "p-test" and budgets_for(on_redis) is b
        assert b.store.key(BudgetKey(*CATALOG, 3)) == "p-test:budget:spapi:searchCatalogItems:3"
