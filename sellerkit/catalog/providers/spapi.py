"""Amazon Selling Partner API (SP-API): one seller account's live catalog, prices, offers, fees,
listing restrictions and inbound eligibility, as a `Provider` (providers/base.py).

A small httpx client, not Amazon's `amzn-sp-api` SDK: docs/providers.md ("Amazon SP-API") has
the measurements behind that choice (the SDK is synchronous, does not retry a 429, does not renew
a revoked token, rejects replies with enum values it does not know, and adds a logging handler
for every model object it builds).

- Login with Amazon (LWA): the seller's refresh token is exchanged for an access token at
  `token_url`, kept until a minute before it expires, and renewed once when a call answers
  401/403 (a revoked or expired token).
- Endpoints are regional (North America, Europe, Far East) by marketplace; `endpoint`
  overrides them (the static sandbox, or a local fake in tests).
- Every attempt of every call first takes a slot of the account's budget for the operation
  (`Budgets.acquire("spapi", operation, account_id)`), so the pace is shared by every job and
  process; a reply's `x-amzn-RateLimit-Limit` header sets the budget's rate (`follow`), and a
  429 pushes the budget back (`throttled`) by its Retry-After, or 1, 2, 4 ... intervals of the
  operation's rate, before the call is tried again. 5xx replies and network failures are
  retried after 1, 2, 4 ... seconds. A 429 or 5xx reaches the caller only when `max_retries`
  retries are spent.

Operations (paths, parameters and bodies from the official models):

| kind | operation | one call | usage plan |
|---|---|---|---|
| catalog (match, attributes) | Catalog Items 2022-04-01 `searchCatalogItems` | 20 identifiers | 2/s, burst 2 |
| pricing | Product Pricing v0 `getCompetitivePricing` | 20 ASINs | 0.5/s, burst 1 |
| offers | Product Pricing v0 `getItemOffersBatch` | 20 ASINs | 0.1/s, burst 1 |
| fees | Product Fees v0 `getMyFeesEstimates` | 20 items | 0.5/s, burst 1 |
| restrictions | Listings Restrictions 2021-08-01 `getListingsRestrictions` | 1 ASIN | 5/s, burst 10 |
| eligibility | FBA Inbound Eligibility v1 `getItemEligibilityPreview` | 1 ASIN | 1/s, burst 1 |
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

from sellerkit import __version__
from sellerkit.catalog.providers import amazon_records as ar
from sellerkit.catalog.providers.base import Answer, PricedItem
from sellerkit.catalog.providers.budget import Budgets
from sellerkit.domain import identifiers as ids
from sellerkit.domain.marketplaces import Marketplace, UnknownMarketplace, marketplace
from sellerkit.domain.quoting import quote
from sellerkit.errors import SellerkitError

if TYPE_CHECKING:
    from sellerkit.config import Settings

log = logging.getLogger("sellerkit.spapi")

PROVIDER = "spapi"
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
ENDPOINTS = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
}
REGIONS = {
    "NA": ("US", "CA", "MX", "BR"),
    "EU": ("UK", "DE", "FR", "IT", "ES", "NL", "BE", "IE", "SE", "PL", "TR", "EG", "AE", "SA", "IN"),
    "FE": ("JP", "AU", "SG"),
}
REGION_OF = {code: region for region, codes in REGIONS.items() for code in codes}

SEARCH_CATALOG_ITEMS = "searchCatalogItems"
GET_COMPETITIVE_PRICING = "getCompetitivePricing"
GET_ITEM_OFFERS_BATCH = "getItemOffersBatch"
GET_MY_FEES_ESTIMATES = "getMyFeesEstimates"
GET_LISTINGS_RESTRICTIONS = "getListingsRestrictions"
GET_ITEM_ELIGIBILITY_PREVIEW = "getItemEligibilityPreview"

CATALOG_PATH = "/catalog/2022-04-01/items"
COMPETITIVE_PRICING_PATH = "/products/pricing/v0/competitivePrice"
ITEM_OFFERS_BATCH_PATH = "/batches/products/pricing/v0/itemOffers"
ITEM_OFFERS_PATH = "/products/pricing/v0/items/{asin}/offers"
FEES_PATH = "/products/fees/v0/feesEstimate"
RESTRICTIONS_PATH = "/listings/2021-08-01/restrictions"
ELIGIBILITY_PATH = "/fba/inbound/v1/eligibility/itemPreview"

# What a catalog record needs; classifications give the browse path, productTypes is not mapped.
INCLUDED_DATA = ("identifiers", "dimensions", "salesRanks", "relationships", "images", "attributes",
                 "summaries", "classifications")
BATCH = {"catalog": 20, "pricing": 20, "offers": 20, "fees": 20, "restrictions": 1, "eligibility": 1}
# Calls of one kind in flight at once within one provider call: enough to hide the reply time
# under the budget's pace (the budget, not this, sets the rate).
CONCURRENCY = {"catalog": 4, "pricing": 2, "offers": 2, "fees": 2, "restrictions": 10, "eligibility": 2}
MAX_PAGES = 10  # searchCatalogItems pages followed for one batch of 20 identifiers
RESTRICTION_CONDITION = "new_new"
TOKEN_MARGIN = 60.0  # seconds before expiry at which a cached access token is renewed
MAX_BACKOFF = 30.0
USER_AGENT = f"sellerkit/{__version__} (Language=Python)"
_CONFIG_HINT = "set SELLERKIT_SPAPI_REFRESH_TOKEN, SELLERKIT_SPAPI_CLIENT_ID and SELLERKIT_SPAPI_CLIENT_SECRET"
_SELLER_HINT = ("Listings Restrictions need the seller id: set SELLERKIT_SPAPI_SELLER_ID or connect with "
                "`sellerkit providers connect amazon --seller-id S`")

# identifiersType per identifier kind (searchCatalogItems), and the name a miss gives it.
_SEARCH_TYPE = {
    ids.IdKind.UPC_A: "UPC", ids.IdKind.UPC_E: "UPC", ids.IdKind.EAN_8: "EAN", ids.IdKind.EAN_13: "EAN",
    ids.IdKind.JAN: "JAN", ids.IdKind.ISBN_10: "ISBN", ids.IdKind.ISBN_13: "ISBN",
    ids.IdKind.GTIN_14: "GTIN", ids.IdKind.ASIN: "ASIN",
}


# ---- errors ------------------------------------------------------------------------------------


class SpApiError(SellerkitError):
    """Amazon did not give an answer. `status` and `code` are Amazon's when it sent them."""

    status_code = 502  # to sellerkit's own callers: a failure upstream

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message, headers=headers)
        self.status = status
        self.code = code


