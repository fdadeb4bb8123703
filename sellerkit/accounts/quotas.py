"""Quotas: every key's request rate and every account's tokens, checked without the database.

- Request rate (the API principles): each request with a key takes one token from that key's
  bucket of `rate_limit_rps` (the key's own limit, `sellerkit keys set-limit`, or the default
  600) refilled at that rate, and one from its account's bucket of `account_rate_limit_rps`
  (default 1,200; never below the calling key's own limit, so one key alone is never slowed by
  its account): 429 with `Retry-After` and `X-RateLimit-*` (the tighter bucket's figures) beyond
  either, the message naming the one that refused.
- Tokens (ASINScope): each identifier looked up costs a token of the account's plan, paid from a
  daily allowance and a bucket (`sellerkit.domain.quotas`). Tokens belong to the account (its
  subscription), so every key of an account draws on the same allowance.

State lives in the limits store (`sellerkit.kit.ratelimit`: process memory, or Redis when
`SELLERKIT_REDIS_URL` is set). With the memory store the daily counters are written to the
`token_usage` table every `quota_flush_seconds` and at shutdown, and today's are read back once at
start (and after each write, which is how several server processes learn each other's usage).
"""

from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

from sellerkit.accounts import repository as repo
from sellerkit.accounts.service import Principal
from sellerkit.domain import quotas as q
from sellerkit.domain.plans import plan as get_plan
from sellerkit.errors import Forbidden, QuotaExceeded
from sellerkit.kit import metrics
from sellerkit.kit.db import Database, utcnow
from sellerkit.kit.ratelimit import MemoryLimits, RedisLimits

log = logging.getLogger("sellerkit.quotas")

EPOCH = date(1970, 1, 1)


def day_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


def date_day(value: date) -> int:
    return (value - EPOCH).days


class Quotas:
    def __init__(self, limits: MemoryLimits | RedisLimits, default_rps: int = 600,
                 flush_seconds: float = 2.0, account_rps: int = 1200) -> None:
        self.limits = limits
        self.default_rps = default_rps
        self.account_rps = max(account_rps, default_rps)
        self.flush_seconds = flush_seconds
        self._db: Database | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._flush_lock = threading.Lock()

    # ---- per request ---------------------------------------------------------------------------

    def check_rate(self, who: Principal) -> q.RateDecision:
        """One request of `who` against its key's and its account's requests/s limits; 429 beyond
        either."""
        rps = who.rate_limit_rps or self.default_rps
        # A key the operator raised above its account's limit may draw on the account's bucket up
        # to its own limit; the account's other keys still share the account's limit.
        account_rps = rps if rps > self.account_rps else self.account_rps
        decision = self.limits.hit(who.key_id, rps, who.account_id, account_rps)
        if not decision.allowed:
            metrics.RATE_LIMITED.labels("account" if decision.scope == "account" else "key").inc()
            wait_ms = max(1, int(decision.retry_after * 1000 + 0.999))
            if decision.scope == "account":
                message = (
                    f"too many requests: account {who.account_id} may make {account_rps} requests a second "
                    f"with all its keys together (key {who.partner_id} is one of them); wait {wait_ms} ms "
                    f"(Retry-After) and send them more slowly, or ask the operator for a higher limit "
                    f"(SELLERKIT_ACCOUNT_RATE_LIMIT_RPS)"
                )
            else:
                message = (
                    f"too many requests: key {who.partner_id} may make {rps} requests a second; wait "
                    f"{wait_ms} ms (Retry-After) and send them more slowly, or ask the operator for a "
                    f"higher limit (sellerkit keys set-limit {who.partner_id} --rps N)"
                )
            raise QuotaExceeded(message, decision.retry_after,
                                headers={k.decode(): v.decode() for k, v in decision.headers()})
        return decision

    def charge(self, who: Principal, cost: int) -> q.Charge:
        """Pay `cost` tokens from `who`'s account, whole or not at all (403 without a plan, 429
        with the reference's message when it cannot pay)."""
        limits = self.token_limits(who)
        if limits.unlimited:
            if cost:
                metrics.TOKENS_SPENT.inc(cost)
            return q.Charge(cost, None, None, None, None, None, None, 0.0, q.seconds_to_next_day(self.limits.clock()))
        result = self.limits.charge(who.account_id, limits, cost)
        if not result.granted:
            metrics.RATE_LIMITED.labels("tokens").inc()
            raise QuotaExceeded(self._advice(result, cost), result.retry_after, error=result.message)
        if cost:
            metrics.TOKENS_SPENT.inc(cost)
        return result

    def status(self, who: Principal) -> q.Charge:
        """The account's tokens now, consuming none."""
        return self.charge(who, 0)

    @staticmethod
    def token_limits(who: Principal) -> q.TokenLimits:
        if who.plan is None:
            raise Forbidden(
                "no active subscription: this key's account has no plan; ask the operator to give it "
                "one (sellerkit keys create --account ACCOUNT --plan basic|pro|unlimited)"
            )
        return q.TokenLimits.of(get_plan(who.plan))

    @staticmethod
    def _advice(result: q.Charge, cost: int) -> str:
        if result.refused == "daily":
            hours, rest = divmod(int(result.reset_in), 3600)
            return (f"{result.message} The account's {result.daily_limit:,} tokens a day reset at 00:00 UTC, "
                    f"in {hours} h {rest // 60} min; {result.daily_left} left today and this request needs {cost}.")
        return (f"{result.message}. This request needs {cost} tokens and the bucket holds {result.bucket_left}; "
                f"retry in {result.retry_after:.1f} s (Retry-After) or send fewer codes.")

    # ---- persistence of the daily counters -----------------------------------------------------

    def start(self, db: Database) -> None:
        """Read today's counters once and write them back every `flush_seconds` (memory store)."""
        if not isinstance(self.limits, MemoryLimits):
            return
        self._db = db
        self._read_back(db, self.limits.clock_day())
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="quota-flush", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is left (the server's shutdown)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(10)
            self._thread = None
        if self._db is not None:
            self.flush(self._db)
        if isinstance(self.limits, RedisLimits):
            self.limits.close()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush(self._db)
            except Exception:  # noqa: BLE001 - kept pending; the next flush tries again
                log.warning("could not write daily token counters; will retry", exc_info=True)

    def flush(self, db: Database) -> None:
        """Add the tokens used since the last flush to the table, then take today's totals."""
        with self._flush_lock:
            pending = self.limits.take_pending()
            if pending:
                by_day: dict[int, dict[int, int]] = {}
                for (account_id, day), n in pending.items():
                    by_day.setdefault(day, {})[account_id] = n
                try:
                    with db.session(write=True) as session:
                        at = utcnow()
                        for day, used in sorted(by_day.items()):
                            repo.add_token_usage(session, day_date(day), used, at)
                except BaseException:
                    self.limits.restore_pending(pending)
                    raise
            self._read_back(db, self.limits.clock_day())

    def _read_back(self, db: Database, day: int) -> None:
        with db.session() as session:
            totals = repo.token_usage_of_day(session, day_date(day))
        self.limits.absorb(day, totals)
