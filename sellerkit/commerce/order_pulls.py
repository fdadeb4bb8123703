"""Orders pulled from live channels (Amazon Orders v0, eBay Sell Fulfillment) into commerce.

A pull covers a window of channel changes, from the account's `cursor` to a fixed end (two
minutes ago: Amazon's getOrders refuses a later LastUpdatedBefore), a page at a time. Each page's
orders are entered (`orders.sync`: new orders take their stock once, known ones follow the
channel) in the same transaction that stores the token of the next page; the last page also moves
the cursor to the window's end. So a pull that dies (a crash, a kill, a channel that keeps
failing) resumes at the first page not written: nothing is lost, and a page written twice changes
nothing, because an order is one row per channel account and order number and an order the
channel has not changed since is left as it is.

While the pages of the window are written, the next page is already being fetched (its calls
paced by the budgets): the database never holds up the channel's rate limits.

One pull at a time per channel account: a lease (`lease_until`, two minutes, renewed every 30
seconds while the pull runs) keeps a second one out; a pull that died leaves its lease to expire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sellerkit.commerce import orders_repository as repo
from sellerkit.commerce.channels import Channel, Live, channel_for
from sellerkit.commerce.models import MarketplaceAccount
from sellerkit.commerce.orders_service import orders
from sellerkit.domain.commerce import LIVE_ORDER_CHANNELS
from sellerkit.errors import NotFound, SellerkitError
from sellerkit.kit.db import Database, utcnow

log = logging.getLogger("sellerkit.orders.pull")
SETTLE = timedelta(minutes=2)  # a window ends this long ago (Amazon: LastUpdatedBefore >= 2 min ago)
LEASE = timedelta(minutes=2)  # a pull's hold on its channel account ...
HEARTBEAT = 30.0  # ... renewed this often (seconds) while it runs: a dead pull's lease soon expires
RESTART_CODES = (400,)  # a resumed page token the channel no longer takes: the window starts again


@dataclass
class Pulled:
    """What one pull of one channel account did."""

    channel_id: int
    channel: str  # its name
    added: int = 0
    updated: int = 0
    pages: int = 0
    done: bool = False  # the window is complete (the cursor moved)
    note: str | None = None  # why nothing was pulled, or what went wrong
    notes: list[str] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)

    def line(self) -> str:
        what = f"{self.channel}: {self.added:,} orders added, {self.updated:,} updated"
        return what + (f" ({self.note})" if self.note else "")


class OrderPulls:
    def pull(self, db: Database, live: Live, channel_id: int, *, now: datetime | None = None,
             on_page: Callable[[int], None] | None = None, view=None) -> Pulled:
        """One pull of a channel account, to the end of its window (or resumed where the last
        one stopped). `on_page(n)` runs after page n is written (tests kill a pull there)."""
        return asyncio.run(self.pull_async(db, live, channel_id, now=now, on_page=on_page, view=view))

    async def pull_async(self, db: Database, live: Live, channel_id: int, *, now: datetime | None = None,
                         on_page: Callable[[int], None] | None = None, view=None) -> Pulled:
        now = now or utcnow()
        with db.session() as s:
            channel = s.get(MarketplaceAccount, channel_id)
            if channel is None or channel.deleted_at is not None:
                raise NotFound(f"channel account {channel_id}: not found")
            s.expunge(channel)
        result = Pulled(channel.id, channel.name)
        ch = channel_for(channel, live)
        if not ch.live:
            page = await ch.pull_orders(now, now, None)
            result.note = page.note
            with db.session(write=True) as s:
                row = repo.order_pull(s, channel)
                row.last_error, row.pulled_at, row.updated_at = page.note, now, now
            return result
        window = self._claim(db, channel, live.settings, now)
        if window is None:
            result.note = "a pull of this channel account is already running"
            return result
        since, until, token = window
        beat = asyncio.create_task(self._heartbeat(db, channel))
        try:
            await self._pages(db, ch, channel, since, until, token, result, now, on_page, view)
        except BaseException as exc:  # a kill (KeyboardInterrupt, a test's) keeps the window too
            message = exc.message if isinstance(exc, SellerkitError) else f"{type(exc).__name__}: {exc}"
            result.note = f"stopped after {result.pages} pages: {message}; the next pull resumes there"
            with db.session(write=True) as s:
                row = repo.order_pull(s, channel, lock=True)
                row.last_error, row.lease_until, row.updated_at = message[:2000], None, utcnow()
            raise
        finally:
            beat.cancel()
            await ch.aclose()
        return result

    async def _heartbeat(self, db: Database, channel: MarketplaceAccount) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            await asyncio.to_thread(self._renew, db, channel)

    @staticmethod
    def _renew(db: Database, channel: MarketplaceAccount) -> None:
        with db.session(write=True) as s:
            row = repo.order_pull(s, channel, lock=True)
            if row.lease_until is not None:
                row.lease_until = utcnow() + LEASE

    def _claim(self, db: Database, channel: MarketplaceAccount, settings, now: datetime):
        """(since, until, page token) of this pull, with the lease taken; None while another runs."""
        with db.session(write=True) as s:
            row = repo.order_pull(s, channel, lock=True)
            if row.lease_until is not None and row.lease_until > now:
                return None
            if row.window_end is None:  # a new window (else: resume the one a pull left)
                row.window_end, row.page_token = now - SETTLE, None
            if row.cursor is None:
                row.cursor = now - timedelta(days=settings.orders_pull_lookback_days)
            row.lease_until, row.updated_at = now + LEASE, now
            return row.cursor, row.window_end, row.page_token

    async def _pages(self, db: Database, ch: Channel, channel: MarketplaceAccount, since: datetime, until: datetime,
                     token: str | None, result: Pulled, now: datetime, on_page, view) -> None:
        try:
            page = await ch.pull_orders(since, until, token)
        except SellerkitError as exc:
            if token is None or getattr(exc, "status", None) not in RESTART_CODES:
                raise
            log.info("%s: the stored page token was refused (%s); the window starts again", channel.name, exc.message)
            page = await ch.pull_orders(since, until, None)
        while True:
            write = asyncio.create_task(asyncio.to_thread(self._write, db, channel, page, result, view))
            try:
                following = await ch.pull_orders(since, until, page.next_token) if page.next_token else None
            finally:
                await write
            result.pages += 1
            if on_page is not None:
                on_page(result.pages)
            if following is None:
                result.done = True
                return
            page = following

    def _write(self, db: Database, channel: MarketplaceAccount, page, result: Pulled, view) -> None:
        """One page's orders and the pull's next page token (or, on the last page, the cursor at
        the window's end), in one transaction."""
        at = utcnow()
        with db.session(write=True) as s:
            row = repo.order_pull(s, channel, lock=True)
            synced = orders.sync(s, channel.account_id, channel.id, page.orders, at, view=view) if page.orders else None
            if synced is not None:
                result.added += len(synced.added)
                result.updated += len(synced.updated)
                result.notes += synced.notes
                result.deliveries += synced.deliveries
            row.page_token = page.next_token
            if page.next_token is None:
                row.cursor, row.window_end = row.window_end, None
                row.pulled_at, row.lease_until, row.last_error = at, None, None
                row.added, row.updated = result.added, result.updated
            else:
                row.lease_until = at + LEASE
            row.updated_at = at

    # ---- which channel accounts, when ------------------------------------------------------------

    def channels(self, db: Database, account_id: int | None = None) -> list[int]:
        """The live-channel accounts (Amazon, eBay) of an account, or of every account."""
        with db.session() as s:
            return [c.id for c in repo.live_channels(s, sorted(LIVE_ORDER_CHANNELS), account_id)]

    def due(self, db: Database, every: timedelta, now: datetime | None = None) -> list[int]:
        """Channel accounts not pulled for `every` (nor being pulled)."""
        now = now or utcnow()
        ids = self.channels(db)
        with db.session() as s:
            recent = repo.recently_pulled(s, ids, now - every)
        return [i for i in ids if i not in recent]


order_pulls = OrderPulls()
