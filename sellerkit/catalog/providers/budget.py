"""Budgets: one per provider operation and seller account, shared by every job of every process.

A budget is a rate (calls, or Keepa tokens, a second) with a burst, kept as GCRA: one number,
the theoretical arrival time `tat` of the next call. `reserve(cost)` takes the next free slot
and says how long to wait for it; callers that reserve in turn are served in turn, so two scans
of one account alternate on its budget (neither starves) and a scan never calls early (no 429
from pacing). Two accounts have two budgets and share nothing.

The documented limits are the starting point; a reply's `x-amzn-RateLimit-Limit` header
(`Budgets.follow`) or Keepa's token figures (`Budgets.sync_tokens`) replace them, and a 429
(`Budgets.throttled`) pushes the next slot back by its Retry-After.

Two stores hold the state:
- `MemoryBudgets`: this process's memory (no Redis): exact under any concurrency within it, but
  every process has its own, so two server processes would each spend the whole rate.
- `RedisBudgets` (`SELLERKIT_REDIS_URL`): one hash a budget, changed by one Lua script a call,
  atomic across every server and worker process on every machine. Its clock is Redis's own
  `TIME`, read inside the script, not the caller's: one clock for every process, so two
  machines whose clocks differ by a second cannot both take the same slot, and the wait handed
  back is a duration the caller sleeps on its own clock. (A clock given to the store replaces
  `TIME`, for tests whose time need not pass.)
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sellerkit.errors import SellerkitError

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
    ("spapi", "getOrders"): (0.0167, 20),  # Orders v0
    ("spapi", "getOrderItems"): (0.5, 30),
    ("spapi", "confirmShipment"): (2.0, 10),
    # eBay's Sell Fulfillment API: a daily call limit per app (api_call_limits), not a rate; kept
    # as the day's calls spread evenly, with a burst of a minute's worth
    ("ebay", "getOrders"): (100_000 / 86_400, 70),
    ("ebay", "createShippingFulfillment"): (100_000 / 86_400, 70),
    # Listings Items 2021-08-01 (the usage plans in its model: put and get burst 10, patch and delete 5)
    ("spapi", "putListingsItem"): (5.0, 10),
    ("spapi", "patchListingsItem"): (5.0, 5),
    ("spapi", "getListingsItem"): (5.0, 10),
    ("spapi", "deleteListingsItem"): (5.0, 5),
    ("keepa", "tokens"): (20 / 60, 20),  # the smallest plan: 20 tokens a minute; replies say the real one
}


# Keepa tokens expire an hour after they are generated: a bucket holds at most an hour's refill.
KEEPA_BUCKET_MINUTES = 60
# A budget nobody has used for this long (after its reserved slots have passed) is forgotten on
# Redis, and starts again from the documented limits.
IDLE_SECONDS = 24 * 3600


class BudgetsUnavailable(SellerkitError):
    status_code = 503


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
    tat: float  # unix time at which the bucket is full again (all reservations paid back)
    source: str  # "documented" or "reply" (the rate came from a reply)
    throttled: int  # 429s received
    now: float

    @property
    def available(self) -> float:
        """Units that may be spent right now without waiting."""
        return max(0.0, min(self.burst, self.burst - (self.tat - self.now) * self.rate))

    @property
    def queued_seconds(self) -> float:
        """How long a new call would queue behind the slots already reserved (and a 429's
        back-off); 0 when a unit is available now."""
        return self.next_slot - self.now

    @property
    def next_slot(self) -> float:
        """Unix time of the next free slot for one unit (now when one is available)."""
        return self.eta(1)

    def eta(self, units: float) -> float:
        """Unix time by which `units` more units are granted (the slot of the last of them),
        after what is already reserved."""
        return max(self.now, max(self.tat, self.now) + (units - self.burst) / self.rate)


class BudgetStore(Protocol):
    kind: str

    def reserve(self, key: BudgetKey, cost: float, rate: float, burst: float) -> float: ...
    def reserve_slot(self, key: BudgetKey, cost: float, rate: float, burst: float) -> tuple[float, float]: ...
    def set_rate(self, key: BudgetKey, rate: float, burst: float | None = None) -> None: ...
    def set_tokens(self, key: BudgetKey, tokens: float, rate: float | None, burst: float,
                   refill_in: float) -> None: ...
    def push_back(self, key: BudgetKey, seconds: float) -> None: ...
    def states(self, account_id: int | None = None) -> list[BudgetState]: ...


# Unix times are about 2e9: a double holds them to about 2e-7 s, so sums of intervals drift by
# that much. A wait shorter than this is rounding, not a wait.
EPSILON = 1e-6


def gcra(tat: float, now: float, cost: float, rate: float, burst: float) -> tuple[float, float]:
    """(new tat, seconds to wait) for one reservation of `cost` units."""
    tolerance = max(0.0, burst - cost) / rate
    wait = max(0.0, max(tat, now) - tolerance - now) if tat > now else 0.0
    return max(tat, now) + cost / rate, wait if wait > EPSILON else 0.0


def rescaled(tat: float, now: float, old_rate: float, new_rate: float) -> float:
    """The tat that keeps the units already reserved when the rate changes: what is owed is
    `(tat - now) * rate` units, paid back at the new rate from now on."""
    return now + (tat - now) * old_rate / new_rate if tat > now else tat


def token_tat(now: float, tokens: float, rate: float, burst: float, refill_in: float) -> float:
    """The tat at which `tokens` units are available now; with less than one token, no slot
    before the next refill (`refill_in` seconds): Keepa adds its tokens once a minute, so the
    continuous rate alone would call before any has arrived."""
    tat = now + (burst - tokens) / rate
    if tokens < 1:
        tat = max(tat, now + refill_in + max(0.0, burst - 1) / rate)
    return tat


class MemoryBudgets:
    """Budgets of this process only (no Redis): exact under any concurrency within it."""

    kind = "memory"

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        # key -> [tat, rate, burst, source, throttled]
        self._state: dict[BudgetKey, list] = {}

    def _get(self, key: BudgetKey, rate: float | None = None, burst: float | None = None) -> list:
        st = self._state.get(key)
        if st is None:
            default = DOCUMENTED.get((key.provider, key.operation), (1.0, 1))
            st = self._state[key] = [0.0, rate if rate is not None else default[0],
                                     burst if burst is not None else default[1], "documented", 0]
        return st

    def reserve_slot(self, key: BudgetKey, cost: float, rate: float, burst: float) -> tuple[float, float]:
        """(unix time of the slot, seconds to wait for it)."""
        with self._lock:
            st = self._get(key, rate, burst)
            now = self.clock()
            st[0], wait = gcra(st[0], now, cost, st[1], st[2])
            return now + wait, wait

    def reserve(self, key: BudgetKey, cost: float, rate: float, burst: float) -> float:
        return self.reserve_slot(key, cost, rate, burst)[1]

    def set_rate(self, key: BudgetKey, rate: float, burst: float | None = None) -> None:
        with self._lock:
            st = self._get(key)
            st[0] = rescaled(st[0], self.clock(), st[1], rate)
            st[1], st[3] = rate, "reply"
            if burst is not None:
                st[2] = burst

    def set_tokens(self, key: BudgetKey, tokens: float, rate: float | None, burst: float,
                   refill_in: float) -> None:
        with self._lock:
            st = self._get(key)
            rate = rate if rate is not None else st[1]
            st[0] = token_tat(self.clock(), tokens, rate, burst, refill_in)
            st[1], st[2], st[3] = rate, burst, "reply"

    def push_back(self, key: BudgetKey, seconds: float) -> None:
        with self._lock:
            st = self._get(key)
            st[0] = max(st[0], self.clock() + seconds + max(0.0, st[2] - 1) / st[1])
            st[4] += 1

    def states(self, account_id: int | None = None) -> list[BudgetState]:
        now = self.clock()
        with self._lock:
            return [BudgetState(key, st[1], st[2], st[0], st[3], st[4], now)
                    for key, st in sorted(self._state.items(), key=lambda kv: kv[0].text())
                    if account_id is None or key.account_id == account_id]


# ---- Redis --------------------------------------------------------------------------------------
# One hash a budget, `<prefix>:budget:<provider>:<operation>:<account>`, fields tat, rate, burst,
# source and throttled, and one set a seller account naming its budgets (`<prefix>:budgets:<account>`,
# for `states` of one account). Every script takes KEYS = (budget hash, account set) and
# ARGV = (now or "" for Redis TIME, idle seconds, set member, documented rate, documented burst,
# ...its own arguments), and writes the whole hash back, with its expiry pushed past its last
# reserved slot by the idle time.

_COMMON = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function f(x) return string.format('%.17g', x) end
local h = redis.call('HMGET', KEYS[1], 'tat', 'rate', 'burst', 'source', 'throttled')
local tat = tonumber(h[1]) or 0
local rate = tonumber(h[2]) or tonumber(ARGV[4])
local burst = tonumber(h[3]) or tonumber(ARGV[5])
local source = h[4] or 'documented'
local throttled = tonumber(h[5]) or 0
local function keep()
  redis.call('HSET', KEYS[1], 'tat', f(tat), 'rate', f(rate), 'burst', f(burst), 'source', source,
             'throttled', throttled)
  local ttl = math.ceil(math.max(0, tat - now)) + tonumber(ARGV[2])
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('SADD', KEYS[2], ARGV[3])
  if redis.call('TTL', KEYS[2]) < ttl then redis.call('EXPIRE', KEYS[2], ttl) end
end
"""

