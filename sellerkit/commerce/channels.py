"""Where submitted listings go: a channel interface, and its first implementation, local.

A live Amazon (SP-API Listings Items) or eBay (Inventory API) connection implements the same
`Channel.publish`; `channel_for` picks it per channel account once one is connected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sellerkit.commerce.models import MarketplaceAccount, Product


@dataclass(frozen=True, slots=True)
class Published:
    """What the channel said about a batch: the products' `marketplace_status`, and a message for
    the manifest's `status_message`."""

    marketplace_status: str
    message: str


class Channel(Protocol):
    def publish(self, channel: MarketplaceAccount, products: list[Product]) -> Published: ...


class LocalChannel:
    """No live channel connected: the products are active in sellerkit (they take orders sent to
    `POST /api/orders` and imported files), and the manifest's message says nothing went live."""

    def publish(self, channel: MarketplaceAccount, products: list[Product]) -> Published:
        return Published("active", f"{len(products):,} products active in sellerkit; no live {channel.marketplace} "
                                   "channel is connected, so nothing was sent to the marketplace")


def channel_for(channel: MarketplaceAccount) -> Channel:
    return LocalChannel()
