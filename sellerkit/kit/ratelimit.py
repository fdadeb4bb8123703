"""Where limit state lives: process memory (embedded default) or Redis (scaled out).

Both stores answer the same two questions with the arithmetic of `sellerkit.domain.quotas`:
`hit` (one request against a key's requests/s bucket and its account's, both or neither paid) and
`charge` (tokens against an account's bucket and daily allowance). Neither reads the database: the
memory store is a dict behind a lock; the Redis store runs one Lua script per question, atomic
across every process sharing it.

The memory store's daily counters are persisted by the caller (`sellerkit.accounts.quotas`):
it hands out what was used since the last write (`take_pending`) and takes back the totals every
process has written (`absorb`), so counters survive a restart and several processes converge.
Redis keeps its own counters (for two days, under `<prefix>:daily:<account>:<day>`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from sellerkit.domain import quotas as q
from sellerkit.errors import SellerkitError

Clock = Callable[[], float]


class LimitsUnavailable(SellerkitError):
    status_code = 503


class MemoryLimits:
    """Limits of this process, exact under any concurrency within it."""

    kind = "memory"

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._rate: dict[int, list[float]] = {}  # key id -> [tokens, at]
        self._account_rate: dict[int, list[float]] = {}  # account id -> [tokens, at]
        self._quota: dict[int, q.QuotaState] = {}  # account id -> state
        self._pending: dict[tuple[int, int], int] = {}  # (account, day) -> tokens not yet persisted

    def hit(self, key_id: int, rps: int, account_id: int | None = None,
            account_rps: int | None = None) -> q.RateDecision:
        """One request of key `key_id` (`rps` a second) and, given `account_id`, of its account
        (`account_rps` a second): paid from both buckets or from neither."""
        now = self.clock()
        with self._lock:
            bucket = self._rate.get(key_id)
            if bucket is None:
                bucket = self._rate[key_id] = [float(rps), now]
            if account_id is None:
                level, decision = q.take_request(bucket[0], bucket[1], now, rps)
            else:
                account = self._account_rate.get(account_id)
                if account is None:
                    account = self._account_rate[account_id] = [float(account_rps), now]
                level, account_level, decision = q.take_requests(bucket, rps, account, account_rps, now)
                account[0], account[1] = account_level, max(account[1], now)
            bucket[0], bucket[1] = level, max(bucket[1], now)
        return decision

    def charge(self, account_id: int, limits: q.TokenLimits, cost: int) -> q.Charge:
        now = self.clock()
        with self._lock:
            state = self._quota.get(account_id)
            if state is None:
                state = self._quota[account_id] = q.fresh_state(limits, now)
            result = q.charge(state, limits, cost, now)
            if result.cost:
                key = (account_id, state.day)
                self._pending[key] = self._pending.get(key, 0) + result.cost
        return result

    # ---- persistence of the daily counters (memory store only) ---------------------------------

    def take_pending(self) -> dict[tuple[int, int], int]:
        """Tokens used since the last call, by (account, day); the caller writes them."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending

    def restore_pending(self, pending: dict[tuple[int, int], int]) -> None:
        """Give back what could not be written, to be written next time."""
        with self._lock:
            for key, n in pending.items():
                self._pending[key] = self._pending.get(key, 0) + n

    def absorb(self, day: int, totals: dict[int, int]) -> None:
        """Take the persisted totals of `day` (every process's usage) as the truth, plus what this
        process used since it wrote them."""
        now = self.clock()
        with self._lock:
            if q.utc_day(now) != day:
                return
            for account_id, used in totals.items():
                state = self._quota.get(account_id)
                if state is None:
                    # Bucket unknown here: full, as after a restart (only the daily count persists).
                    state = self._quota[account_id] = q.QuotaState(tokens=float("inf"), at=now, day=day, used=0)
                if state.day == day:
                    state.used = used + self._pending.get((account_id, day), 0)

    def clock_day(self) -> int:
        return q.utc_day(self.clock())


