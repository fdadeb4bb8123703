"""Tracking back to the channel: a shipment entered in sellerkit (`PUT /api/orders/{id}`, the
dashboard) is confirmed to Amazon (`confirmShipment`, merchant-fulfilled orders) or eBay
(`createShippingFulfillment`) by a job.

The request only records the shipment `pending` in its own transaction and enqueues its id after
the commit (`enqueue_pending`), so a slow or failing channel never delays it and a crash before
the job runs loses nothing (the sweep finds pending shipments whose attempt is overdue). Each
attempt is claimed first (attempts compared and raised in one UPDATE): a shipment enqueued twice
is sent once per attempt. The outcome is on the shipment, shown with the order:
- `sent`: the channel took it;
- `pending` with a message: throttled, down, or the connection's credentials refused; tried
  again after `shipment_retry_base_seconds`, doubled each time, at most an hour apart, until it
  goes through (fix the connection and it does);
- `failed`: the channel refused this shipment (e.g. an unknown carrier, an item id it does not
  know); the message is the channel's, and entering the tracking again makes a new shipment;
- `recorded`: kept in sellerkit only, saying why (the channel is not connected: what to set;
  Walmart, Shopify and Google stay local; Amazon ships FBA orders itself).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sellerkit.commerce import orders_repository as repo
from sellerkit.commerce.channels import Live, channel_for
from sellerkit.commerce.models import MarketplaceAccount, Order, Shipment
from sellerkit.commerce.tasks import CONFIRM
from sellerkit.errors import SellerkitError
from sellerkit.kit.db import Database, utcnow
from sellerkit.kit.webhooks import retry_delay

log = logging.getLogger("sellerkit.orders.shipments")
MAX_DELAY = 3600.0
HOLD = timedelta(minutes=2)  # an attempt under way keeps others off this long


def enqueue_pending(queue, db: Database, order_id: int) -> list[int]:
    """After the commit that shipped an order: enqueue its shipments waiting for the channel."""
    with db.session() as s:
        ids = repo.pending_shipments(s, order_id=order_id)
    for shipment_id in ids:
        queue.enqueue(CONFIRM, shipment_id)
    return ids


def overdue(db: Database, grace: float) -> list[int]:
    with db.session() as s:
        return repo.pending_shipments(s, due_before=utcnow() - timedelta(seconds=grace))


def _transient(exc: SellerkitError) -> bool:
    """Worth trying again later: throttled, down, no reply, or credentials refused (fixed by
    connecting again). A 400/404 is the channel refusing this shipment: not retried."""
    status = getattr(exc, "status", None)
    if getattr(exc, "transient", False):
        return True
    return status is None or status in (401, 403, 429) or status >= 500


def attempt(db: Database, live: Live, shipment_id: int) -> float | None:
    """One attempt to confirm a shipment; the seconds until the next one, or None when there is
    none to make (sent, refused, kept local, or not this run's to make)."""
    now = utcnow()
    with db.session(write=True) as s:
        row = s.get(Shipment, shipment_id)
        if row is None or row.channel_status != "pending":
            return None
        if row.next_attempt_at is not None and row.next_attempt_at > now + timedelta(seconds=0.05):
            return None  # a sweep or duplicate ahead of the scheduled retry
        if not repo.claim_shipment(s, shipment_id, row.attempts, now + HOLD):
            return None
        tries = row.attempts + 1
        order = s.get(Order, row.order_id)
        channel = s.get(MarketplaceAccount, order.marketplace_account_id)
        items = repo.items_of(s, [order.id])[order.id]
        for obj in (row, order, channel, *items):
            s.expunge(obj)
    ch = channel_for(channel, live)

    async def send():
        try:
            return await ch.confirm_shipment(order, items, row)
        finally:
            await ch.aclose()

    values: dict = {}
    delay = None
    try:
        done = asyncio.run(send())
    except SellerkitError as exc:
        if _transient(exc):
            delay = min(MAX_DELAY, retry_delay(tries, live.settings.shipment_retry_base_seconds))
            values = {"channel_status": "pending", "next_attempt_at": utcnow() + timedelta(seconds=delay),
                      "channel_message": f"attempt {tries} failed: {exc.message}; trying again in {delay:,.0f} s"}
        else:
            values = {"channel_status": "failed", "next_attempt_at": None,
                      "channel_message": f"{channel.marketplace} refused it: {exc.message}"}
        log.warning("shipment %s of order %s: %s", shipment_id, order.order_number, values["channel_message"])
    else:
        values = {"channel_status": "sent" if done.sent else "recorded", "channel_message": done.message,
                  "next_attempt_at": None, "sent_at": utcnow() if done.sent else None}
    with db.session(write=True) as s:
        repo.set_shipment(s, shipment_id, values)
    return delay
