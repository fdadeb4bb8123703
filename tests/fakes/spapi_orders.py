"""Orders v0 routes of the fake SP-API (tests/fakes/spapi_server.py): `FakeSpApi` inherits them.

- `GET /orders/v0/orders` (getOrders: MarketplaceIds, LastUpdatedAfter/LastUpdatedBefore (both
  inclusive; Before must be at least 2 minutes ago, as Amazon requires), MaxResultsPerPage 1-100,
  NextToken);
- `GET /orders/v0/orders/{orderId}/orderItems` (getOrderItems);
- `POST /orders/v0/orders/{orderId}/shipmentConfirmation` (confirmShipment: 204, or 400 for a
  body Amazon refuses, e.g. a shipDate that is not ISO 8601).

Orders are the getOrders and getOrderItems model examples made each order's own (`add_orders`,
seeded); `change_order` moves one on (status, LastUpdateDate). `break_after(operation, n)` makes
every call of an operation after the next `n` answer 500 until `repair()`: a pull that dies
halfway. Usage plans (ORDERS_LIMITS) are the models' own.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

ORDERS_LIMITS: dict[str, tuple[float, float]] = {
    "getOrders": (0.0167, 20),
    "getOrderItems": (0.5, 30),
    "confirmShipment": (2.0, 10),
}
ORDERS_ROUTES: list[tuple[str, re.Pattern, str]] = [
    ("GET", re.compile(r"/orders/v0/orders"), "getOrders"),
    ("GET", re.compile(r"/orders/v0/orders/(?P<orderId>[^/]+)/orderItems"), "getOrderItems"),
    ("POST", re.compile(r"/orders/v0/orders/(?P<orderId>[^/]+)/shipmentConfirmation"), "confirmShipment"),
]
STATUSES = ("Unshipped", "Unshipped", "Unshipped", "Pending", "Shipped", "Canceled")


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str | None, name: str) -> datetime:
    from tests.fakes.spapi_server import _invalid

    try:
        at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"{name}: {text!r} is not ISO 8601.") from None
    if at.tzinfo is None:
        raise _invalid(f"{name}: {text!r} has no time zone.")
    return at


class _OrdersState:
    def __init__(self) -> None:
        from tests.fakes.spapi_server import EXAMPLES

        folder = EXAMPLES / "ordersV0"
        self.order_example = json.loads((folder / "getOrders.200.example.json").read_text())["payload"]["Orders"][0]
        self.item_example = json.loads((folder / "getOrderItems.200.example.json").read_text())["payload"]["OrderItems"][1]
        self.orders: dict[str, dict] = {}
        self.items: dict[str, list[dict]] = {}
        self.confirmations: list[dict] = []
        self.broken: dict[str, int] = {}  # operation -> calls still answered before it breaks


class OrdersV0:
    """The Orders v0 part of FakeSpApi (its `_lock`, `log` and request plumbing)."""

    _orders_lock = threading.RLock()

    @property
    def orders_state(self) -> _OrdersState:
        with OrdersV0._orders_lock:
            state = self.__dict__.get("_orders_state")
            if state is None:
                state = self.__dict__["_orders_state"] = _OrdersState()
            return state

    # ---- seeding and controls ------------------------------------------------------------------

    def add_orders(self, n: int, *, skus: list[str], seed: int = 1, start: datetime | None = None,
                   spacing: timedelta = timedelta(seconds=7), afn_every: int = 0,
                   statuses: tuple[str, ...] = STATUSES, marketplace_id: str = "ATVPDKIKX0DER") -> list[str]:
        """`n` orders of 1-3 items each (SKUs from `skus`), last updated from `start` (default:
        a day ago) `spacing` apart; every `afn_every`th fulfilled by Amazon. Their ids."""
        st = self.orders_state
        rng = random.Random(f"fake-orders:{seed}")
        start = start or datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        made = []
        with OrdersV0._orders_lock:
            base = len(st.orders)
            for k in range(n):
                i = base + k
                number = f"{100 + seed % 900:03d}-{1_000_000 + i:07d}-{rng.randrange(10**6, 10**7):07d}"
                at = start + spacing * k
                order = copy.deepcopy(st.order_example)
                status = statuses[rng.randrange(len(statuses))]
                order.update(AmazonOrderId=number, PurchaseDate=_iso(at - timedelta(minutes=5)), LastUpdateDate=_iso(at),
                             OrderStatus=status, MarketplaceId=marketplace_id,
                             FulfillmentChannel="AFN" if afn_every and i % afn_every == afn_every - 1 else "MFN")
                order["ShippingAddress"] = {**order["ShippingAddress"], "Name": f"Buyer {i}"}
                order["BuyerInfo"] = {**order["BuyerInfo"], "BuyerName": f"Buyer {i}",
                                      "BuyerEmail": f"buyer{i}@marketplace.amazon.com"}
                lines, total = [], Decimal(0)
                for m in range(1 + rng.randrange(3)):
                    item = copy.deepcopy(st.item_example)
                    quantity = 1 + rng.randrange(2)
                    price = Decimal(rng.randrange(500, 5000)) / 100 * quantity
                    item.update(ASIN=f"B0{i:06d}{m:02d}", OrderItemId=f"{i:09d}{m:05d}", SellerSKU=skus[(i + m) % len(skus)],
                                Title=f"Item {m} of order {number}", QuantityOrdered=0 if status == "Canceled" else quantity,
                                ItemPrice={"CurrencyCode": "USD", "Amount": f"{price:.2f}"},
                                ShippingPrice={"CurrencyCode": "USD", "Amount": "0.00"})
                    for key in ("PromotionIds", "ConditionId", "ConditionSubtypeId", "ConditionNote"):
                        item.pop(key, None)
                    lines.append(item)
                    total += price
                order["OrderTotal"] = {"CurrencyCode": "USD", "Amount": f"{total:.2f}"}
                st.orders[number] = order
                st.items[number] = lines
                made.append(number)
        return made

    def change_order(self, number: str, *, status: str | None = None, at: datetime | None = None,
                     buyer_name: str | None = None) -> None:
        """The seller's buyer paid, Amazon shipped or cancelled: the order changes and its
        LastUpdateDate moves to `at` (default: 5 minutes ago)."""
        with OrdersV0._orders_lock:
            order = self.orders_state.orders[number]
            if status:
                order["OrderStatus"] = status
            if buyer_name:
                order["BuyerInfo"]["BuyerName"] = buyer_name
            order["LastUpdateDate"] = _iso(at or datetime.now(UTC) - timedelta(minutes=5))

    def break_after(self, operation: str, calls: int) -> None:
        with OrdersV0._orders_lock:
            self.orders_state.broken[operation] = calls

    def repair(self) -> None:
        with OrdersV0._orders_lock:
            self.orders_state.broken.clear()

    @property
    def confirmations(self) -> list[dict]:
        return self.orders_state.confirmations

    # ---- handlers ------------------------------------------------------------------------------

    def _check_broken(self, operation: str) -> None:
        from tests.fakes.spapi_server import _Reply, examples

        with OrdersV0._orders_lock:
            left = self.orders_state.broken.get(operation)
            if left is None:
                return
            if left > 0:
                self.orders_state.broken[operation] = left - 1
                return
        raise _Reply(500, examples().errors[500])

    def _getOrders(self, query: dict, body: Any) -> Any:  # noqa: N802 - operation name
        from tests.fakes.spapi_server import _invalid, _Reply

        self._check_broken("getOrders")
        st = self.orders_state
        if not self._csv(query, "MarketplaceIds"):
            raise _invalid("Missing required parameter 'MarketplaceIds'.")
        wanted = set(self._csv(query, "MarketplaceIds"))
        token = self._one(query, "NextToken", required=False)
        after_text = self._one(query, "LastUpdatedAfter", required=False)
        if after_text is None and self._one(query, "CreatedAfter", required=False) is None:
            raise _invalid("Either CreatedAfter or LastUpdatedAfter must be specified.")
        after = _parse(after_text, "LastUpdatedAfter")
        before = _parse(self._one(query, "LastUpdatedBefore", required=False) or
                        _iso(datetime.now(UTC) - timedelta(minutes=2)), "LastUpdatedBefore")
        if before > datetime.now(UTC) - timedelta(minutes=2):
            raise _invalid("LastUpdatedBefore must be at least 2 minutes earlier than the time of the request.")
        size = int(self._one(query, "MaxResultsPerPage", required=False) or 100)
        if not 1 <= size <= 100:
            raise _invalid("MaxResultsPerPage: 1 to 100.")
        offset = 0
        if token:
            try:
                a, b, o = base64.urlsafe_b64decode(token.encode()).decode().split("|")
                offset = int(o)
            except ValueError:
                raise _invalid("Invalid NextToken.") from None
            if (a, b) != (_iso(after), _iso(before)):
                raise _invalid("NextToken does not belong to these filters.")
        with OrdersV0._orders_lock:
            found = sorted((o for o in st.orders.values() if o["MarketplaceId"] in wanted and
                            after <= _parse(o["LastUpdateDate"], "x") <= before),
                           key=lambda o: (o["LastUpdateDate"], o["AmazonOrderId"]))
            page = copy.deepcopy(found[offset:offset + size])
        payload: dict[str, Any] = {"Orders": page, "LastUpdatedBefore": _iso(before)}
        if offset + size < len(found):
            payload["NextToken"] = base64.urlsafe_b64encode(
                f"{_iso(after)}|{_iso(before)}|{offset + size}".encode()).decode()
        return _Reply(200, {"payload": payload})

    def _getOrderItems(self, query: dict, body: Any) -> Any:  # noqa: N802
        from tests.fakes.spapi_server import _Reply

        self._check_broken("getOrderItems")
        number = query["orderId"][0]
        with OrdersV0._orders_lock:
            items = copy.deepcopy(self.orders_state.items.get(number))
        if items is None:
            raise _Reply(404, {"errors": [{"code": "NotFound", "message": f"Order {number} not found", "details": ""}]})
        return _Reply(200, {"payload": {"AmazonOrderId": number, "OrderItems": items}})

    def _confirmShipment(self, query: dict, body: Any) -> Any:  # noqa: N802
        from tests.fakes.spapi_server import _invalid, _Reply

        self._check_broken("confirmShipment")
        number = query["orderId"][0]
        st = self.orders_state
        with OrdersV0._orders_lock:
            order = st.orders.get(number)
            items = {i["OrderItemId"] for i in st.items.get(number, [])}
        if order is None:
            raise _Reply(404, {"errors": [{"code": "NotFound", "message": f"Order {number} not found", "details": ""}]})
        detail = (body or {}).get("packageDetail") if isinstance(body, dict) else None
        if not isinstance(detail, dict) or not body.get("marketplaceId"):
            raise _invalid("marketplaceId and packageDetail are required.")
        for name in ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"):
            if not detail.get(name):
                raise _invalid(f"packageDetail.{name} is required.")
        _parse(detail["shipDate"], "packageDetail.shipDate")
        if {i.get("orderItemId") for i in detail["orderItems"]} - items:
            raise _invalid("packageDetail.orderItems: an orderItemId is not an item of this order.")
        if order["FulfillmentChannel"] == "AFN":
            raise _invalid("Shipment confirmation is for merchant-fulfilled orders only.")
        with OrdersV0._orders_lock:
            st.confirmations.append({"orderId": number, **body})
            order["OrderStatus"] = "Shipped"
        return _Reply(204, None)
