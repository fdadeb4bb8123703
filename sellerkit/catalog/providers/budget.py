"""Budgets: one per provider operation and seller account, shared by every job of every process.

A budget is a rate (calls, or Keepa tokens, a second) with a burst, kept as GCRA: one number,
the theoretical arrival time `tat` of the next call. `reserve(cost)` takes the next free slot
and says how long to wait for it; callers that reserve in turn are served in turn, so two scans
of one account alternate on its budget (neither starves) and a scan never calls early (no 429
from pacing). Two accounts have two budgets and share nothing.

The documented limits are the starting point; a reply's `x-amzn-RateLimit-Limit` header (or
Keepa's refill rate) replaces the rate, and a 429 pushes the next slot back by its Retry-After.
State lives in process memory (embedded) or Redis (`SELLERKIT_REDIS_URL`), where every server
and worker process shares it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]

# (provider, operation) -> (rate a second, burst), as Amazon and Keepa document them.
DOCUMENTED: dict[tuple[str, str], tuple[float, float]] = {
    ("spapi", "searchCatalogItems"): (2.0, 2),
    ("spapi", "getCatalogItem"): (2.0, 2),
    ("spapi", "getCompetitivePricing"): (0.5, 1),
    ("spapi", "getItemOffersBatch"): (0.1, 1),
    ("spapi", "getCompetitiveSummary"): (0.033, 1),
    ("spapi", "getMyFeesEstimates"): (0.5, 1),
    ("spapi", "getListingsRestrictions"): (5.0, 10),
    ("spapi", "getItemEligibilityPreview"): (1.0, 1),
    ("keepa", "tokens"): (20 / 60, 20),  # the smallest plan: 20 tokens a minute; replies say the real one
}


@dataclass(frozen=True, slots=True)
class BudgetKey:
    provider: str
    operation: str
    account_id: int

    def text(self) -> str:
        return f"{self.provider}:{self.operation}:{self.account_id}"


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A budget as `GET /api/v3/quotas` shows it."""

    key: BudgetKey
    rate: float  # units a second
    burst: float
    tat: float  # unix time of the next free slot once the burst is spent
    source: str  # "documented" or "reply" (the rate came from a reply header)
    throttled: int  # 429s received
    now: float

    @property
    def available(self) -> float:
        """Units that may be spent right now without waiting."""
        return max(0.0, min(self.burst, self.burst - (self.tat - self.now) * self.rate))

    @property
    def queued_seconds(self) -> float:
        """How far ahead slots are already reserved."""
        return max(0.0, self.tat - self.now)

    def eta(self, units: float) -> float:
        """Unix time by which `units` more would be spent, after what is reserved."""
        start = max(self.tat, self.now) - (self.burst - 1) / self.rate if self.tat > self.now else self.now
        return max(self.now, start) + units / self.rate


class BudgetStore(Protocol):
    kind: str

    def reserve(self, key: BudgetKey, cost: float, rate: float, burst: float) -> float: ...
    def set_rate(self, key: BudgetKey, rate: float, burst: float | None = None) -> None: ...
    def push_back(self, key: BudgetKey, seconds: float) -> None: ...
    def states(self, account_id: int | None = None) -> list[BudgetState]: ...


def gcra(tat: float, now: float, cost: float, rate: float, burst: float) -> tuple[float, float]:
    """(new tat, seconds to wait) for one reservation of `cost` units."""
    tolerance = max(0.0, burst - cost) / rate
    wait = max(0.0, max(tat, now) - tolerance - now) if tat > now else 0.0
    return max(tat, now) + cost / rate, wait


