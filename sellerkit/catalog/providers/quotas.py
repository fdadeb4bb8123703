"""What `GET /api/v3/quotas` and `sellerkit quotas` show: every budget of a seller account, the
ones in use with their live figures and the documented operations not yet used (state `idle`,
at their documented limits), so a seller sees their quota before the first scan."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from sellerkit.catalog.providers.budget import DOCUMENTED, EPSILON, Budgets, BudgetState

# What one unit of a budget is: a call, or (Keepa) a token.
UNITS = {"keepa": "tokens"}
_ORDER = {pair: n for n, pair in enumerate(DOCUMENTED)}


class QuotaBudget(BaseModel):
    """One budget: one provider operation of one seller account."""

    provider: str = Field(description="`spapi` (Amazon Selling Partner API) or `keepa`.")
    operation: str = Field(description="The provider's operation (Keepa: `tokens`, one budget for all calls).")
    account_id: int | None = Field(
        description="The seller account; null for the documented limits every account starts from.")
    unit: Literal["calls", "tokens"] = Field(description="What the budget counts: calls, or Keepa tokens.")
    state: Literal["idle", "ready", "waiting"] = Field(
        description="`idle`: not used yet (or not for a day), at the documented limits; `ready`: a call may go now; "
                    "`waiting`: every unit is spent or reserved, the next goes at `next_slot_at`.")
    rate_per_second: float = Field(description="Units the budget refills a second (Amazon's restore rate; Keepa's "
                                               "refill rate / 60).")
    burst: float = Field(description="Most units the budget holds (Amazon's burst; Keepa: an hour's refill).")
    available_now: float = Field(description="Units that may be spent now without waiting.")
    queued_seconds: float = Field(description="Seconds a new call would queue behind the slots already reserved "
                                              "by this account's scans and look-ups (and a 429's back-off); 0 when a "
                                              "unit is available now.")
    next_slot_at: str = Field(description="ISO 8601 time at which a new call would go (now when one is available).")
    limit_source: Literal["documented", "reply"] = Field(
        description="`documented`: Amazon's or Keepa's published limit; `reply`: the rate a reply told "
                    "(`x-amzn-RateLimit-Limit`, Keepa's `refillRate` and `tokensLeft`).")
    throttled: int = Field(description="429s the provider answered on this budget (each retried inside it).")


class QuotasReply(BaseModel):
    account_id: int | None = Field(description="The seller account (the caller's).")
    store: Literal["memory", "redis"] = Field(
        description="Where budgets live: `redis` (shared by every server and worker process) or `memory` "
                    "(this process only).")
    now: str = Field(description="ISO 8601 time the figures are taken at.")
    note: str | None = Field(description="What these figures cannot show, when there is something to say.")
    budgets: list[QuotaBudget]


def _iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _unit(provider: str) -> str:
    return UNITS.get(provider, "calls")


def budget_row(s: BudgetState) -> dict:
    next_slot = s.next_slot
    return {
        "provider": s.key.provider,
        "operation": s.key.operation,
        "account_id": s.key.account_id,
        "unit": _unit(s.key.provider),
        "state": "waiting" if next_slot > s.now + EPSILON else "ready",
        "rate_per_second": round(s.rate, 6),
        "burst": round(s.burst, 6),
        "available_now": round(s.available, 3),
        "queued_seconds": round(s.queued_seconds, 3),
        "next_slot_at": _iso(next_slot),
        "limit_source": s.source if s.source in ("documented", "reply") else "reply",
        "throttled": s.throttled,
    }


def idle_row(provider: str, operation: str, account_id: int | None, now: float) -> dict:
    rate, burst = DOCUMENTED[(provider, operation)]
    return {
        "provider": provider,
        "operation": operation,
        "account_id": account_id,
        "unit": _unit(provider),
        "state": "idle",
        "rate_per_second": round(rate, 6),
        "burst": round(burst, 6),
        "available_now": round(burst, 3),
        "queued_seconds": 0.0,
        "next_slot_at": _iso(now),
        "limit_source": "documented",
        "throttled": 0,
    }


def _order(row: dict) -> tuple:
    pair = (row["provider"], row["operation"])
    return (row["account_id"] is None, row["account_id"] or 0, _ORDER.get(pair, len(_ORDER)), pair)


def quota_rows(states: list[BudgetState], account_ids: list[int | None], now: float) -> list[dict]:
    """The rows of `account_ids`: each one's budgets in use, then its documented operations not
    yet used."""
    rows = [budget_row(s) for s in states]
    for account_id in account_ids:
        used = {(s.key.provider, s.key.operation) for s in states if s.key.account_id == account_id}
        rows += [idle_row(p, o, account_id, now) for p, o in DOCUMENTED if (p, o) not in used]
    return sorted(rows, key=_order)


def memory_note(workers: int) -> str | None:
    if workers > 1:
        return (f"budgets live in each server process's memory (no SELLERKIT_REDIS_URL): this is one of the "
                f"{workers} processes, and each spends the full rate; set SELLERKIT_REDIS_URL to share one budget")
    return None


def quotas_reply(budgets: Budgets, account_id: int | None, note: str | None = None) -> dict:
    """`GET /api/v3/quotas`'s body for one account, or (`account_id` None, the CLI) for every
    account with a budget in use (the documented limits alone when there is none)."""
    states = budgets.states(account_id)
    now = states[0].now if states else time.time()
    if account_id is not None:
        accounts: list[int | None] = [account_id]
    else:
        accounts = sorted({s.key.account_id for s in states}) or [None]
    return {
        "account_id": account_id,
        "store": budgets.kind,
        "now": _iso(now),
        "note": note,
        "budgets": quota_rows(states, accounts, now),
    }