class SpApiNotConfigured(SpApiError):
    status_code = 503


class SpApiAuthError(SpApiError):
    """401/403, or the LWA token exchange refused: credentials or the app's roles."""


class SpApiInvalidInput(SpApiError):
    """400: Amazon refused this request's parameters."""


class SpApiNotFound(SpApiError):
    """404: Amazon has no such resource (for eligibility: usually the ASIN)."""


class SpApiThrottled(SpApiError):
    """429 still after the retries."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: float, **kwargs) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, round(retry_after + 0.499)))}, **kwargs)
        self.retry_after = retry_after


class SpApiUnavailable(SpApiError):
    """5xx or no reply (network, timeout) still after the retries."""


# Failures that a later try may not have: the rest of a provider call is not asked after one.
TRANSIENT = (SpApiThrottled, SpApiUnavailable)
# Failures of the connection itself: they end the provider call (every other call would fail).
FATAL = (SpApiAuthError, SpApiNotConfigured)


# ---- values ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    refresh_token: str
    client_id: str
    client_secret: str

    def __repr__(self) -> str:  # never in a log or a traceback
        return f"Credentials(client_id={self.client_id!r}, refresh_token=..., client_secret=...)"


@dataclass(frozen=True, slots=True)
class ItemEligibility:
    """`getItemEligibilityPreview`'s payload (ItemEligibilityPreview)."""

    asin: str
    marketplace_id: str | None
    program: str
    eligible: bool
    ineligible_codes: tuple[str, ...]


def endpoint_for(marketplace_code: str) -> str:
    """The regional SP-API endpoint serving a marketplace (any spelling `marketplace()` takes)."""
    return ENDPOINTS[REGION_OF[_marketplace(marketplace_code).code]]


def _marketplace(code: str) -> Marketplace:
    try:
        return marketplace(code)
    except UnknownMarketplace as exc:
        raise SpApiInvalidInput(str(exc)) from None


def search_form(ident: ids.Identifier, marketplace_code: str = "US") -> tuple[str, str]:
    """(identifiersType, identifier) to search the catalog for one code: UPC-E as its UPC-A, a
    GTIN-14 with a leading 0 as its EAN-13 (else as GTIN), a JAN as JAN in Japan and as the
    EAN-13 it also is elsewhere (the other catalogs list JANs as EANs)."""
    kind = ident.kind
    if kind is ids.IdKind.UPC_E:
        return "UPC", ids.upce_to_upca(ident.value)
    if kind is ids.IdKind.GTIN_14:
        return ("EAN", ident.value[1:]) if ident.value[0] == "0" else ("GTIN", ident.value)
    if kind is ids.IdKind.JAN and marketplace_code != "JP":
        return "EAN", ident.value
    return _SEARCH_TYPE[kind], ident.value


