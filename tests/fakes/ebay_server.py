"""A fake eBay (OAuth and the Sell Fulfillment API): a real HTTP server on 127.0.0.1 in this
process, for tests and benches.

    with FakeEbay(client_id="app", client_secret="cert", refresh_token="v^1.1#...") as ebay:
        ebay.add_orders(50, skus=["A", "B"])
        ... ebay.url, ebay.fulfillments, ebay.calls["getOrders"] ...

What it answers:
- `POST /identity/v1/oauth2/token`: grant_type refresh_token, the app's client id and secret as
  HTTP Basic auth, `scope` (must be among the token's: sell.fulfillment): an access token for
  7,200 s; anything else is eBay's `invalid_client` / `invalid_grant` / `invalid_scope` (400/401).
- `GET /sell/fulfillment/v1/order`: `filter=lastmodifieddate:[A..B]` (either end may be left
  out), `limit` 1-200 (default 50), `offset`; the page has eBay's `href`, `total`, `limit`,
  `offset`, `next` and `orders`.
- `POST /sell/fulfillment/v1/order/{orderId}/shipping_fulfillment`: lineItems (ids of the
  order), shippingCarrierCode, trackingNumber, shippedDate: 201 with a `Location`; the order
  becomes FULFILLED.

Orders are the getOrders samples of ../shared/fixtures/external/orders-listings/ebay (eBay's own
documentation page and sandbox captures), as given (`load_samples`) or made each order's own from
the single-item sample (`add_orders`, seeded). Rate limits: eBay documents a daily call limit per
app (Fulfillment API: 100,000 a day); the fake holds each operation to it as a token bucket of
that rate (`rate_scale` multiplies it) with `burst` calls, answering 429 and eBay's error 2001
over it. `fault_rate` throws a 429, 500 or 503 at random (seeded). 401 for an unknown or
expired access token.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SHARED = Path(os.environ.get("SELLERKIT_TEST_SHARED") or Path(__file__).resolve().parents[3] / "shared")
SAMPLES = SHARED / "fixtures" / "external" / "orders-listings" / "ebay"
MISSING = f"eBay getOrders samples not found at {SAMPLES} (../shared next to the checkout, or SELLERKIT_TEST_SHARED)"
DAILY_LIMIT = 100_000  # Sell Fulfillment API calls a day per app (eBay's API call limits page)
DOCUMENTED_LIMITS = {"getOrders": (DAILY_LIMIT / 86_400, 70), "createShippingFulfillment": (DAILY_LIMIT / 86_400, 70)}
SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
TOKEN_PATH = "/identity/v1/oauth2/token"
ORDERS_PATH = "/sell/fulfillment/v1/order"
FULFILL = re.compile(r"/sell/fulfillment/v1/order/(?P<order>[^/]+)/shipping_fulfillment")
THROTTLED = {"errors": [{"errorId": 2001, "domain": "ACCESS", "category": "REQUEST",
                         "message": "Too many requests. The request limit has been reached for the resource."}]}
INTERNAL = {"errors": [{"errorId": 2003, "domain": "ACCESS", "category": "APPLICATION",
                        "message": "Internal error"}]}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class _Reply(Exception):
    def __init__(self, status: int, body: Any, headers: dict | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def _bad(message: str, error_id: int = 30700) -> _Reply:
    return _Reply(400, {"errors": [{"errorId": error_id, "domain": "API_FULFILLMENT", "category": "REQUEST",
                                    "message": message}]})


@dataclass
class FakeEbay:
    client_id: str = "SellerKi-test-PRD-0123456789-abcdef01"
    client_secret: str = "PRD-0123456789ab-cdef-0123-4567-89ab"
    refresh_token: str = "v^1.1#i^1#r^1#p^3#I^3#f^0#t^Ul4xMF8xOkZBQ0U="
    scopes: tuple[str, ...] = (SCOPE,)
    rate_scale: float = 1.0
    limits: dict | None = None
    fault_rate: float = 0.0
    seed: int = 1
    tolerance: float = 0.05
    calls: Counter = field(default_factory=Counter)
    throttled: int = 0
    failed: int = 0
    tokens_issued: int = 0
    fulfillments: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not SAMPLES.is_dir():
            raise FileNotFoundError(MISSING)
        self.single = json.loads((SAMPLES / "01_ebay-new-order-single-item-of-consumer.json").read_text())["orders"][0]
        self.orders: dict[str, dict] = {}
        plans = {**DOCUMENTED_LIMITS, **(self.limits or {})}
        self.plans = {op: (rate * self.rate_scale, burst) for op, (rate, burst) in plans.items()}
        self._buckets: dict[str, list[float]] = {}
        self._tokens: dict[str, float] = {}  # access token -> expiry (monotonic)
        self._lock = threading.RLock()
        self._rng = random.Random(f"fake-ebay-faults:{self.seed}")
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> FakeEbay:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-ebay",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeEbay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ---- data and controls ---------------------------------------------------------------------

    def load_samples(self, modified: datetime | None = None) -> list[str]:
        """Every sample order as given (lastModifiedDate moved to `modified`, default a day ago:
        inside a first pull's window)."""
        at = modified or datetime.now(UTC) - timedelta(days=1)
        made = []
        with self._lock:
            for path in sorted(SAMPLES.glob("*.json")):
                for o in json.loads(path.read_text())["orders"]:
                    o = copy.deepcopy(o)
                    o["lastModifiedDate"] = _iso(at)
                    self.orders[o["orderId"]] = o
                    made.append(o["orderId"])
        return made

    def add_orders(self, n: int, *, skus: list[str], start: datetime | None = None,
                   spacing: timedelta = timedelta(seconds=5)) -> list[str]:
        """`n` paid orders of one line each, made from the single-item sample."""
        rng = random.Random(f"fake-ebay-orders:{self.seed}")
        start = start or datetime.now(UTC) - timedelta(days=1)
        made = []
        with self._lock:
            base = len(self.orders)
            for k in range(n):
                i = base + k
                o = copy.deepcopy(self.single)
                number = f"{10 + self.seed % 90:02d}-{i // 100_000:05d}-{i % 100_000:05d}"
                quantity = 1 + rng.randrange(3)
                price = Decimal(rng.randrange(300, 9000)) / 100 * quantity
                o.update(orderId=number, legacyOrderId=f"{i}-{i}", creationDate=_iso(start + spacing * k - timedelta(minutes=3)),
                         lastModifiedDate=_iso(start + spacing * k))
                money = {"value": f"{price:.2f}", "currency": "USD"}
                o["pricingSummary"] = {"priceSubtotal": money, "total": money,
                                       "deliveryCost": {"value": "0.0", "currency": "USD"}}
                line = o["lineItems"][0]
                line.update(lineItemId=f"1{i:013d}", sku=skus[i % len(skus)], quantity=quantity, lineItemCost=money,
                            total=money, title=f"Item of order {number}")
                line["deliveryCost"] = {"shippingCost": {"value": "0.0", "currency": "USD"}}
                line.pop("taxes", None)
                self.orders[number] = o
                made.append(number)
        return made

    def change_order(self, number: str, *, cancelled: bool = False, fulfilled: bool = False,
                     at: datetime | None = None) -> None:
        with self._lock:
            o = self.orders[number]
            if cancelled:
                o["cancelStatus"] = {"cancelState": "CANCELED", "cancelRequests": []}
            if fulfilled:
                o["orderFulfillmentStatus"] = "FULFILLED"
            o["lastModifiedDate"] = _iso(at or datetime.now(UTC) - timedelta(seconds=30))

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    # ---- request handling ----------------------------------------------------------------------

    def token(self, form: dict[str, list[str]], auth: str | None) -> _Reply:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if auth != expected:
            return _Reply(401, {"error": "invalid_client", "error_description": "client authentication failed"})
        if (form.get("grant_type") or [""])[0] != "refresh_token":
            return _Reply(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        if (form.get("refresh_token") or [""])[0] != self.refresh_token:
            return _Reply(400, {"error": "invalid_grant", "error_description": "the provided authorization refresh "
                                                                              "token is invalid or was issued to another client"})
        wanted = set(" ".join(form.get("scope") or []).split())
        if not wanted <= set(self.scopes):
            return _Reply(400, {"error": "invalid_scope", "error_description": "The requested scope is invalid, "
                                                                              "unknown, malformed, or exceeds the scope granted to the client"})
        with self._lock:
            self.tokens_issued += 1
            token = f"v^1.1#i^1#f^0#p^3#I^3#r^0#t^fake-{self.tokens_issued}"
            self._tokens[token] = time.monotonic() + 7200
        return _Reply(200, {"access_token": token, "expires_in": 7200, "token_type": "User Access Token"})

    def _admit(self, operation: str, bearer: str | None) -> None:
        with self._lock:
            self.calls[operation] += 1
            if not bearer or self._tokens.get(bearer, 0) < time.monotonic():
                raise _Reply(401, {"errors": [{"errorId": 1001, "domain": "OAuth", "category": "REQUEST",
                                               "message": "Invalid access token"}]})
            rate, burst = self.plans[operation]
            now = time.monotonic()
            tokens, at = self._buckets.get(operation, [burst, now])
            tokens = min(burst, tokens + (now - at) * rate)
            if tokens + self.tolerance * rate < 1:
                self._buckets[operation] = [tokens, now]
                self.throttled += 1
                raise _Reply(429, THROTTLED)
            self._buckets[operation] = [max(0.0, tokens - 1), now]
            kind = self._rng.choice((429, 500, 503)) if self._rng.random() < self.fault_rate else None
            if kind == 429:
                self.throttled += 1
            elif kind:
                self.failed += 1
        if kind:
            raise _Reply(kind, THROTTLED if kind == 429 else INTERNAL)

    def get_orders(self, query: dict) -> _Reply:
        limit = int((query.get("limit") or ["50"])[0])
        offset = int((query.get("offset") or ["0"])[0])
        if not 1 <= limit <= 200:
            raise _bad("The 'limit' value must be between 1 and 200.", 30830)
        after, before = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
        text = (query.get("filter") or [""])[0]
        if text:
            m = re.fullmatch(r"lastmodifieddate:\[([^.\]]*(?:\.\d+Z)?)\.\.([^\]]*)\]", text)
            if not m:
                raise _bad(f"Invalid filter {text!r}.", 30850)
            try:
                after = _parse(m.group(1)) if m.group(1) else after
                before = _parse(m.group(2)) if m.group(2) else before
            except ValueError:
                raise _bad(f"Invalid date in filter {text!r}.", 30850) from None
        with self._lock:
            found = sorted((o for o in self.orders.values() if after <= _parse(o["lastModifiedDate"]) <= before),
                           key=lambda o: (o["lastModifiedDate"], o["orderId"]))
            page = copy.deepcopy(found[offset:offset + limit])
        href = f"{self.url}{ORDERS_PATH}?filter={text}&limit={limit}&offset={offset}"
        body: dict[str, Any] = {"href": href, "total": len(found), "limit": limit, "offset": offset, "orders": page}
        if offset + limit < len(found):
            body["next"] = f"{self.url}{ORDERS_PATH}?filter={text}&limit={limit}&offset={offset + limit}"
        return _Reply(200, body)

    def fulfill(self, number: str, body: Any) -> _Reply:
        with self._lock:
            order = self.orders.get(number)
        if order is None:
            raise _Reply(404, {"errors": [{"errorId": 32100, "domain": "API_FULFILLMENT", "category": "REQUEST",
                                           "message": "Invalid Order Id"}]})
        if not isinstance(body, dict) or not body.get("trackingNumber") or not body.get("shippingCarrierCode"):
            raise _bad("trackingNumber and shippingCarrierCode are required.", 32200)
        known = {li["lineItemId"] for li in order["lineItems"]}
        lines = body.get("lineItems") or []
        if not lines or {li.get("lineItemId") for li in lines} - known:
            raise _bad("Invalid line item id.", 32110)
        if body.get("shippedDate"):
            try:
                _parse(body["shippedDate"])
            except ValueError:
                raise _bad("Invalid shippedDate.", 32210) from None
        with self._lock:
            self.fulfillments.append({"orderId": number, **body})
            fid = f"{len(self.fulfillments):012d}"
            order["orderFulfillmentStatus"] = "FULFILLED"
        return _Reply(201, None, {"Location": f"{self.url}{ORDERS_PATH}/{number}/shipping_fulfillment/{fid}"})

    def handle(self, method: str, path: str, query: dict, body: Any, headers) -> _Reply:
        if method == "POST" and path == TOKEN_PATH:
            return self.token(parse_qs(body.decode()), headers.get("authorization"))
        bearer = (headers.get("authorization") or "").removeprefix("Bearer ").strip() or None
        data = json.loads(body) if body else None
        if method == "GET" and path == ORDERS_PATH:
            self._admit("getOrders", bearer)
            return self.get_orders(query)
        if method == "POST" and (m := FULFILL.fullmatch(path)):
            self._admit("createShippingFulfillment", bearer)
            return self.fulfill(m.group("order"), data)
        return _Reply(404, {"errors": [{"errorId": 2002, "domain": "ACCESS", "message": f"No resource {path}"}]})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeEbay

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            reply = self.fake.handle(method, url.path, parse_qs(url.query), raw, self.headers)
        except _Reply as r:
            reply = r
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")