# ARGV[6]: cost. Same steps as `gcra`.
_RESERVE = _COMMON + """
local cost = tonumber(ARGV[6])
local wait = 0
if tat > now then wait = math.max(0, tat - math.max(0, burst - cost) / rate - now) end
if wait <= 0.000001 then wait = 0 end
tat = math.max(tat, now) + cost / rate
keep()
return {f(now), f(wait)}
"""

# ARGV[6]: the new rate, ARGV[7]: the new burst or "". Same steps as `rescaled`.
_RATE = _COMMON + """
local new = tonumber(ARGV[6])
if tat > now then tat = now + (tat - now) * rate / new end
rate = new
burst = tonumber(ARGV[7]) or burst
source = 'reply'
keep()
return f(now)
"""

# ARGV[6]: tokens left, ARGV[7]: rate or "", ARGV[8]: burst, ARGV[9]: seconds to the next refill.
# Same steps as `token_tat`.
_TOKENS = _COMMON + """
local tokens = tonumber(ARGV[6])
rate = tonumber(ARGV[7]) or rate
burst = tonumber(ARGV[8])
tat = now + (burst - tokens) / rate
if tokens < 1 then tat = math.max(tat, now + tonumber(ARGV[9]) + math.max(0, burst - 1) / rate) end
source = 'reply'
keep()
return f(now)
"""

