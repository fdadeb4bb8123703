"""Webhook deliveries: a row per event and URL, posted by a background job with retries.

The request that causes an event only adds a `WebhookDelivery` row (in its own transaction)
and enqueues its id after the commit (`enqueue`), so a slow or failing receiver never delays
it. The job posts the JSON payload; a 2xx reply delivers it, anything else (another status,
a timeout, a refused connection) is retried after `retry_delay(attempt)`: the base delay
doubled each time (10 s, 20 s, 40 s ... by default), capped at an hour, up to
`webhook_max_attempts` attempts, then the delivery is `failed` with its last error. Each
attempt is claimed first (`attempts` compared and raised in one UPDATE), so a delivery enqueued
twice (a retry and the periodic sweep) is posted once per attempt. The sweep re-enqueues
pending deliveries whose next attempt is overdue, e.g. after a restart lost a scheduled retry.

Each post carries `X-Sellerkit-Event`, `X-Sellerkit-Delivery` (the delivery id, the same on every
retry, for receivers to drop duplicates) and `X-Sellerkit-Attempt`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx
import orjson
import sqlalchemy as sa
from huey import crontab
from sqlalchemy.orm import Mapped, Session, mapped_column

from sellerkit import __version__
from sellerkit.kit.db import Base, Database, TimestampMixin, utcnow

if TYPE_CHECKING:
    from sellerkit.config import Settings
    from sellerkit.kit.queue import Queue

log = logging.getLogger("sellerkit.webhooks")
DELIVER = "webhooks.deliver"
SWEEP = "webhooks.sweep"
MAX_DELAY = 3600.0
ERROR_CHARS = 300  # of a receiver's reply kept as the last error


class WebhookDelivery(TimestampMixin, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.Index("ix_webhook_deliveries_pending", "status", "next_attempt_at"),
                      sa.Index("ix_webhook_deliveries_account", "account_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(sa.String(50))
    url: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column()  # the receiver's last HTTP status
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column()


def retry_delay(attempt: int, base: float, cap: float = MAX_DELAY) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): exponential backoff."""
    return min(cap, base * 2 ** (attempt - 1))


def add(session: Session, *, account_id: int, user_id: int | None, event: str, url: str, payload: dict) -> int:
    """A pending delivery in the caller's transaction; enqueue its id after the commit."""
    row = WebhookDelivery(account_id=account_id, user_id=user_id, event=event, url=url,
                          payload=orjson.dumps(payload), next_attempt_at=utcnow())
    session.add(row)
    session.flush()
    return row.id


def enqueue(queue: Queue, delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        queue.enqueue(DELIVER, delivery_id)


def _claim(db: Database, delivery_id: int, timeout: float) -> WebhookDelivery | None:
    """This attempt's delivery, or None when it is delivered, failed, not yet due, or being
    posted by another run."""
    with db.session(write=True) as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None or row.status != "pending":
            return None
        if row.next_attempt_at is not None and row.next_attempt_at > utcnow() + timedelta(seconds=0.05):
            return None  # a sweep or duplicate ahead of the scheduled retry
        seen = row.attempts
        claimed = session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.attempts == seen,
                   WebhookDelivery.status == "pending")
            .values(attempts=seen + 1, next_attempt_at=utcnow() + timedelta(seconds=timeout + 30))
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return None
        session.expunge(row)
        row.attempts = seen + 1
        return row


def attempt(db: Database, settings: Settings, delivery_id: int, client: httpx.Client | None = None) -> float | None:
    """Post one attempt; the seconds until the next one, or None when there is none to make
    (delivered, given up, or not this run's to make)."""
    row = _claim(db, delivery_id, settings.webhook_timeout)
    if row is None:
        return None
    headers = {"Content-Type": "application/json", "User-Agent": f"sellerkit/{__version__}",
               "X-Sellerkit-Event": row.event, "X-Sellerkit-Delivery": str(row.id),
               "X-Sellerkit-Attempt": str(row.attempts)}
    status, error = None, None
    try:
        post = (client or httpx).post
        reply = post(row.url, content=row.payload, headers=headers, timeout=settings.webhook_timeout)
        status = reply.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}: {reply.text[:ERROR_CHARS]}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    now = utcnow()
    with db.session(write=True) as session:
        values: dict = {"last_status": status, "last_error": error}
        delay = None
        if error is None:
            values.update(status="delivered", delivered_at=now, next_attempt_at=None)
        elif row.attempts >= settings.webhook_max_attempts:
            values.update(status="failed", next_attempt_at=None)
            log.warning("webhook %s to %s failed %s times; giving up: %s", row.id, row.url, row.attempts, error)
        else:
            delay = retry_delay(row.attempts, settings.webhook_retry_base_seconds)
            values["next_attempt_at"] = now + timedelta(seconds=delay)
        session.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id == row.id).values(**values))
    return delay


def overdue(db: Database, grace: float) -> list[int]:
    """Pending deliveries whose next attempt is more than `grace` seconds late."""
    with db.session() as session:
        return list(session.scalars(
            sa.select(WebhookDelivery.id).where(WebhookDelivery.status == "pending",
                                                WebhookDelivery.next_attempt_at < utcnow() - timedelta(seconds=grace))
            .order_by(WebhookDelivery.id).limit(1000)))


def register(queue: Queue) -> None:
    @queue.task(DELIVER)
    def deliver(delivery_id: int) -> None:
        delay = attempt(queue.db, queue.settings, delivery_id)
        if delay is not None:
            queue.enqueue_in(DELIVER, delay, delivery_id)

    @queue.periodic(SWEEP, crontab(minute="*"))
    def sweep() -> None:
        enqueue(queue, overdue(queue.db, grace=60))


def on_start(queue: Queue) -> None:
    enqueue(queue, overdue(queue.db, grace=0))