def _errors_of(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) of an SP-API error reply (`{"errors": [{code, message, details}]}`)."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200].strip() or response.reason_phrase
    errors = body.get("errors") if isinstance(body, dict) else body if isinstance(body, list) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        message = str(first.get("message") or "")
        if first.get("details"):
            message += f" ({first['details']})"
        return first.get("code"), message
    return None, str(body)[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:  # an HTTP date: not worth parsing, back off instead
        return None


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


Sleep = Callable[[float], Awaitable[Any]]


@dataclass
class _Loop:
    """What must not cross event loops: the HTTP client and the token lock (no reference to
    the loop itself: it is the weak key these are kept under)."""

    http: httpx.AsyncClient
    token_lock: asyncio.Lock


class _Run:
    """One provider call over several SP-API calls: after a transient failure the rest is not
    asked (it would fail the same way, slowly); a fatal one is raised once everything stopped."""

    def __init__(self) -> None:
        self.answer = Answer()
        self.stopped: str | None = None
        self.fatal: SpApiError | None = None

    def fail(self, codes: Sequence[str], why: str) -> None:
        for code in codes:
            self.answer.failures[code] = why

    async def each(self, batches: Sequence[Any], codes_of: Callable[[Any], Sequence[str]],
                   work: Callable[[Any], Awaitable[None]], concurrency: int) -> Answer:
        queue = list(batches)

        async def worker() -> None:
            while queue:
                batch = queue.pop(0)
                codes = codes_of(batch)
                if self.stopped is not None:
                    self.fail(codes, self.stopped)
                    continue
                try:
                    await work(batch)
                except FATAL as exc:
                    self.fatal = self.fatal or exc
                    self.stopped = f"not asked after an earlier failure: {exc.message}"
                    self.fail(codes, exc.message)
                except TRANSIENT as exc:
                    log.warning("SP-API: %s", exc.message)
                    self.stopped = f"not asked after an earlier failure: {exc.message}"
                    self.fail(codes, exc.message)
                except SpApiError as exc:  # about this batch only (400, 404, a malformed reply)
                    self.fail(codes, exc.message)

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(queue))))))
        if self.fatal is not None:
            raise self.fatal
        return self.answer


