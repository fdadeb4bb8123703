"""Where listings go: one channel interface, a local implementation and the live ones.

`channel_for` picks, per channel account: Amazon (SP-API) when the account's marketplace is
Amazon and its seller account has an SP-API connection for that marketplace; its listing side
(Listings Items, `channel_amazon_listings.py`) also needs the connection's seller id. Otherwise
the local channel, which says why nothing left sellerkit (no connection; Walmart, Shopify,
Google and eBay listings stay local until their own issue). A live channel is slow and
rate-limited: its listing calls are made by background jobs (`channel_listings.py`), never
inside a request's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sellerkit.commerce.models import MarketplaceAccount
from sellerkit.domain import listings_items as li

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


@dataclass
class Live:
    """What a live channel needs to reach its marketplace: the connections in the database, the
    settings (app credentials, endpoints) and the rate budgets shared by every process."""

    db: Database
    settings: Settings
    budgets: Budgets
    cache: dict = field(default_factory=dict)


# ---- listings: what goes to a channel and what comes back ---------------------------------------


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


class Channel(Protocol):
    def publish(self, channel: MarketplaceAccount, products: list) -> Published: ...

    # ---- listings (issue 22, part 1): the live side of a listing -----------------------------
    listings_live: bool  # True: listings reach the marketplace (by background jobs)
    listings_note: str  # where listings go, or why they stay in sellerkit

    async def put(self, channel: MarketplaceAccount, listings: list[Listed],
                  progress: Callable[[list[Outcome]], None] | None = None) -> list[Outcome]: ...

    async def update(self, channel: MarketplaceAccount, changes: list[Change]) -> list[Outcome]: ...

    async def end(self, channel: MarketplaceAccount, listings: list[Listed]) -> list[Outcome]: ...

    async def status(self, channel: MarketplaceAccount, listings: list[Listed]) -> list[Outcome]: ...

    async def aclose(self) -> None: ...


class LocalChannel:
    """No live channel connected: the products are active in sellerkit (they take orders sent to
    `POST /api/orders` and imported files), and the manifest's message says nothing went live
    and why (`why`: what connects it, or that this channel stays local)."""

    live = False
    listings_live = False

    def __init__(self, why: str | None = None) -> None:
        self.why = why or "no live channel is connected"

    @property
    def listings_note(self) -> str:
        return self.why

    def publish(self, channel: MarketplaceAccount, products: list) -> Published:
        return Published("active", f"{len(products):,} products active in sellerkit; {self.why}, so nothing was "
                                   "sent to the marketplace")

    # ---- listings ----

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

    async def aclose(self) -> None:
        return None


STAYS_LOCAL = "no live {marketplace} channel is connected ({label} listings stay in sellerkit until their own issue)"


def channel_for(channel: MarketplaceAccount, live: Live | None = None) -> Channel:
    """The channel account's live channel when its marketplace has one and the account is
    connected to it; otherwise the local channel, saying what connects it."""
    if live is None:
        return LocalChannel(f"no live {channel.marketplace} channel is connected")
    if channel.marketplace == "amazon":
        from sellerkit.commerce.channel_amazon_listings import amazon_channel

        return amazon_channel(channel, live)
    return LocalChannel(STAYS_LOCAL.format(marketplace=channel.marketplace,
                                           label=channel.account_type.removesuffix("Account")))
