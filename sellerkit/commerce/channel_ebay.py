"""The eBay channel's order side: the Sell Fulfillment API with the seller's OAuth refresh token.

- OAuth: the refresh token (`sellerkit providers connect ebay`) is exchanged for a two-hour user
  access token at `{SELLERKIT_EBAY_ENDPOINT}/identity/v1/oauth2/token` (grant_type
  refresh_token, the app's client id and secret as HTTP Basic auth, scope sell.fulfillment), kept
  until shortly before it expires and renewed once when a call answers 401.
- `getOrders` (`GET /sell/fulfillment/v1/order`, filter `lastmodifieddate:[A..B]`, `limit` 200,
  `offset` paging) lists the orders changed in a window; the pages are read by the same parser as
  an imported eBay file (`domain.channel_files.parse_ebay_orders`), so both map alike.
- `createShippingFulfillment` (`POST /sell/fulfillment/v1/order/{orderId}/shipping_fulfillment`)
  sends tracking back.

Every attempt takes a slot of the account's budget (`Budgets`, provider "ebay"): eBay documents a
daily call limit per app (100,000 calls a day for the Fulfillment API by default), kept as that
spread over the day. 429 and 5xx replies and network failures are retried after Retry-After, or
1, 2, 4 ... seconds, `max_retries` times.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from sellerkit import __version__
from sellerkit.commerce.channels import Confirmation, LocalChannel, Live, OrderPage, not_connected
from sellerkit.commerce.models import MarketplaceAccount, Order, OrderItem, Shipment
from sellerkit.domain import channel_files as files
from sellerkit.errors import SellerkitError

PROVIDER = "ebay"
GET_ORDERS = "getOrders"
CREATE_SHIPPING_FULFILLMENT = "createShippingFulfillment"
TOKEN_PATH = "/identity/v1/oauth2/token"
ORDERS_PATH = "/sell/fulfillment/v1/order"
FULFILLMENT_PATH = "/sell/fulfillment/v1/order/{order_id}/shipping_fulfillment"
SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
PAGE_SIZE = 200  # getOrders' most
TOKEN_MARGIN = 120.0
MAX_BACKOFF = 30.0


class EbayError(SellerkitError):
    """eBay did not take a call. `status` is eBay's HTTP status (None: no reply); `transient`:
    throttled or down, worth trying again later."""

    status_code = 502

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient


def _said(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        e = errors[0]
        return f"{e.get('errorId', '')} {e.get('message', '')}".strip()
    if isinstance(body, dict) and body.get("error"):
        return f"{body['error']}: {body.get('error_description', '')}"
    return str(body)[:200]


class EbayClient:
    """One seller's eBay access (one refresh token) for one event loop's life."""

    def __init__(self, refresh_token: str, client_id: str, client_secret: str, *, endpoint: str, budgets,
                 account_id: int, max_retries: int = 3, timeout: float = 10.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._refresh = refresh_token
        self._client = (client_id, client_secret)
        self.endpoint = endpoint.rstrip("/")
        self.budgets = budgets
        self.account_id = account_id
        self.max_retries = max_retries
        self._sleep = sleep
        self._http: httpx.AsyncClient | None = None
        self._timeout = timeout
        self._token: tuple[str, float] | None = None
        self._token_lock: asyncio.Lock | None = None

    def __repr__(self) -> str:  # never a secret
        return f"EbayClient(account_id={self.account_id}, endpoint={self.endpoint!r})"

    def _client_http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, headers={"user-agent": f"sellerkit/{__version__}"})
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _send(self, what: str, request: Callable[[], Awaitable[httpx.Response]],
                    budget: str | None) -> httpx.Response:
        """The reply to `request()`, retrying 429, 5xx and network failures."""
        attempt = 0
        while True:
            if budget is not None:
                await self.budgets.acquire(PROVIDER, budget, self.account_id)
            wait = None
            try:
                response = await request()
            except httpx.TransportError as exc:
                failure = EbayError(f"{what}: no reply from eBay ({type(exc).__name__})", transient=True)
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                failure = EbayError(f"{what}: eBay answered {response.status_code} ({_said(response)}) "
                                    f"{attempt + 1} times; try again later", status=response.status_code,
                                    transient=True)
                try:
                    wait = float(response.headers["retry-after"]) if "retry-after" in response.headers else None
                except ValueError:
                    wait = None
                if response.status_code == 429 and budget is not None:
                    self.budgets.throttled(PROVIDER, budget, self.account_id, wait or min(MAX_BACKOFF, 2.0**attempt))
            if attempt >= self.max_retries:
                raise failure
            if failure.status != 429:
                await self._sleep(wait if wait is not None else min(MAX_BACKOFF, 2.0**attempt))
            attempt += 1

    async def access_token(self) -> str:
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            if self._token is not None and time.monotonic() < self._token[1]:
                return self._token[0]
            form = {"grant_type": "refresh_token", "refresh_token": self._refresh, "scope": SCOPE}
            response = await self._send("eBay OAuth token", lambda: self._client_http().post(
                self.endpoint + TOKEN_PATH, data=form, auth=self._client), None)
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
            if response.status_code != 200 or not body.get("access_token"):
                raise EbayError(f"eBay refused the refresh token ({response.status_code} {_said(response)}): check "
                                "SELLERKIT_EBAY_CLIENT_ID, SELLERKIT_EBAY_CLIENT_SECRET and the token (connect again "
                                "with `sellerkit providers connect ebay`); the token needs the sell.fulfillment "
                                "scope", status=response.status_code)
            self._token = (body["access_token"], time.monotonic() + max(0.0, float(body.get("expires_in", 7200)) - TOKEN_MARGIN))
            return self._token[0]

    async def call(self, operation: str, method: str, path: str, *, params: dict | None = None,
                   body: Any = None) -> httpx.Response:
        """One Sell Fulfillment call; its reply (2xx), or the EbayError it means."""
        renewed = False
        while True:
            token = await self.access_token()
            headers = {"authorization": f"Bearer {token}", "accept": "application/json"}

            def send(h: dict = headers) -> Awaitable[httpx.Response]:
                return self._client_http().request(method, self.endpoint + path, params=params, json=body, headers=h)

            response = await self._send(operation, send, operation)
            if response.status_code == 401 and not renewed:
                self._token, renewed = None, True
                continue
            if 200 <= response.status_code < 300:
                return response
            raise EbayError(f"{operation} answered {response.status_code}: {_said(response)}",
                            status=response.status_code, transient=response.status_code in (401, 403))


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class EbayChannel(LocalChannel):
    """Orders of one eBay channel account. Listings still publish locally (`LocalChannel.publish`)."""

    listings_note = "eBay listings stay in sellerkit until their own issue (Inventory API)"

    live = True

    def __init__(self, client: EbayClient) -> None:
        super().__init__()
        self.client = client

    async def pull_orders(self, since: datetime, until: datetime, token: str | None) -> OrderPage:
        offset = int(token) if token and token.isdigit() else 0
        response = await self.client.call(GET_ORDERS, "GET", ORDERS_PATH, params={
            "filter": f"lastmodifieddate:[{_iso(since)}..{_iso(until)}]", "limit": str(PAGE_SIZE), "offset": str(offset)})
        page = response.json()
        try:
            orders = files.parse_ebay_orders(page if page.get("orders") else {"orders": []})
        except files.ChannelFileError as exc:
            raise EbayError(f"{GET_ORDERS}: {exc}") from None
        total = int(page.get("total") or 0)
        following = offset + PAGE_SIZE
        return OrderPage(orders, str(following) if following < total and orders else None)

    async def confirm_shipment(self, order: Order, items: list[OrderItem], shipment: Shipment) -> Confirmation:
        lines = [{"lineItemId": i.external_id, "quantity": i.quantity} for i in items if i.external_id]
        if not lines:
            return Confirmation(False, "not sent: the order has no eBay line item ids (it was not pulled from eBay "
                                       "or imported from an eBay file)")
        carrier = shipment.carrier_code or "Other"
        response = await self.client.call(
            CREATE_SHIPPING_FULFILLMENT, "POST", FULFILLMENT_PATH.format(order_id=order.order_number),
            body={"lineItems": lines, "shippedDate": _iso(shipment.shipped_at), "shippingCarrierCode": carrier,
                  "trackingNumber": shipment.tracking_number})
        where = response.headers.get("location", "").rsplit("/", 1)[-1]
        return Confirmation(True, f"sent to eBay ({carrier} {shipment.tracking_number})"
                                  + (f", fulfillment {where}" if where else ""))

    async def aclose(self) -> None:
        await self.client.aclose()


def ebay_channel(channel: MarketplaceAccount, live: Live) -> EbayChannel | LocalChannel:
    """The account's eBay connection, or the local channel saying what connects it."""
    from sellerkit.catalog.providers.connections import connections

    found = [c for c in connections.connections_for(live.db, live.settings, channel.account_id) if c.provider == "ebay"]
    if not found:
        return LocalChannel(not_connected(live, channel.account_id, "ebay", "eBay"))
    s = live.settings
    return EbayChannel(EbayClient(found[0].secret, s.ebay_client_id or "", s.ebay_client_secret.get_secret_value(),
                                  endpoint=s.ebay_endpoint, budgets=live.budgets, account_id=channel.account_id,
                                  max_retries=s.spapi_max_retries, timeout=s.spapi_timeout))
