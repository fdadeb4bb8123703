"""Token buckets and daily allowances: the arithmetic of every limit sellerkit enforces.

Two kinds of limit use it:
- **token quotas** (ASINScope's): each identifier looked up costs a token; an account has a daily
  allowance that resets at 00:00 UTC and a bucket that refills continuously at its plan's rate.
  A request that cannot be paid in full is refused whole and costs nothing.
- **request rate** (the API principles'): each request to any route costs one token from a
  per-key bucket holding one second's worth of the key's requests/s and refilling at that rate,
  and one from its account's bucket (the same shape at the account's requests/s), so minting more
  keys does not multiply what an account may send. A request is paid from both or from neither.

Pure functions over plain numbers: `now` is wall-clock seconds (Unix time) passed in by the
caller, so the in-memory store, the Redis scripts (which implement the same steps in Lua) and the
tests all run the same rules on the same clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sellerkit.domain.plans import Plan

DAY = 86_400

# The reference's two 429 messages, word for word.
DAILY_LIMIT_REACHED = "The daily requests limit has been reached."


def bucket_empty_message(tokens_per_minute: int) -> str:
    return f"Not enough tokens in the bucket. Restore rate: {tokens_per_minute} / min"


def utc_day(now: float) -> int:
    """Days since 1970-01-01 (UTC) at `now`: the daily allowance's period."""
    return int(now // DAY)


def seconds_to_next_day(now: float) -> float:
    return (utc_day(now) + 1) * DAY - now


def refill(tokens: float, at: float, now: float, capacity: float, per_second: float) -> float:
    """Tokens in a bucket last left at `tokens` at time `at`, at time `now` (never above
    `capacity`; a clock that went backwards refills nothing)."""
    if now <= at:
        return min(tokens, capacity)
    return min(capacity, tokens + (now - at) * per_second)


def wait_for(tokens: float, cost: float, per_second: float) -> float:
    """Seconds until a bucket holding `tokens` holds `cost`."""
    return max(0.0, (cost - tokens) / per_second)


# ---- token quotas (ASINScope) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenLimits:
    """A plan's token figures; None means no such limit."""

    daily: int | None
    capacity: int | None
    per_minute: int | None

    @classmethod
    def of(cls, plan: Plan) -> TokenLimits:
        return cls(plan.daily_tokens, plan.bucket_size, plan.tokens_per_minute)

    @property
    def unlimited(self) -> bool:
        return self.daily is None and self.capacity is None

    @property
    def per_second(self) -> float:
        return (self.per_minute or 0) / 60


@dataclass(slots=True)
class QuotaState:
    """One account's quota state: its bucket (`tokens` at `at`) and today's usage."""

    tokens: float
    at: float
    day: int
    used: int


@dataclass(frozen=True, slots=True)
class Charge:
    """What paying `cost` tokens came to. `refused` is None (paid), "daily" or "bucket"."""

    cost: int
    refused: str | None
    daily_limit: int | None
    daily_left: int | None  # after this charge
    capacity: int | None
    bucket_left: int | None  # whole tokens in the bucket after this charge
    per_minute: int | None
    retry_after: float  # seconds until the refused request could be paid; 0 when paid
    reset_in: float  # seconds until the daily allowance resets

    @property
    def granted(self) -> bool:
        return self.refused is None

    @property
    def ms_to_reset(self) -> int:
        return int(self.reset_in * 1000)

    @property
    def message(self) -> str | None:
        if self.refused == "daily":
            return DAILY_LIMIT_REACHED
        if self.refused == "bucket":
            return bucket_empty_message(self.per_minute or 0)
        return None


def fresh_state(limits: TokenLimits, now: float) -> QuotaState:
    return QuotaState(tokens=float(limits.capacity or 0), at=now, day=utc_day(now), used=0)


def charge(state: QuotaState, limits: TokenLimits, cost: int, now: float) -> Charge:
    """Pay `cost` tokens from `state` (changed in place when paid; refilled either way).

    The daily allowance is checked first: when it cannot pay, the bucket's answer does not
    matter (waiting a minute would not help). Both are paid, or neither.
    """
    day = utc_day(now)
    if state.day != day:
        state.day, state.used = day, 0
    reset_in = seconds_to_next_day(now)
    if limits.capacity is not None:
        state.tokens = refill(state.tokens, state.at, now, limits.capacity, limits.per_second)
        state.at = max(state.at, now)
    refused, retry = None, 0.0
    if limits.daily is not None and state.used + cost > limits.daily:
        refused, retry = "daily", reset_in
    elif limits.capacity is not None and state.tokens < cost:
        refused = "bucket"
        retry = wait_for(state.tokens, cost, limits.per_second) if limits.per_second else reset_in
    if refused is None:
        state.used += cost
        if limits.capacity is not None:
            state.tokens -= cost
    return Charge(
        cost=cost if refused is None else 0,
        refused=refused,
        daily_limit=limits.daily,
        daily_left=None if limits.daily is None else max(0, limits.daily - state.used),
        capacity=limits.capacity,
        bucket_left=None if limits.capacity is None else math.floor(state.tokens + 1e-9),
        per_minute=limits.per_minute,
        retry_after=retry,
        reset_in=reset_in,
    )


# ---- request rate (the API principles) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateDecision:
    """One request against a requests/s bucket (capacity: one second's worth). With a key's and
    its account's buckets together, the figures are the binding bucket's (`scope`): the one that
    refused, or the one with fewer requests left."""

    allowed: bool
    limit: int  # requests per second
    remaining: int  # whole requests left in the bucket now
    retry_after: float  # seconds until one more request is allowed (0 when allowed)
    reset_in: float  # seconds until the bucket is full again
    scope: str = "key"  # "key" or "account": whose limit these figures are

    def headers(self) -> list[tuple[bytes, bytes]]:
        """`X-RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until the bucket is full) and
        `-Scope` (`key` or `account`) as raw ASGI header pairs."""
        return [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(math.ceil(self.reset_in)).encode()),
            (b"x-ratelimit-scope", self.scope.encode()),
        ]