class SpApiProvider:
    """One seller account's SP-API access (one refresh token); a `Provider`.

    `credentials` None makes an unconfigured provider (`configured` False, no kinds): every
    call raises `SpApiNotConfigured` naming the settings to give. `clock` (monotonic, for token
    expiry), `sleep` (retry backoff), `now` (observed times) and `transport` are for tests.
    """

    name = PROVIDER

    def __init__(
        self,
        credentials: Credentials | None,
        *,
        account_id: int,
        budgets: Budgets,
        seller_id: str | None = None,
        endpoint: str | None = None,
        token_url: str = LWA_TOKEN_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.credentials = credentials
        self.account_id = account_id
        self.budgets = budgets
        self.seller_id = seller_id or None
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.token_url = token_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.clock = clock
        self._sleep = sleep
        self._now = now or (lambda: datetime.now(UTC).replace(microsecond=0))
        self._transport = transport
        self._loop_states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Loop] = weakref.WeakKeyDictionary()
        self._states_lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # (access token, renew at clock())
        self._rates: dict[str, float] = {}  # operation -> rate its last x-amzn-RateLimit-Limit said
        self.batch = dict(BATCH)
        kinds = {"catalog", "pricing", "offers", "fees", "eligibility"}
        if self.seller_id:
            kinds.add("restrictions")
        self.kinds = frozenset(kinds) if credentials is not None else frozenset()

    @classmethod
    def from_settings(cls, settings: Settings, *, budgets: Budgets, account_id: int = 0, **kwargs) -> SpApiProvider:
        """The default connection of SELLERKIT_SPAPI_* (unconfigured without all three
        credentials)."""
        creds = None
        if settings.spapi_refresh_token and settings.spapi_client_id and settings.spapi_client_secret:
            creds = Credentials(settings.spapi_refresh_token.get_secret_value(), settings.spapi_client_id,
                                settings.spapi_client_secret.get_secret_value())
        return cls(creds, account_id=account_id, budgets=budgets, seller_id=settings.spapi_seller_id,
                   endpoint=settings.spapi_endpoint, token_url=settings.spapi_lwa_url,
                   timeout=settings.spapi_timeout, max_retries=settings.spapi_max_retries, **kwargs)

    def __repr__(self) -> str:
        return f"SpApiProvider(account_id={self.account_id}, seller_id={self.seller_id!r})"

    @property
    def configured(self) -> bool:
        return self.credentials is not None

    def _require_credentials(self) -> Credentials:
        if self.credentials is None:
            raise SpApiNotConfigured(f"Amazon SP-API is not configured: {_CONFIG_HINT}")
        return self.credentials

    def _state(self) -> _Loop:
        """The HTTP client and token lock of the running event loop: one provider serves jobs
        in several threads, each with its own loop (an httpx client and an asyncio lock belong
        to one loop). A loop's state goes with the loop."""
        loop = asyncio.get_running_loop()
        with self._states_lock:
            st = self._loop_states.get(loop)
            if st is None:
                http = httpx.AsyncClient(transport=self._transport, timeout=self.timeout,
                                         headers={"user-agent": USER_AGENT})
                st = self._loop_states[loop] = _Loop(http, asyncio.Lock())
            return st

    async def aclose(self) -> None:
        """Close the running loop's HTTP client (other loops' clients close with their loops)."""
        with self._states_lock:
            st = self._loop_states.pop(asyncio.get_running_loop(), None)
        if st is not None:
            await st.http.aclose()

    # ---- plumbing ------------------------------------------------------------------------------

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(MAX_BACKOFF, 2.0**attempt)

    def _follow(self, operation: str, response: httpx.Response) -> None:
        limit = response.headers.get("x-amzn-ratelimit-limit")
        if limit:
            try:
                rate = float(limit)
            except ValueError:
                return
            if rate > 0:
                self._rates[operation] = rate
                self.budgets.follow(PROVIDER, operation, self.account_id, rate)

    def _throttle_wait(self, operation: str, attempt: int) -> float:
        """How far a 429 without Retry-After pushes the budget back: 1, 2, 4 ... intervals of
        the operation's rate (the last header's, else the documented one), at most MAX_BACKOFF
        seconds. In intervals, not seconds: a 429 after a slot taken a moment early (the jitter
        of the network) costs one slot, not a second of a fast plan."""
        rate = self._rates.get(operation) or self.budgets.limits(PROVIDER, operation)[0]
        return min(MAX_BACKOFF, 2.0**attempt / rate)

    async def _send(self, what: str, request: Callable[[], Awaitable[httpx.Response]],
                    budget: str | None = None) -> httpx.Response:
        """The reply to `request()`, each attempt after a slot of the `budget` operation (none
        for LWA), retrying 429 (pushing the budget back), 5xx and network failures; other
        replies, errors included, are returned for the caller to read."""
        attempt = 0
        while True:
            if budget is not None:
                await self.budgets.acquire(PROVIDER, budget, self.account_id)
            try:
                response = await request()
            except httpx.TransportError as exc:
                failure: SpApiError = SpApiUnavailable(
                    f"{what}: no reply from Amazon ({type(exc).__name__}: {exc})")
                wait = None
            else:
                if budget is not None:
                    self._follow(budget, response)
                if response.status_code != 429 and response.status_code < 500:
                    return response
                code, message = _errors_of(response)
                wait = _retry_after(response)
                if response.status_code == 429:
                    if wait is None and budget is not None:
                        wait = self._throttle_wait(budget, attempt)
                    failure = SpApiThrottled(
                        f"{what}: Amazon throttled the request (429 {code or 'QuotaExceeded'}: {message}) "
                        f"{attempt + 1} times; try again later",
                        retry_after=wait or self._backoff(attempt), status=429, code=code)
                else:
                    failure = SpApiUnavailable(
                        f"{what}: Amazon failed ({response.status_code} {code or response.reason_phrase}: "
                        f"{message}) {attempt + 1} times; try again later",
                        status=response.status_code, code=code)
            if attempt >= self.max_retries:
                raise failure
            delay = wait if wait is not None else self._backoff(attempt)
            log.info("%s: retrying in %.1f s after: %s", what, delay, failure.message)
            if isinstance(failure, SpApiThrottled) and budget is not None:
                # the budget's next slot moves back; the next attempt waits for it there
                self.budgets.throttled(PROVIDER, budget, self.account_id, delay)
            else:
                await self._sleep(delay)
            attempt += 1

    async def access_token(self) -> str:
        """An LWA access token, exchanged from the refresh token once and kept until shortly
        before it expires."""
        creds = self._require_credentials()
        st = self._state()
        async with st.token_lock:
            if self._token is not None and self.clock() < self._token[1]:
                return self._token[0]
            form = {"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                    "client_id": creds.client_id, "client_secret": creds.client_secret}
            response = await self._send(
                "LWA token exchange", lambda: self._state().http.post(self.token_url, data=form))
            try:
                body = response.json()
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            if response.status_code != 200:
                error = body.get("error") or response.reason_phrase
                detail = body.get("error_description") or ""
                raise SpApiAuthError(
                    f"LWA token exchange refused ({response.status_code} {error}: {detail}); check "
                    f"the refresh token, client id and client secret ({_CONFIG_HINT})",
                    status=response.status_code, code=error)
            token, expires_in = body.get("access_token"), body.get("expires_in", 3600)
            if not isinstance(token, str) or not token:
                raise SpApiAuthError("LWA token exchange answered without an access_token",
                                     status=response.status_code)
            self._token = (token, self.clock() + max(0.0, float(expires_in) - TOKEN_MARGIN))
            return token

    def forget_token(self, token: str | None = None) -> None:
        """Drop the cached access token (only if it is still `token`, when given: a call that
        raced a renewal does not throw the new one away)."""
        if token is None or (self._token is not None and self._token[0] == token):
            self._token = None

    async def call(self, operation: str, marketplace_code: str, method: str, path: str, *,
                   params: dict | None = None, body: Any = None) -> Any:
        """Any SP-API operation by its name and path, with the same login, budget and retries as
        the provider's own (the channels' orders and listings use it): its JSON body, None for
        an empty reply (204), or the SpApiError its reply means."""
        return await self._call(operation, _marketplace(marketplace_code), method, path, params=params, body=body)

    async def _call(self, operation: str, mp: Marketplace, method: str, path: str, *,
                    params: dict | None = None, body: Any = None) -> Any:
        """One SP-API operation; its JSON body (numbers with decimals as Decimal), or the
        SpApiError its reply means. A 401/403 is tried once more with a new access token."""
        self._require_credentials()
        url = (self.endpoint or endpoint_for(mp.code)) + path
        content = json.dumps(body, default=_json_number).encode() if body is not None else None
        renewed = False
        while True:
            token = await self.access_token()
            headers = {"x-amz-access-token": token, "accept": "application/json"}
            if content is not None:
                headers["content-type"] = "application/json"

            def call(token_headers: dict = headers) -> Awaitable[httpx.Response]:
                return self._state().http.request(method, url, params=params, content=content,
                                                  headers=token_headers)

            response = await self._send(operation, call, budget=operation)
            status = response.status_code
            if status in (401, 403) and not renewed:
                self.forget_token(token)
                renewed = True
                continue
            if 200 <= status < 300:
                if not response.content:  # 204: confirmShipment, deletes
                    return None
                try:
                    return json.loads(response.content, parse_float=Decimal)
                except ValueError:
                    raise SpApiError(f"{operation}: Amazon answered {status} with a body that is not JSON",
                                     status=status) from None
            code, message = _errors_of(response)
            said = f"{operation} answered {status} {code or response.reason_phrase}: {message}"
            if status in (401, 403):
                raise SpApiAuthError(
                    f"{said}; the access token was refused twice: check the refresh token and that "
                    f"the app has the role the operation needs (docs/providers.md)", status=status, code=code)
            if status == 400:
                raise SpApiInvalidInput(said, status=status, code=code)
            if status == 404:
                raise SpApiNotFound(said, status=status, code=code)
            raise SpApiError(said, status=status, code=code)

    def _check_asins(self, asins: Sequence[str]) -> list[str]:
        out: list[str] = []
        for a in asins:
            try:
                asin = ids.parse_asin(a)
            except ids.InvalidIdentifier as exc:
                raise SpApiInvalidInput(f"{quote(exc.raw)} is not an ASIN: {exc.reason}") from None
            if asin not in out:
                out.append(asin)
        return out

    @staticmethod
    def _chunks(items: Sequence[Any], size: int) -> list[list[Any]]:
        return [list(items[i:i + size]) for i in range(0, len(items), size)]

    # ---- catalog -------------------------------------------------------------------------------

    async def _search(self, mp: Marketplace, id_type: str, values: list[str]) -> list[dict]:
        """Every item `searchCatalogItems` answers for up to 20 identifiers of one type, over
        its pages."""
        params = {"identifiers": ",".join(values), "identifiersType": id_type,
                  "marketplaceIds": mp.marketplace_id, "includedData": ",".join(INCLUDED_DATA),
                  "pageSize": str(BATCH["catalog"])}
        if id_type == "SKU" and self.seller_id:
            params["sellerId"] = self.seller_id
        items: list[dict] = []
        for _ in range(MAX_PAGES):
            body = await self._call(SEARCH_CATALOG_ITEMS, mp, "GET", CATALOG_PATH, params=params)
            if not isinstance(body, dict):
                raise SpApiError(f"{SEARCH_CATALOG_ITEMS}: Amazon answered with {str(body)[:100]}")
            items += [i for i in body.get("items") or [] if isinstance(i, dict)]
            token = (body.get("pagination") or {}).get("nextToken")
            if not token:
                break
            params = {**params, "pageToken": token}
        return items

    async def match(self, marketplace: str, codes: list[ids.Identifier]) -> Answer:
        """UPC, EAN, ISBN, JAN (and GTIN-14, ASIN) codes -> ASINs, with the catalog records of
        every item Amazon returned. `matches[key]` lists the ASINs whose identifiers include
        the code; a code Amazon returned nothing for is a miss."""
        self._require_credentials()
        mp = _marketplace(marketplace)
        groups: dict[str, dict[str, str]] = {}  # identifiersType -> {value sent: key}
        labels: dict[str, str] = {}  # key -> what the seller's code is (UPC, EAN, JAN ...)
        for ident in codes:
            if ident.key in labels:  # another spelling of a code already asked
                continue
            labels[ident.key] = _SEARCH_TYPE[ident.kind]
            id_type, value = search_form(ident, mp.code)
            groups.setdefault(id_type, {})[value] = ident.key
        batches = [(t, chunk) for t, group in groups.items()
                   for chunk in self._chunks(list(group.items()), BATCH["catalog"])]
        run = _Run()
        seen: set[str] = set()

        async def work(batch: tuple[str, list[tuple[str, str]]]) -> None:
            id_type, pairs = batch
            items = await self._search(mp, id_type, [v for v, _ in pairs])
            observed = self._now()
            asked = {key for _, key in pairs}
            found: set[str] = set()
            for item in items:
                record = ar.catalog_item_record(item, mp.code, observed)
                asin = record["asin"] if record else ar.asin_of(item.get("asin"))
                if asin is None:
                    continue
                keys = {asin} if id_type == "ASIN" else ar.identifier_keys(item, mp)
                for key in sorted(keys & asked):
                    run.answer.matches.setdefault(key, [])
                    if asin not in run.answer.matches[key]:
                        run.answer.matches[key].append(asin)
                    found.add(key)
                if record is not None and asin not in seen:
                    seen.add(asin)
                    run.answer.records.append(record)
            for _, key in pairs:
                if key not in found:
                    run.answer.misses[key] = f"Amazon has no product with this {labels[key]} in {mp.code}"

        return await run.each(batches, lambda b: [key for _, key in b[1]], work, CONCURRENCY["catalog"])

    async def attributes(self, marketplace: str, asins: list[str]) -> Answer:
        """Catalog records of known ASINs (`searchCatalogItems` by ASIN, 20 a call)."""
        self._require_credentials()
        mp = _marketplace(marketplace)
        run = _Run()

        async def work(batch: list[str]) -> None:
            items = await self._search(mp, "ASIN", batch)
            observed = self._now()
            got: set[str] = set()
            for item in items:
                record = ar.catalog_item_record(item, mp.code, observed)
                if record is not None and record["asin"] in batch and record["asin"] not in got:
                    got.add(record["asin"])
                    run.answer.records.append(record)
            for asin in batch:
                if asin not in got:
                    run.answer.misses[asin] = f"Amazon has no product with ASIN {asin} in {mp.code}"

        return await run.each(self._chunks(self._check_asins(asins), BATCH["catalog"]), lambda b: b, work,
                              CONCURRENCY["catalog"])

    # ---- pricing and offers --------------------------------------------------------------------

    async def pricing(self, marketplace: str, asins: list[str]) -> Answer:
        """Buy Box prices (new, used), offer counts and rank: `getCompetitivePricing`.

        Chosen by cost per ASIN, with the documented usage plans: getCompetitivePricing takes
        20 ASINs a call at 0.5 calls/s, 10 ASINs a second; getItemOffersBatch 20 at 0.1/s, 2 a
        second (5x dearer); getCompetitiveSummary 20 at 0.033/s, 0.66 a second (15x dearer).
        The Buy Box, offer counts by condition and the sales rank a scan needs are all in the
        cheapest. Offers (lowest prices by channel, FBA/FBM counts, Amazon on the listing) need
        getItemOffersBatch: `offers`, asked only for rows that still pass the seller's filter.
        Each ASIN also gives an observation record (buybox_price, rank, new_offers_count)."""
        self._require_credentials()
        mp = _marketplace(marketplace)
        run = _Run()

        async def work(batch: list[str]) -> None:
            body = await self._call(GET_COMPETITIVE_PRICING, mp, "GET", COMPETITIVE_PRICING_PATH, params={
                "MarketplaceId": mp.marketplace_id, "Asins": ",".join(batch), "ItemType": "Asin"})
            observed = self._now()
            entries = body.get("payload") if isinstance(body, dict) else None
            answered: set[str] = set()
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                asin = ar.asin_of(entry.get("ASIN"))
                if asin not in batch:
                    continue
                answered.add(asin)
                record, observation = ar.competitive_pricing_record(entry, mp.code, observed)
                if record is None:
                    status = entry.get("status") or "no status"
                    run.answer.misses[asin] = f"Amazon has no prices for ASIN {asin} in {mp.code} ({status})"
                    continue
                run.answer.records.append(record)
                if observation is not None and len(observation) > 4:
                    run.answer.observations.append(observation)
            for asin in batch:
                if asin not in answered:
                    run.answer.failures[asin] = f"{GET_COMPETITIVE_PRICING}: Amazon's reply left out ASIN {asin}"

        return await run.each(self._chunks(self._check_asins(asins), BATCH["pricing"]), lambda b: b, work,
                              CONCURRENCY["pricing"])

    async def offers(self, marketplace: str, asins: list[str]) -> Answer:
        """Lowest prices by condition and channel, FBA/FBM offer counts, Amazon on the listing
        (`getItemOffersBatch`: 20 `getItemOffers` requests, condition New, a call). An ASIN
        whose own response in the batch is a 429 or 5xx is asked again in a later batch (up to
        `max_retries` times); a 400/404 is a miss."""
        self._require_credentials()
        mp = _marketplace(marketplace)
        run = _Run()

        async def work(batch: list[str]) -> None:
            pending, rounds = list(batch), 0
            while pending:
                requests = [{"uri": ITEM_OFFERS_PATH.format(asin=a), "method": "GET",
                             "MarketplaceId": mp.marketplace_id, "ItemCondition": "New",
                             "CustomerType": "Consumer"} for a in pending]
                body = await self._call(GET_ITEM_OFFERS_BATCH, mp, "POST", ITEM_OFFERS_BATCH_PATH,
                                        body={"requests": requests})
                observed = self._now()
                responses = body.get("responses") if isinstance(body, dict) else None
                retry: list[str] = []
                answered: set[str] = set()
                for i, resp in enumerate(responses if isinstance(responses, list) else []):
                    if not isinstance(resp, dict):
                        continue
                    inner = resp.get("body") if isinstance(resp.get("body"), dict) else {}
                    payload = inner.get("payload") if isinstance(inner.get("payload"), dict) else {}
                    asin = (ar.asin_of((resp.get("request") or {}).get("Asin")) or ar.asin_of(payload.get("ASIN"))
                            or (pending[i] if i < len(pending) else None))
                    if asin not in pending or asin in answered:
                        continue
                    answered.add(asin)
                    status = (resp.get("status") or {}).get("statusCode", 200)
                    if status == 200:
                        record = ar.item_offers_record(payload, mp.code, observed)
                        if record is not None:
                            run.answer.records.append(record)
                        else:
                            run.answer.failures[asin] = f"{GET_ITEM_OFFERS_BATCH}: no offers payload for {asin}"
                        continue
                    errors = inner.get("errors") or [{}]
                    said = f"{status} {errors[0].get('code', '')}: {errors[0].get('message', '')}".strip()
                    if status == 429 or status >= 500:
                        retry.append(asin)
                        run.answer.failures[asin] = f"{GET_ITEM_OFFERS_BATCH} for {asin}: {said}"
                    else:
                        run.answer.misses[asin] = f"Amazon has no offers for ASIN {asin} in {mp.code} ({said})"
                for asin in pending:
                    if asin not in answered:
                        run.answer.failures[asin] = f"{GET_ITEM_OFFERS_BATCH}: Amazon's reply left out ASIN {asin}"
                rounds += 1
                if not retry or rounds > self.max_retries:
                    break
                for asin in retry:
                    run.answer.failures.pop(asin, None)
                pending = retry

        return await run.each(self._chunks(self._check_asins(asins), BATCH["offers"]), lambda b: b, work,
                              CONCURRENCY["offers"])

    # ---- fees ----------------------------------------------------------------------------------

    async def fees(self, marketplace: str, items: list[PricedItem]) -> Answer:
        """Amazon's own fee estimate at each item's price and fulfilment (`getMyFeesEstimates`,
        IdType ASIN, 20 a call): field `amazon_fees` (ar.fees_record)."""
        self._require_credentials()
        mp = _marketplace(marketplace)
        checked = [PricedItem(self._check_asins([it.asin])[0], int(it.price), it.fulfilment.upper())
                   for it in items]
        run = _Run()

        async def work(batch: list[PricedItem]) -> None:
            requests = []
            for i, it in enumerate(batch):
                amount = ar.major_units(it.price, mp.currency)
                requests.append({
                    "FeesEstimateRequest": {
                        "MarketplaceId": mp.marketplace_id,
                        "IsAmazonFulfilled": it.fulfilment == "FBA",
                        "PriceToEstimateFees": {
                            "ListingPrice": {"CurrencyCode": mp.currency, "Amount": amount},
                            "Shipping": {"CurrencyCode": mp.currency, "Amount": Decimal(0)},
                        },
                        "Identifier": f"sellerkit-{i}",
                    },
                    "IdType": "ASIN",
                    "IdValue": it.asin,
                })
            body = await self._call(GET_MY_FEES_ESTIMATES, mp, "POST", FEES_PATH, body=requests)
            observed = self._now()
            results = body if isinstance(body, list) else []
            answered: set[int] = set()
            for pos, result in enumerate(results):
                if not isinstance(result, dict):
                    continue
                ident = result.get("FeesEstimateIdentifier") or {}
                tag = str(ident.get("SellerInputIdentifier") or "")
                index = int(tag[10:]) if tag.startswith("sellerkit-") and tag[10:].isdigit() else pos
                if not 0 <= index < len(batch) or index in answered:
                    continue
                answered.add(index)
                it = batch[index]
                ident_asin = ar.asin_of(ident.get("IdValue"))
                record = None if ident_asin not in (None, it.asin) else ar.fees_record(
                    result, mp.code, observed, asin=it.asin, price=it.price, fulfilment=it.fulfilment)
                if record is not None:
                    run.answer.records.append(record)
                    continue
                status, message = ar.fees_error(result)
                if status == "ClientError":
                    run.answer.misses[it.asin] = (
                        f"Amazon gave no fee estimate for ASIN {it.asin} in {mp.code}: {message}")
                else:
                    run.answer.failures[it.asin] = f"{GET_MY_FEES_ESTIMATES} for {it.asin}: {status} {message}"
            for i, it in enumerate(batch):
                if i not in answered:
                    run.answer.failures[it.asin] = f"{GET_MY_FEES_ESTIMATES}: Amazon's reply left out ASIN {it.asin}"

        return await run.each(self._chunks(checked, BATCH["fees"]), lambda b: [it.asin for it in b], work,
                              CONCURRENCY["fees"])

    # ---- restrictions --------------------------------------------------------------------------

    async def restrictions(self, marketplace: str, asins: list[str]) -> Answer:
        """Whether the seller may list each ASIN new (`getListingsRestrictions`, one ASIN a
        call, conditionType new_new): field `restrictions`. Needs the seller id."""
        self._require_credentials()
        if not self.seller_id:
            raise SpApiNotConfigured(_SELLER_HINT)
        mp = _marketplace(marketplace)
        run = _Run()

        async def work(batch: list[str]) -> None:
            (asin,) = batch
            try:
                body = await self._call(GET_LISTINGS_RESTRICTIONS, mp, "GET", RESTRICTIONS_PATH, params={
                    "asin": asin, "sellerId": self.seller_id, "marketplaceIds": mp.marketplace_id,
                    "conditionType": RESTRICTION_CONDITION})
            except (SpApiInvalidInput, SpApiNotFound) as exc:
                run.answer.misses[asin] = f"Amazon has no listing restrictions for ASIN {asin} in {mp.code}: {exc.message}"
                return
            run.answer.records.append(ar.restrictions_record(
                body if isinstance(body, dict) else {}, asin, mp.code, self._now(), RESTRICTION_CONDITION))

        return await run.each([[a] for a in self._check_asins(asins)], lambda b: b, work,
                              CONCURRENCY["restrictions"])

    # ---- inbound eligibility -------------------------------------------------------------------

    async def _eligibility_payload(self, asin: str, mp: Marketplace) -> dict:
        body = await self._call(GET_ITEM_ELIGIBILITY_PREVIEW, mp, "GET", ELIGIBILITY_PATH, params={
            "asin": asin, "marketplaceIds": mp.marketplace_id, "program": "INBOUND"})
        payload = body.get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, dict) or not isinstance(payload.get("isEligibleForProgram"), bool):
            raise SpApiError(f"{GET_ITEM_ELIGIBILITY_PREVIEW}: Amazon answered without "
                             f"payload.isEligibleForProgram: {str(body)[:200]}")
        return payload

    async def item_eligibility_preview(self, asin: str, marketplace_code: str) -> ItemEligibility:
        """FBA inbound eligibility of one ASIN in one marketplace (program INBOUND)."""
        self._require_credentials()
        mp = _marketplace(marketplace_code)
        payload = await self._eligibility_payload(asin, mp)
        return ItemEligibility(
            asin=str(payload.get("asin") or asin),
            marketplace_id=payload.get("marketplaceId"),
            program=str(payload.get("program") or "INBOUND"),
            eligible=payload["isEligibleForProgram"],
            ineligible_codes=tuple(str(r) for r in payload.get("ineligibilityReasonList") or []),
        )

    async def eligibility(self, marketplace: str, asins: list[str]) -> Answer:
        """FBA inbound eligibility (`getItemEligibilityPreview`, one ASIN a call): field
        `inbound_eligibility`. An ASIN Amazon answers 400/404 for is a miss."""
        self._require_credentials()
        mp = _marketplace(marketplace)
        run = _Run()

        async def work(batch: list[str]) -> None:
            (asin,) = batch
            try:
                payload = await self._eligibility_payload(asin, mp)
            except (SpApiInvalidInput, SpApiNotFound) as exc:
                run.answer.misses[asin] = f"Amazon has no inbound eligibility for ASIN {asin} in {mp.code}: {exc.message}"
                return
            record = ar.eligibility_record(payload, asin, mp.code, self._now())
            if record is not None:
                run.answer.records.append(record)

        return await run.each([[a] for a in self._check_asins(asins)], lambda b: b, work,
                              CONCURRENCY["eligibility"])
