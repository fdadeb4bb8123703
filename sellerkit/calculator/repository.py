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


def rank_sales_points(reader: Reader, marketplace: str, category: str, limit: int = 5_000) -> list[tuple[int, int]]:
    """(rank, monthly_sold) of catalog products of one category that carry both."""
    if reader.is_sqlite:
        field = "json_extract(data, '$.{}')".format
    else:
        field = "(data::jsonb ->> '{}')".format
    rows = reader.rows(
        f"SELECT {field('rank')}, {field('monthly_sold')} FROM products WHERE marketplace = ? "
        f"AND {field('category')} = ? AND {field('monthly_sold')} IS NOT NULL AND {field('rank')} IS NOT NULL "
        f"LIMIT {int(limit)}",
        (marketplace, category),
    )
    return [(int(r), int(u)) for r, u in rows]
