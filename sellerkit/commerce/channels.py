"""Where submitted listings go and where orders come from: a channel interface, and its first
implementation, local.

`channel_for` picks the live channel of a channel account once it is connected. The listing side
(`publish`, `put`, `update`, `end`, `status`) is implemented live by Amazon (Listings Items,
`channel_amazon_listings.py`, which also needs the connection's seller id); its calls are made
by background jobs (`channel_listings.py`), never inside a request's transaction. The order side
(`pull_orders`, `confirm_shipment`) is implemented live by Amazon (Orders v0, `channel_amazon.py`)
and eBay (Sell Fulfillment, `channel_ebay.py`). eBay listings, and Walmart, Shopify and Google
accounts, stay local until their own issue, and say so."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sellerkit.commerce.models import MarketplaceAccount, Order, OrderItem, Product, Shipment
from sellerkit.domain import listings_items as li
from sellerkit.domain.channel_files import ChannelOrder

if TYPE_CHECKING:
    from collections.abc import Callable

    from sellerkit.catalog.providers.budget import Budgets
    from sellerkit.config import Settings
    from sellerkit.kit.db import Database


@dataclass(frozen=True, slots=True)
class Published:
    """What the channel said about a batch: the products' `marketplace_status`, and a message for
    the manifest's `status_message`."""

    marketplace_status: str
    message: str


# ---- listings: what goes to a channel and what comes back (issue 22, part 1) -------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """One product's listing as a channel sees it (`offer` is what a put sends)."""

    product_id: int
    sku: str
    offer: li.Offer
    product_type: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """A price and/or quantity to send for a listed product (None: unchanged)."""

    product_id: int
    sku: str
    price: int | None
    quantity: int | None
    fba: bool
    product_type: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the channel answered for one listing. `verdict` None: no answer (throttled or
    failing after the retries, or the connection refused): the work stays pending, `error`
    says why."""

    product_id: int
    verdict: li.Verdict | None
    submission_status: str | None = None
    submission_id: str | None = None
    issues: list[dict] = field(default_factory=list)
    channel_status: str | None = None
    error: str | None = None


# ---- orders: the channel's side (issue 22, parts 2-4) -------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of the orders a channel changed within a window, and the token of the next page
    of the same window (None on the last). `note` says why a local channel pulled nothing."""

    orders: list[ChannelOrder]
    next_token: str | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the channel did with a shipment's tracking: `sent` False means it was kept in
    sellerkit only (`message` says why); a refusal or failure raises instead."""

    sent: bool
    message: str


@dataclass
class Live:
    """What a live channel needs to reach its marketplace: the connections in the database, the
    settings (app credentials, endpoints) and the rate budgets shared by every process."""

    db: Database
    settings: Settings
    budgets: Budgets
    cache: dict = field(default_factory=dict)

    @classmethod
    def of(cls, db: Database, settings: Settings) -> Live:
        """This installation's: the budgets of `settings` (one set per process, or Redis)."""
        from sellerkit.catalog.providers.budget import budgets_for

        return cls(db, settings, budgets_for(settings))


class Channel(Protocol):
    def publish(self, channel: MarketplaceAccount, products: list[Product]) -> Published: ...

    # ---- listings (issue 22, part 1): the live side of a listing ----
    listings_live: bool  # True: listings reach the marketplace (by background jobs)
    listings_note: str  # where listings go, or why they stay in sellerkit

    async def put(self, channel: MarketplaceAccount, listings: list[Listed],
                  progress: Callable[[list[Outcome]], None] | None = None) -> list[Outcome]: ...

    async def update(self, channel: MarketplaceAccount, changes: list[Change]) -> list[Outcome]: ...

    async def end(self, channel: MarketplaceAccount, listings: list[Listed]) -> list[Outcome]: ...

    async def status(self, channel: MarketplaceAccount, listings: list[Listed]) -> list[Outcome]: ...

    # ---- orders (issue 22, parts 2-4) ----
    live: bool

    async def pull_orders(self, since: datetime, until: datetime, token: str | None) -> OrderPage:
        """Orders the channel created or changed in [since, until), a page at a time."""
        ...

    async def confirm_shipment(self, order: Order, items: list[OrderItem], shipment: Shipment) -> Confirmation:
        """Send a shipment's tracking to the channel; raises the channel's error when it fails."""
        ...

    async def aclose(self) -> None: ...