# ARGV[6]: seconds of the back-off.
_PUSH = _COMMON + """
tat = math.max(tat, now + tonumber(ARGV[6]) + math.max(0, burst - 1) / rate)
throttled = throttled + 1
keep()
return f(now)
"""

# KEYS: budget hashes. ARGV[1]: now or "". The time and each hash's fields, read at one instant.
_READ = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local out = {string.format('%.17g', now)}
for i = 1, #KEYS do
  out[i + 1] = redis.call('HMGET', KEYS[i], 'tat', 'rate', 'burst', 'source', 'throttled')
end
return out
"""


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisBudgets:
    """Budgets shared by every process using the same Redis: each change is one atomic script,
    on Redis's clock (`TIME`) unless a clock is given (tests)."""

    kind = "redis"

    def __init__(self, url: str, prefix: str = "sellerkit:limits", clock: Clock | None = None,
                 timeout: float = 2.0, idle_seconds: int = IDLE_SECONDS) -> None:
        from sellerkit.kit.ratelimit import RedisScripts

        self.prefix = prefix
        self.clock = clock
        self.idle_seconds = idle_seconds
        self._redis = RedisScripts(url, (_RESERVE, _RATE, _TOKENS, _PUSH, _READ), timeout)

    def key(self, key: BudgetKey) -> str:
        return f"{self.prefix}:budget:{key.text()}"

    def _index(self, account_id: int) -> str:
        return f"{self.prefix}:budgets:{account_id}"

    def _now(self) -> str:
        return "" if self.clock is None else repr(self.clock())

    def _run(self, script: str, key: BudgetKey, args: list, rate: float | None = None,
             burst: float | None = None):
        default = DOCUMENTED.get((key.provider, key.operation), (1.0, 1))
        head = [self._now(), self.idle_seconds, f"{key.provider}:{key.operation}",
                repr(float(rate if rate is not None else default[0])),
                repr(float(burst if burst is not None else default[1]))]
        try:
            return self._redis.eval(script, [self.key(key), self._index(key.account_id)], head + args)
        except self._redis.errors as exc:
            raise BudgetsUnavailable(f"provider budgets unavailable: Redis did not answer "
                                     f"({type(exc).__name__}); retry shortly") from None

    def reserve_slot(self, key: BudgetKey, cost: float, rate: float, burst: float) -> tuple[float, float]:
        """(unix time of the slot on Redis's clock, seconds to wait for it)."""
        now, wait = self._run(_RESERVE, key, [repr(float(cost))], rate, burst)
        wait = float(wait)
        return float(now) + wait, wait

    def reserve(self, key: BudgetKey, cost: float, rate: float, burst: float) -> float:
        return self.reserve_slot(key, cost, rate, burst)[1]

    def set_rate(self, key: BudgetKey, rate: float, burst: float | None = None) -> None:
        self._run(_RATE, key, [repr(float(rate)), "" if burst is None else repr(float(burst))])

    def set_tokens(self, key: BudgetKey, tokens: float, rate: float | None, burst: float,
                   refill_in: float) -> None:
        self._run(_TOKENS, key, [repr(float(tokens)), "" if rate is None else repr(float(rate)),
                                 repr(float(burst)), repr(float(refill_in))])

    def push_back(self, key: BudgetKey, seconds: float) -> None:
        self._run(_PUSH, key, [repr(float(seconds))])

    def _keys(self, account_id: int | None) -> list[BudgetKey]:
        client = self._redis.client()
        if account_id is not None:
            members = sorted(m.decode() for m in client.smembers(self._index(account_id)))
            return [BudgetKey(*m.split(":", 1), account_id) for m in members]
        found = []
        head = f"{self.prefix}:budget:"
        for name in client.scan_iter(match=_glob_escape(head) + "*", count=1000):
            provider, operation, account = name.decode()[len(head):].rsplit(":", 2)
            if account.isdigit():
                found.append(BudgetKey(provider, operation, int(account)))
        return sorted(found, key=lambda k: (k.account_id, k.provider, k.operation))

    def states(self, account_id: int | None = None) -> list[BudgetState]:
        try:
            keys = self._keys(account_id)
            now, *rows = self._redis.eval(_READ, [self.key(k) for k in keys], [self._now()])
        except self._redis.errors as exc:
            raise BudgetsUnavailable(f"provider budgets unavailable: Redis did not answer "
                                     f"({type(exc).__name__}); retry shortly") from None
        now = float(now)
        return [BudgetState(key, float(rate), float(burst), float(tat), source.decode(), int(throttled), now)
                for key, (tat, rate, burst, source, throttled) in zip(keys, rows, strict=True)
                if tat is not None]  # expired since the set named it

    def close(self) -> None:
        self._redis.close()


