"""Catalog reads for the calculator: one product record and its recent rank history."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from sellerkit.kit.db import Reader


def product(reader: Reader, marketplace: str, asin: str) -> dict | None:
    rows = reader.rows("SELECT data FROM products WHERE marketplace = ? AND asin = ?", (marketplace, asin))
    return orjson.loads(rows[0][0]) if rows else None


def _utc(value: datetime | str) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def rank_history(reader: Reader, marketplace: str, asin: str, since: datetime) -> list[tuple[datetime, int]]:
    rows = reader.rows(
        "SELECT observed_at, rank FROM observations WHERE marketplace = ? AND asin = ? AND rank IS NOT NULL",
        (marketplace, asin),
    )
    return [(at, rank) for at, rank in ((_utc(a), r) for a, r in rows) if at >= since]