class LocalChannel:
    """No live channel connected: the products are active in sellerkit (they take orders sent to
    `POST /api/orders` and imported files), and the manifest's message says nothing went live.
    On the order side it pulls nothing and keeps tracking in sellerkit, saying why (`why`: what
    to set or run to connect it, or that this channel stays local)."""

    live = False
    listings_live = False

    def __init__(self, why: str | None = None) -> None:
        self.why = why or "no live channel is connected"

    @property
    def listings_note(self) -> str:
        return self.why

    def publish(self, channel: MarketplaceAccount, products: list[Product]) -> Published:
        return Published("active", f"{len(products):,} products active in sellerkit; no live {channel.marketplace} "
                                   f"channel is connected, so nothing was sent to the marketplace ({self.why})")

    # ---- listings (issue 22, part 1) ----

    async def put(self, channel, listings, progress=None) -> list[Outcome]:
        out = [Outcome(x.product_id, li.Verdict("active", li.OKAY, None)) for x in listings]
        if progress is not None and out:
            progress(out)
        return out

    async def update(self, channel, changes) -> list[Outcome]:
        """Nothing to send: sellerkit's own figures are the listing."""
        return [Outcome(c.product_id, li.Verdict("active", li.OKAY, None)) for c in changes]

    async def end(self, channel, listings) -> list[Outcome]:
        return [Outcome(x.product_id, li.Verdict("ended", li.OKAY, None)) for x in listings]

    async def status(self, channel, listings) -> list[Outcome]:
        return [Outcome(x.product_id, None, error=f"{self.why}: the status is sellerkit's own") for x in listings]

    # ---- orders (issue 22, parts 2-4) ----

    async def pull_orders(self, since: datetime, until: datetime, token: str | None) -> OrderPage:
        return OrderPage([], None, f"nothing pulled: {self.why}")

    async def confirm_shipment(self, order: Order, items: list[OrderItem], shipment: Shipment) -> Confirmation:
        return Confirmation(False, f"tracking kept in sellerkit: {self.why}")

    async def aclose(self) -> None:
        return None


STAYS_LOCAL = ("{label} accounts stay local until their own issue: their orders arrive by POST /api/orders "
               "or `sellerkit orders import`, and tracking is kept in sellerkit")


def not_connected(live: Live, account_id: int, provider: str, what: str) -> str:
    """Why an account's channel is not live: its stored connection's problems (app credentials
    unset, unreadable), or what connects it."""
    from sellerkit.catalog.providers.connections import TURN_ON, connections

    state = next(p for p in connections.status(live.db, live.settings, account_id)["providers"]
                 if p["provider"] == provider)
    if state["problems"]:
        return f"{what} is connected for account {account_id} but cannot be used: {'; '.join(state['problems'])}"
    return f"{what} is not connected for account {account_id}: {state['turn_on'] or TURN_ON[provider]}"


def channel_for(channel: MarketplaceAccount, live: Live | None = None) -> Channel:
    """The channel account's live channel when its marketplace has one and the account is
    connected to it; otherwise the local channel, saying what connects it."""
    if live is None:
        return LocalChannel()
    # ---- orders (issue 22): Amazon and eBay are live, the rest stay local ----
    if channel.marketplace == "amazon":
        from sellerkit.commerce.channel_amazon import amazon_channel

        return amazon_channel(channel, live)
    if channel.marketplace == "ebay":
        from sellerkit.commerce.channel_ebay import ebay_channel

        return ebay_channel(channel, live)
    return LocalChannel(STAYS_LOCAL.format(label=channel.marketplace.capitalize()))
