"""Tests for sellerkit.domain.quotas: token buckets, daily allowances and request rates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sellerkit.domain import quotas as q
from sellerkit.domain.plans import plan

PRO = q.TokenLimits.of(plan("pro"))
BASIC = q.TokenLimits.of(plan("basic"))
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()


def pro_state(now: float = NOON) -> q.QuotaState:
    return q.fresh_state(PRO, now)


class TestRefill:
    def test_adds_elapsed_time_times_rate(self):
        assert q.refill(10, at=100, now=103, capacity=120, per_second=1) == 13

    def test_never_exceeds_capacity(self):
        assert q.refill(119, at=0, now=3600, capacity=120, per_second=1) == 120

    def test_clock_going_backwards_refills_nothing(self):
        assert q.refill(5, at=100, now=90, capacity=120, per_second=1) == 5


class TestUtcDay:
    def test_day_changes_at_midnight_utc(self):
        before = datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC).timestamp()
        assert q.utc_day(before) + 1 == q.utc_day(before + 1)

    def test_seconds_to_next_day_from_noon_is_half_a_day(self):
        assert q.seconds_to_next_day(NOON) == 43_200


class TestCharge:
    def test_pays_from_bucket_and_day(self):
        state = pro_state()
        c = q.charge(state, PRO, 3, NOON)
        assert (c.granted, c.cost, c.daily_left, c.bucket_left) == (True, 3, 9_997, 117)

    def test_full_bucket_pays_exactly_its_capacity(self):
        state = pro_state()
        granted = sum(q.charge(state, PRO, 1, NOON).granted for _ in range(200))
        assert granted == 120

    def test_refusal_costs_nothing(self):
        state = pro_state()
        q.charge(state, PRO, 118, NOON)
        c = q.charge(state, PRO, 5, NOON)
        assert (c.granted, c.cost, state.used, c.bucket_left) == (False, 0, 118, 2)

    def test_request_that_cannot_be_paid_whole_is_refused_whole(self):
        state = pro_state()
        q.charge(state, PRO, 115, NOON)
        assert q.charge(state, PRO, 10, NOON).refused == "bucket"
        assert q.charge(state, PRO, 5, NOON).granted

    def test_bucket_refills_at_plan_rate(self):
        state = pro_state()
        q.charge(state, PRO, 120, NOON)
        assert q.charge(state, PRO, 10, NOON + 10).granted  # 60 a minute: 10 in 10 s
        assert q.charge(state, PRO, 1, NOON + 10).refused == "bucket"

    def test_bucket_refusal_says_restore_rate(self):
        state = q.fresh_state(BASIC, NOON)
        q.charge(state, BASIC, 60, NOON)
        c = q.charge(state, BASIC, 1, NOON)
        assert c.message == "Not enough tokens in the bucket. Restore rate: 10 / min"

    def test_bucket_refusal_retry_after_is_time_to_refill_the_cost(self):
        state = q.fresh_state(BASIC, NOON)
        q.charge(state, BASIC, 60, NOON)
        assert q.charge(state, BASIC, 2, NOON).retry_after == pytest.approx(12)

    def test_daily_allowance_refuses_with_reference_message(self):
        state = pro_state()
        state.used = 9_999
        c = q.charge(state, PRO, 2, NOON)
        assert (c.refused, c.message) == ("daily", "The daily requests limit has been reached.")

    def test_daily_refusal_retry_after_is_time_to_midnight(self):
        state = pro_state()
        state.used = 10_000
        assert q.charge(state, PRO, 1, NOON).retry_after == 43_200

    def test_daily_allowance_checked_before_bucket(self):
        state = pro_state()
        state.used, state.tokens = 10_000, 0
        assert q.charge(state, PRO, 1, NOON).refused == "daily"

    def test_daily_allowance_resets_next_utc_day(self):
        state = pro_state()
        state.used = 10_000
        c = q.charge(state, PRO, 1, NOON + 43_200)
        assert (c.granted, c.daily_left) == (True, 9_999)

    def test_zero_cost_reports_without_consuming(self):
        state = pro_state()
        q.charge(state, PRO, 7, NOON)
        c = q.charge(state, PRO, 0, NOON)
        assert (c.daily_left, c.bucket_left, state.used) == (9_993, 113, 7)

    def test_unlimited_plan_has_no_limits(self):
        assert q.TokenLimits.of(plan("unlimited")).unlimited

    def test_reports_ms_to_reset(self):
        assert q.charge(pro_state(), PRO, 1, NOON).ms_to_reset == 43_200_000


class TestTakeRequest:
    def test_full_bucket_allows_one_seconds_worth(self):
        tokens, at, allowed = 600.0, NOON, 0
        for _ in range(700):
            tokens, d = q.take_request(tokens, at, NOON, 600)
            allowed += d.allowed
        assert allowed == 600

    def test_refused_request_waits_for_one_token(self):
        _, d = q.take_request(0.0, NOON, NOON, 100)
        assert (d.allowed, d.retry_after) == (False, pytest.approx(0.01))

    def test_refills_at_the_limit_per_second(self):
        _, d = q.take_request(0.0, NOON, NOON + 0.5, 10)
        assert (d.allowed, d.remaining) == (True, 4)

    def test_headers_name_limit_remaining_and_reset(self):
        _, d = q.take_request(10.0, NOON, NOON, 10)
        assert dict(d.headers()) == {b"x-ratelimit-limit": b"10", b"x-ratelimit-remaining": b"9",
                                     b"x-ratelimit-reset": b"1", b"x-ratelimit-scope": b"key"}


class TestTakeRequests:
    """A key's bucket and its account's together: both paid or neither."""

    def test_allowed_pays_one_from_each_bucket(self):
        key, account, d = q.take_requests((10.0, NOON), 10, (20.0, NOON), 20, NOON)
        assert (key, account, d.allowed) == (9, 19, True)

    def test_empty_account_bucket_refuses_a_key_with_tokens_left(self):
        _, _, d = q.take_requests((10.0, NOON), 10, (0.0, NOON), 20, NOON)
        assert (d.allowed, d.scope, d.limit) == (False, "account", 20)

    def test_refusal_costs_neither_bucket(self):
        key, account, _ = q.take_requests((10.0, NOON), 10, (0.5, NOON), 20, NOON)
        assert (key, account) == (10, 0.5)

    def test_refusal_waits_for_the_bucket_that_refills_last(self):
        _, _, d = q.take_requests((0.0, NOON), 10, (0.0, NOON), 100, NOON)
        assert (d.scope, d.retry_after) == ("key", pytest.approx(0.1))

    def test_allowed_figures_are_the_bucket_with_fewer_requests_left(self):
        _, _, d = q.take_requests((10.0, NOON), 10, (3.0, NOON), 20, NOON)
        assert (d.scope, d.limit, d.remaining) == ("account", 20, 2)

    def test_tie_reports_the_key(self):
        _, _, d = q.take_requests((5.0, NOON), 10, (5.0, NOON), 20, NOON)
        assert (d.scope, d.limit, d.remaining) == ("key", 10, 4)

    def test_account_bucket_refills_at_its_own_rate(self):
        _, account, d = q.take_requests((10.0, NOON), 10, (0.0, NOON), 20, NOON + 0.5)
        assert (d.allowed, account) == (True, 9)