# Lua versions of domain.quotas.take_request(s) and domain.quotas.charge: same steps, same numbers.
# _HIT takes the key's bucket (KEYS[1], ARGV[1] a second) and, when given, the account's (KEYS[2],
# ARGV[3] a second) in one call: both paid, or neither.
_HIT = """
local now = tonumber(ARGV[2])
local levels, ats, rates = {}, {}, {tonumber(ARGV[1]), tonumber(ARGV[3])}
local allowed = 1
for i = 1, #KEYS do
  local rps = rates[i]
  local b = redis.call('HMGET', KEYS[i], 't', 'a')
  local tokens = tonumber(b[1]) or rps
  local at = tonumber(b[2]) or now
  if now > at then tokens = math.min(rps, tokens + (now - at) * rps) else tokens = math.min(tokens, rps) end
  if tokens < 1 then allowed = 0 end
  levels[i], ats[i] = tokens, math.max(at, now)
end
local out = {allowed}
for i = 1, #KEYS do
  if allowed == 1 then levels[i] = levels[i] - 1 end
  redis.call('HSET', KEYS[i], 't', string.format('%.17g', levels[i]), 'a', string.format('%.17g', ats[i]))
  redis.call('PEXPIRE', KEYS[i], 5000)
  out[i + 1] = string.format('%.17g', levels[i])
end
return out
"""

_CHARGE = """
local capacity = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local daily = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local tokens = -1
if capacity >= 0 then
  local b = redis.call('HMGET', KEYS[1], 't', 'a')
  tokens = tonumber(b[1]) or capacity
  local at = tonumber(b[2]) or now
  if now > at then tokens = math.min(capacity, tokens + (now - at) * per_second) else tokens = math.min(tokens, capacity) end
  at = math.max(at, now)
  local refused = 0
  if daily >= 0 and used + cost > daily then refused = 1 elseif tokens < cost then refused = 2 end
  if refused == 0 then tokens = tokens - cost end
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'a', string.format('%.17g', at))
  redis.call('EXPIRE', KEYS[1], 172800)
  if refused ~= 0 then return {refused, used, string.format('%.17g', tokens)} end
elseif daily >= 0 and used + cost > daily then
  return {1, used, '-1'}
end
if cost > 0 then
  used = redis.call('INCRBY', KEYS[2], cost)
  redis.call('EXPIRE', KEYS[2], 172800)
end
return {0, used, string.format('%.17g', tokens)}
"""


class RedisScripts:
    """One Redis connection, made on first use (a server starts without Redis), running Lua
    scripts by EVALSHA. Shared by the rate limits here and the provider budgets
    (`sellerkit.catalog.providers.budget.RedisBudgets`)."""

    def __init__(self, url: str, scripts: tuple[str, ...], timeout: float = 2.0) -> None:
        import redis

        self._url = url
        self._timeout = timeout
        self._redis: redis.Redis | None = None
        self._connecting = threading.Lock()
        self._scripts = {script: hashlib.sha1(script.encode()).hexdigest() for script in scripts}
        self._no_script = redis.exceptions.NoScriptError
        self.errors: tuple[type[Exception], ...] = (redis.RedisError,)

    def eval(self, script: str, keys: list[str], args: list) -> list:
        """EVALSHA straight through the client (a third quicker than redis-py's Script
        objects), loading the script when Redis does not know it (first use, or after a
        restart or SCRIPT FLUSH)."""
        client = self.client()
        sha = self._scripts[script]
        try:
            return client.evalsha(sha, len(keys), *keys, *args)
        except self._no_script:
            client.script_load(script)
            return client.evalsha(sha, len(keys), *keys, *args)

    def client(self):
        if self._redis is not None:
            return self._redis
        import redis

        with self._connecting:
            if self._redis is None:
                # One connection behind redis-py's lock: requests call from the event loop one at a
                # time, and skipping the pool's checkout and return saves a sixth of each call.
                self._redis = redis.Redis.from_url(self._url, socket_timeout=self._timeout,
                                                   socket_connect_timeout=self._timeout,
                                                   single_connection_client=True)
            return self._redis

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None