def bucket_decision(allowed: bool, level: float, rps: int, scope: str = "key") -> RateDecision:
    """The verdict on a bucket left at `level` (after paying, when allowed)."""
    return RateDecision(
        allowed=allowed,
        limit=rps,
        remaining=math.floor(level + 1e-9),
        retry_after=0.0 if allowed else wait_for(level, 1, rps),
        reset_in=wait_for(level, rps, rps),
        scope=scope,
    )


def take_request(tokens: float, at: float, now: float, rps: int) -> tuple[float, RateDecision]:
    """One request from a bucket left at `tokens` at `at`: the bucket's new level and the verdict."""
    level = refill(tokens, at, now, rps, rps)
    allowed = level >= 1
    if allowed:
        level -= 1
    return level, bucket_decision(allowed, level, rps)


def take_requests(key: tuple[float, float], key_rps: int, account: tuple[float, float], account_rps: int,
                  now: float) -> tuple[float, float, RateDecision]:
    """One request from a key's bucket and its account's (each `(tokens, at)`): allowed only when
    both hold a token, and then paid from both; a refusal costs neither. The buckets' new levels
    and the verdict (`pair_decision`)."""
    key_level = refill(key[0], key[1], now, key_rps, key_rps)
    account_level = refill(account[0], account[1], now, account_rps, account_rps)
    allowed = key_level >= 1 and account_level >= 1
    if allowed:
        key_level -= 1
        account_level -= 1
    return key_level, account_level, pair_decision(allowed, key_level, key_rps, account_level, account_rps)


def pair_decision(allowed: bool, key_level: float, key_rps: int, account_level: float,
                  account_rps: int) -> RateDecision:
    """The binding bucket's verdict: when refused, the bucket that makes the client wait longer;
    when allowed, the one with fewer whole requests left (the key's on a tie). Its figures are the
    truth for the pair: no more requests fit now than it says, nor sooner."""
    if allowed:
        account_binds = math.floor(account_level + 1e-9) < math.floor(key_level + 1e-9)
    else:
        account_binds = wait_for(account_level, 1, account_rps) > wait_for(key_level, 1, key_rps)
    if account_binds:
        return bucket_decision(allowed, account_level, account_rps, "account")
    return bucket_decision(allowed, key_level, key_rps, "key")
