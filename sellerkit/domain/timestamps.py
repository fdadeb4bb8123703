"""When something happened: the optional `timestamp` of the API principles.

Write methods that record an event (an order, an inventory change, an observation) accept an
ISO 8601 `timestamp` with its offset; without one, the server's time is the event's time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sellerkit.domain.quoting import quote


def event_time(value: str | datetime | None, now: datetime | None = None, field: str = "timestamp") -> datetime:
    """`value` as an aware UTC datetime, or `now` (the server's time) when there is none.
    Raises ValueError naming the field when it is not ISO 8601 or has no offset."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return (now or datetime.now(UTC)).astimezone(UTC)
    if isinstance(value, datetime):
        at = value
    elif not isinstance(value, str):
        raise ValueError(f"{field}: expected an ISO 8601 date and time as text, e.g. 2026-11-23T10:15:00Z; "
                         f"got {quote(value)}")
    else:
        text = value.strip()
        try:
            at = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
        except ValueError:
            raise ValueError(f"{field}: {quote(value)} is not an ISO 8601 date and time; "
                             "send e.g. 2026-11-23T10:15:00Z") from None
    if at.tzinfo is None:
        raise ValueError(f"{field}: {quote(str(value))} has no UTC offset; add Z or +HH:MM, e.g. 2026-11-23T10:15:00Z")
    return at.astimezone(UTC)