class RedisLimits:
    """Limits shared by every process using the same Redis: each question is one atomic script."""

    kind = "redis"

    def __init__(self, url: str, prefix: str = "sellerkit:limits", clock: Clock = time.time,
                 timeout: float = 2.0) -> None:
        self.clock = clock
        self.prefix = prefix
        self._redis = RedisScripts(url, (_HIT, _CHARGE), timeout)
        self._errors = self._redis.errors

    def _eval(self, script: str, keys: list[str], args: list) -> list:
        return self._redis.eval(script, keys, args)

    def hit(self, key_id: int, rps: int, account_id: int | None = None,
            account_rps: int | None = None) -> q.RateDecision:
        """As `MemoryLimits.hit`, both buckets in one script call."""
        now = self.clock()
        if account_id is None:
            keys, args = [f"{self.prefix}:rate:{key_id}"], [rps, repr(now)]
        else:
            keys = [f"{self.prefix}:rate:{key_id}", f"{self.prefix}:account-rate:{account_id}"]
            args = [rps, repr(now), account_rps]
        try:
            allowed, *levels = self._eval(_HIT, keys, args)
        except self._errors as exc:
            raise LimitsUnavailable(f"rate limits unavailable: Redis did not answer ({type(exc).__name__}); "
                                    "retry shortly") from None
        if account_id is None:
            return q.bucket_decision(bool(allowed), float(levels[0]), rps)
        return q.pair_decision(bool(allowed), float(levels[0]), rps, float(levels[1]), account_rps)

    def charge(self, account_id: int, limits: q.TokenLimits, cost: int) -> q.Charge:
        now = self.clock()
        day = q.utc_day(now)
        keys = [f"{self.prefix}:bucket:{account_id}", f"{self.prefix}:daily:{account_id}:{day}"]
        args = [
            -1 if limits.capacity is None else limits.capacity,
            repr(limits.per_second),
            -1 if limits.daily is None else limits.daily,
            cost,
            repr(now),
        ]
        try:
            refused, used, tokens = self._eval(_CHARGE, keys, args)
        except self._errors as exc:
            raise LimitsUnavailable(f"token quotas unavailable: Redis did not answer ({type(exc).__name__}); "
                                    "retry shortly") from None
        tokens = float(tokens)
        refused = {0: None, 1: "daily", 2: "bucket"}[int(refused)]
        reset_in = q.seconds_to_next_day(now)
        if refused == "daily":
            retry = reset_in
        elif refused == "bucket":
            retry = q.wait_for(tokens, cost, limits.per_second) if limits.per_second else reset_in
        else:
            retry = 0.0
        return q.Charge(
            cost=cost if refused is None else 0,
            refused=refused,
            daily_limit=limits.daily,
            daily_left=None if limits.daily is None else max(0, limits.daily - int(used)),
            capacity=limits.capacity,
            bucket_left=None if limits.capacity is None else int(tokens + 1e-9),
            per_minute=limits.per_minute,
            retry_after=retry,
            reset_in=reset_in,
        )

    def take_pending(self) -> dict[tuple[int, int], int]:
        return {}  # Redis keeps the counters

    def restore_pending(self, pending: dict[tuple[int, int], int]) -> None:
        pass

    def absorb(self, day: int, totals: dict[int, int]) -> None:
        pass

    def clock_day(self) -> int:
        return q.utc_day(self.clock())

    def close(self) -> None:
        self._redis.close()


# A counting semaphore every process shares: KEYS[1] is a sorted set of holders (token -> expiry in
# ms on Redis's clock). Holders past their expiry (a process that died holding a slot) are dropped
# first. ARGV: the cap, the token, the hold's time to live in ms. 1 when the slot is taken, else 0.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
"""


class RedisSlots:
    """At most `cap` holders at once across every process using the same Redis (the capture
    fetcher's pages in flight). A hold lasts until released or `ttl` seconds, so the slots of a
    process that died come back by themselves."""

    def __init__(self, url: str, key: str, cap: int, ttl: float, timeout: float = 2.0) -> None:
        self.key, self.cap, self.ttl_ms = key, cap, max(1, int(ttl * 1000))
        self._redis = RedisScripts(url, (_ACQUIRE,), timeout)
        self.errors = self._redis.errors

    def try_acquire(self, token: str) -> bool:
        return bool(self._redis.eval(_ACQUIRE, [self.key], [self.cap, token, self.ttl_ms]))

    def release(self, token: str) -> None:
        self._redis.client().zrem(self.key, token)

    def held(self) -> int:
        return int(self._redis.client().zcard(self.key))

    def close(self) -> None:
        self._redis.close()


def make_limits(redis_url: str | None, prefix: str) -> MemoryLimits | RedisLimits:
    return RedisLimits(redis_url, prefix) if redis_url else MemoryLimits()