# ---- the budgets -----------------------------------------------------------------------------


class Budgets:
    """The budgets of every provider operation, over one store."""

    def __init__(self, store: BudgetStore | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.store = store or MemoryBudgets()
        self._sleep = sleep

    @property
    def kind(self) -> str:
        """"memory" or "redis": where the state lives."""
        return self.store.kind

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
        """A reply told the real rate (x-amzn-RateLimit-Limit). What is already reserved stays
        reserved, paid back at the new rate. A 429 carrying the header: `follow` first, then
        `throttled`, so the back-off is measured at the new rate."""
        if rate > 0 and math.isfinite(rate):
            self.store.set_rate(BudgetKey(provider, operation, account_id), rate, burst)

    def sync_tokens(self, provider: str, operation: str, account_id: int, tokens_left: float,
                    refill_rate_per_minute: float, refill_in_ms: float, bucket: float | None = None) -> None:
        """A token-metered reply (Keepa: `tokensLeft`, `refillRate`, `refillIn`) told the real
        balance; call it after every reply, e.g.
        `budgets.sync_tokens("keepa", "tokens", account_id, reply["tokensLeft"],
        reply["refillRate"], reply["refillIn"])`.

        - `tokens_left`: tokens left now (may be negative: Keepa lets a call overdraw).
          Afterwards `available` equals it (0 when negative, the debt paid back first).
        - `refill_rate_per_minute`: tokens added a minute; the budget's rate becomes it / 60
          a second. 0 or less keeps the budget's rate.
        - `refill_in_ms`: milliseconds to the next refill; with less than one token left no
          slot is given before it.
        - `bucket`: most tokens the budget holds; default an hour's refill (Keepa tokens expire
          an hour after they are generated), never less than `tokens_left`.
        Calls reserved but not yet answered when the reply left are not in `tokens_left`: their
        own replies correct the balance again."""
        rate = refill_rate_per_minute / 60 if refill_rate_per_minute > 0 else None
        if bucket is None:
            per_minute = (refill_rate_per_minute if refill_rate_per_minute > 0
                          else self.limits(provider, operation)[0] * 60)
            bucket = per_minute * KEEPA_BUCKET_MINUTES
        bucket = max(float(bucket), float(tokens_left), 1.0)
        self.store.set_tokens(BudgetKey(provider, operation, account_id), float(tokens_left), rate, bucket,
                              max(0.0, refill_in_ms / 1000))

    def throttled(self, provider: str, operation: str, account_id: int, retry_after: float | None) -> None:
        """A 429: nobody calls this operation again before Retry-After (or one interval)."""
        rate, _ = self.limits(provider, operation)
        self.store.push_back(BudgetKey(provider, operation, account_id),
                             retry_after if retry_after is not None else 1.0 / rate)

    def states(self, account_id: int | None = None) -> list[BudgetState]:
        return self.store.states(account_id)


_shared: dict[str, Budgets] = {}
_shared_lock = threading.Lock()


def make_budget_store(redis_url: str | None, prefix: str) -> MemoryBudgets | RedisBudgets:
    return RedisBudgets(redis_url, prefix) if redis_url else MemoryBudgets()


def budgets_for(settings) -> Budgets:
    """The budgets of this process and installation (one set, whichever thread, loop or app
    asks): on Redis when `SELLERKIT_REDIS_URL` is set (shared with every other process), else in
    memory, one set per data directory (one installation's accounts; tests make many)."""
    url = getattr(settings, "redis_url", None)
    prefix = getattr(settings, "limits_redis_prefix", "sellerkit:limits")
    where = f"redis {url} {prefix}" if url else f"memory {getattr(settings, 'data_dir', '')}"
    with _shared_lock:
        if where not in _shared:
            _shared[where] = Budgets(make_budget_store(url, prefix))
        return _shared[where]
