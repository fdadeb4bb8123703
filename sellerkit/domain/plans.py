"""Subscription plans and their token figures (ASINScope's published Basic and Pro tiers)."""

from __future__ import annotations

from dataclasses import dataclass

from sellerkit.domain.quoting import quote


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    daily_tokens: int | None  # None: no daily cap
    bucket_size: int | None  # None: no per-minute bucket
    tokens_per_minute: int | None


PLANS: dict[str, Plan] = {
    "basic": Plan("basic", daily_tokens=1_000, bucket_size=60, tokens_per_minute=10),
    "pro": Plan("pro", daily_tokens=10_000, bucket_size=120, tokens_per_minute=60),
    "unlimited": Plan("unlimited", daily_tokens=None, bucket_size=None, tokens_per_minute=None),
}


def plan(name: str) -> Plan:
    try:
        return PLANS[name]
    except KeyError:
        raise ValueError(f"plan: unknown plan {quote(name)}; expected one of {', '.join(PLANS)}") from None
