"""The Amazon channel's order side: Orders v0 through the account's SP-API connection.

- `getOrders` (0.0167 calls/s, burst 20) lists the orders created or changed in a window
  (`LastUpdatedAfter`, `LastUpdatedBefore`), 100 a page, `NextToken` for the next page;
- `getOrderItems` (0.5/s, burst 30) gives each order's items (their SKU, quantity, prices and
  `OrderItemId`), asked for the orders of a page `ITEMS_CONCURRENCY` at a time: the budget, not
  this, sets the pace;
- `confirmShipment` (2/s, burst 10) sends a merchant-fulfilled order's tracking.

Login, budgets and retries are the provider's (`SpApiProvider.call`). The app needs the SP-API
role "Inventory and Order Tracking" for orders and shipment confirmation; buyer names and
addresses come only with the restricted roles for buyer data (docs/channels.md).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sellerkit.commerce.channel_amazon_listings import AmazonListings
from sellerkit.commerce.channels import Confirmation, LocalChannel, Live, OrderPage, not_connected
from sellerkit.commerce.models import MarketplaceAccount, Order, OrderItem, Shipment
from sellerkit.domain import channel_files as files
from sellerkit.domain.marketplaces import marketplace
from sellerkit.errors import SellerkitError

GET_ORDERS = "getOrders"
GET_ORDER_ITEMS = "getOrderItems"
CONFIRM_SHIPMENT = "confirmShipment"
ORDERS_PATH = "/orders/v0/orders"
ORDER_ITEMS_PATH = "/orders/v0/orders/{order_id}/orderItems"
CONFIRM_PATH = "/orders/v0/orders/{order_id}/shipmentConfirmation"
PAGE_SIZE = 100  # MaxResultsPerPage: Amazon's most
ITEMS_CONCURRENCY = 4
MAX_ITEM_PAGES = 20


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class AmazonChannel(AmazonListings, LocalChannel):
    """One Amazon channel account (one marketplace): its orders here, its listings from
    `AmazonListings` (Listings Items, when the connection has the seller id)."""

    live = True

    def __init__(self, provider, marketplace_code: str) -> None:
        super().__init__()
        self.provider = provider
        self.code = marketplace_code
        self.marketplace_id = marketplace(marketplace_code).marketplace_id

    async def pull_orders(self, since: datetime, until: datetime, token: str | None) -> OrderPage:
        params = {"MarketplaceIds": self.marketplace_id, "LastUpdatedAfter": _iso(since),
                  "LastUpdatedBefore": _iso(until), "MaxResultsPerPage": str(PAGE_SIZE)}
        if token:
            params["NextToken"] = token
        body = await self.provider.call(GET_ORDERS, self.code, "GET", ORDERS_PATH, params=params)
        payload = (body or {}).get("payload") or {}
        raw = [o for o in payload.get("Orders") or [] if isinstance(o, dict)]
        gate = asyncio.Semaphore(ITEMS_CONCURRENCY)

        async def items_of(order: dict) -> list[dict]:
            async with gate:
                return await self._items(str(order.get("AmazonOrderId") or ""))

        items = await asyncio.gather(*(items_of(o) for o in raw))
        try:
            orders = [files.parse_amazon_api_order(o, its) for o, its in zip(raw, items, strict=True)]
        except files.ChannelFileError as exc:
            raise SellerkitError(f"{GET_ORDERS}: {exc}", 502) from None
        return OrderPage(orders, payload.get("NextToken") or None)

    async def _items(self, order_id: str) -> list[dict]:
        path = ORDER_ITEMS_PATH.format(order_id=order_id)
        params: dict = {}
        items: list[dict] = []
        for _ in range(MAX_ITEM_PAGES):
            body = await self.provider.call(GET_ORDER_ITEMS, self.code, "GET", path, params=params or None)
            payload = (body or {}).get("payload") or {}
            items += [i for i in payload.get("OrderItems") or [] if isinstance(i, dict)]
            if not payload.get("NextToken"):
                break
            params = {"NextToken": payload["NextToken"]}
        return items

    async def confirm_shipment(self, order: Order, items: list[OrderItem], shipment: Shipment) -> Confirmation:
        if order.fulfilled_by == "amazon":
            return Confirmation(False, "not sent: Amazon ships its FBA orders itself")
        lines = [{"orderItemId": i.external_id, "quantity": i.quantity} for i in items if i.external_id]
        if not lines:
            return Confirmation(False, "not sent: the order has no Amazon order item ids (it was not pulled "
                                       "from Amazon or imported from its order report)")
        carrier = shipment.carrier_code or "Other"
        body = {"marketplaceId": self.marketplace_id, "packageDetail": {
            "packageReferenceId": str(shipment.id), "carrierCode": carrier, "carrierName": carrier,
            "trackingNumber": shipment.tracking_number,
            "shipDate": shipment.shipped_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "orderItems": lines}}
        await self.provider.call(CONFIRM_SHIPMENT, self.code, "POST", CONFIRM_PATH.format(order_id=order.order_number),
                                 body=body)
        return Confirmation(True, f"confirmed to Amazon ({carrier} {shipment.tracking_number})")

    async def aclose(self) -> None:
        await self.provider.aclose()


def amazon_channel(channel: MarketplaceAccount, live: Live) -> AmazonChannel | LocalChannel:
    """The account's SP-API connection serving the channel's marketplace, or the local channel
    saying what connects it."""
    from sellerkit.catalog.providers.registry import providers_for, serving

    code = channel.marketplace_id or "US"
    found = [p for p in serving(providers_for(live.db, live.settings, live.budgets, channel.account_id), code)
             if p.name == "spapi"]
    if not found:
        return LocalChannel(f"{not_connected(live, channel.account_id, 'spapi', 'Amazon SP-API')} (its marketplaces "
                            f"must include {code}: --marketplace {code})")
    return AmazonChannel(found[0], code)