class MemoryBudgets:
    """Budgets of this process only (no Redis): exact under any concurrency within it."""

    kind = "memory"

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        # key -> [tat, rate, burst, source, throttled]
        self._state: dict[BudgetKey, list] = {}

    def _get(self, key: BudgetKey, rate: float, burst: float) -> list:
        st = self._state.get(key)
        if st is None:
            st = self._state[key] = [0.0, rate, burst, "documented", 0]
        return st

    def reserve(self, key: BudgetKey, cost: float, rate: float, burst: float) -> float:
        with self._lock:
            st = self._get(key, rate, burst)
            st[0], wait = gcra(st[0], self.clock(), cost, st[1], st[2])
            return wait

    def set_rate(self, key: BudgetKey, rate: float, burst: float | None = None) -> None:
        with self._lock:
            default = DOCUMENTED.get((key.provider, key.operation), (rate, 1))
            st = self._get(key, rate, burst if burst is not None else default[1])
            st[1], st[3] = rate, "reply"
            if burst is not None:
                st[2] = burst

    def push_back(self, key: BudgetKey, seconds: float) -> None:
        with self._lock:
            rate, burst = DOCUMENTED.get((key.provider, key.operation), (1.0, 1))
            st = self._get(key, rate, burst)
            now = self.clock()
            st[0] = max(st[0], now + seconds + (st[2] - 1) / st[1])
            st[4] += 1

    def states(self, account_id: int | None = None) -> list[BudgetState]:
        now = self.clock()
        with self._lock:
            return [BudgetState(key, st[1], st[2], st[0], st[3], st[4], now)
                    for key, st in sorted(self._state.items(), key=lambda kv: kv[0].text())
                    if account_id is None or key.account_id == account_id]


class Budgets:
    """The budgets of every provider operation, over one store."""

    def __init__(self, store: BudgetStore | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.store = store or MemoryBudgets()
        self._sleep = sleep

    @staticmethod
    def limits(provider: str, operation: str) -> tuple[float, float]:
        return DOCUMENTED.get((provider, operation), (1.0, 1))

    async def acquire(self, provider: str, operation: str, account_id: int, cost: float = 1.0) -> float:
        """Wait for the next slot of this budget; the seconds waited."""
        rate, burst = self.limits(provider, operation)
        wait = self.store.reserve(BudgetKey(provider, operation, account_id), cost, rate, burst)
        if wait > 0:
            await self._sleep(wait)
        return wait

    def follow(self, provider: str, operation: str, account_id: int, rate: float,
               burst: float | None = None) -> None:
        """A reply told the real rate (x-amzn-RateLimit-Limit, Keepa's refillRate)."""
        if rate > 0:
            self.store.set_rate(BudgetKey(provider, operation, account_id), rate, burst)

    def sync_tokens(self, provider: str, operation: str, account_id: int, tokens_left: float,
                    refill_rate_per_minute: float, refill_in_ms: float) -> None:
        """A token-bucket reply (Keepa's `tokensLeft`, `refillRate`, `refillIn`): the budget
        follows the real rate (a minute's refill a minute; up to an hour's worth held, as
        Keepa's tokens expire after an hour), and with no token left nobody calls before the
        next refill has covered the deficit.

        Minimal version (keepa branch): the budgets branch replaces it with one that sets the
        bucket's level from `tokens_left` exactly; the signature is the agreed one."""
        if refill_rate_per_minute <= 0:
            return
        rate = refill_rate_per_minute / 60
        self.follow(provider, operation, account_id, rate, max(1.0, refill_rate_per_minute * 60))
        if tokens_left <= 0:
            wait = max(0.0, refill_in_ms / 1000) + (-tokens_left) / rate
            self.store.push_back(BudgetKey(provider, operation, account_id), wait)

    def throttled(self, provider: str, operation: str, account_id: int, retry_after: float | None) -> None:
        """A 429: nobody calls this operation again before Retry-After (or one interval)."""
        rate, _ = self.limits(provider, operation)
        self.store.push_back(BudgetKey(provider, operation, account_id),
                             retry_after if retry_after is not None else 1.0 / rate)

    def states(self, account_id: int | None = None) -> list[BudgetState]:
        return self.store.states(account_id)


_shared: dict[str, Budgets] = {}
_shared_lock = threading.Lock()


def budgets_for(settings) -> Budgets:
    """The process's budgets (one set per process, whichever thread or loop asks)."""
    where = getattr(settings, "redis_url", None) or "memory"
    with _shared_lock:
        if where not in _shared:
            _shared[where] = Budgets(MemoryBudgets())
        return _shared[where]
