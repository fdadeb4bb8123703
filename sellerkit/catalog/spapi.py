"""A small Amazon Selling Partner API (SP-API) client: what sellerkit asks Amazon, nothing more.

- Login with Amazon (LWA): the seller's refresh token is exchanged for an access token
  (`POST https://api.amazon.com/auth/o2/token`), kept until a minute before it expires.
- Endpoints are regional (North America, Europe, Far East) by marketplace; `endpoint` overrides
  them (e.g. `https://sandbox.sellingpartnerapi-na.amazon.com`, the static sandbox).
- Each call carries the token in `x-amz-access-token` (SP-API no longer needs AWS signatures).
- Calls are paced to the operation's usage plan (FBA inbound eligibility: 1 request a second,
  burst 1; a `x-amzn-RateLimit-Limit` reply header updates it), in this process only.
- 429 and 5xx replies and network failures are retried `max_retries` times, waiting the
  `Retry-After` the reply gives or else 1, 2, 4 ... seconds; then, like every other failure, they
  raise a `SpApiError` subclass whose message says what Amazon answered and what to check.

Operations: `item_eligibility_preview` (FBA Inbound Eligibility v1 `getItemEligibilityPreview`,
program INBOUND), modelled on models/fba-inbound-eligibility-api-model/fbaInbound.json.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from sellerkit import __version__
from sellerkit.domain.marketplaces import UnknownMarketplace, marketplace
from sellerkit.errors import SellerkitError

if TYPE_CHECKING:
    from sellerkit.config import Settings

log = logging.getLogger("sellerkit.spapi")

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
ELIGIBILITY_PATH = "/fba/inbound/v1/eligibility/itemPreview"
ELIGIBILITY_RATE = 1.0  # requests per second (usage plan of getItemEligibilityPreview)
TOKEN_MARGIN = 60.0  # seconds before expiry at which a cached access token is renewed
MAX_BACKOFF = 30.0
USER_AGENT = f"sellerkit/{__version__} (Language=Python)"
_CONFIG_HINT = "set SELLERKIT_SPAPI_REFRESH_TOKEN, SELLERKIT_SPAPI_CLIENT_ID and SELLERKIT_SPAPI_CLIENT_SECRET"


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


# ---- results -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    refresh_token: str
    client_id: str
    client_secret: str


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
    try:
        code = marketplace(marketplace_code).code
    except UnknownMarketplace as exc:
        raise SpApiInvalidInput(str(exc)) from None
    return ENDPOINTS[REGION_OF[code]]


def _errors_of(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) of an SP-API error reply (`{"errors": [{code, message, details}]}`)."""
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200].strip() or response.reason_phrase
    errors = body.get("errors") if isinstance(body, dict) else None
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


Sleep = Callable[[float], Awaitable[Any]]


class SpApiClient:
    """One seller's SP-API access (one refresh token), shared by every request of the process.

    Built unconfigured when the credentials are missing: `configured` is False and every call
    raises `SpApiNotConfigured` saying which settings to give. `transport`, `clock` and `sleep`
    are for tests (httpx.MockTransport, and time that need not really pass).
    """

    def __init__(
        self,
        credentials: Credentials | None,
        *,
        endpoint: str | None = None,
        token_url: str = LWA_TOKEN_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.credentials = credentials
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.token_url = token_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.clock = clock
        self._sleep = sleep
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._token: tuple[str, float] | None = None  # (access token, renew at clock())
        self._token_lock: asyncio.Lock | None = None
        self._pace_lock: asyncio.Lock | None = None
        self._rate = ELIGIBILITY_RATE
        self._last_call: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs) -> SpApiClient:
        creds = None
        if settings.spapi_refresh_token and settings.spapi_client_id and settings.spapi_client_secret:
            creds = Credentials(
                settings.spapi_refresh_token.get_secret_value(),
                settings.spapi_client_id,
                settings.spapi_client_secret.get_secret_value(),
            )
        return cls(creds, endpoint=settings.spapi_endpoint, timeout=settings.spapi_timeout,
                   max_retries=settings.spapi_max_retries, **kwargs)

    @property
    def configured(self) -> bool:
        return self.credentials is not None

    def _require_credentials(self) -> Credentials:
        if self.credentials is None:
            raise SpApiNotConfigured(f"Amazon SP-API is not configured: {_CONFIG_HINT}")
        return self.credentials

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                transport=self._transport, timeout=self.timeout, headers={"user-agent": USER_AGENT}
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # ---- plumbing ------------------------------------------------------------------------------

    async def _send(self, what: str, request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """The reply to `request()`, retrying 429, 5xx and network failures; other replies,
        errors included, are returned for the caller to read."""
        attempt = 0
        while True:
            try:
                response = await request()
            except httpx.TransportError as exc:
                failure: SpApiError = SpApiUnavailable(
                    f"{what}: no reply from Amazon ({type(exc).__name__}: {exc})")
                wait = None
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                code, message = _errors_of(response)
                wait = _retry_after(response)
                if response.status_code == 429:
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
            await self._sleep(delay)
            attempt += 1

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(MAX_BACKOFF, 2.0**attempt)

    async def _pace(self) -> None:
        """Space calls 1/rate seconds apart (the usage plan's burst is 1)."""
        if self._pace_lock is None:
            self._pace_lock = asyncio.Lock()
        async with self._pace_lock:
            if self._last_call is not None:
                wait = self._last_call + 1.0 / self._rate - self.clock()
                if wait > 0:
                    await self._sleep(wait)
            self._last_call = self.clock()

    async def access_token(self) -> str:
        """An LWA access token, exchanged from the refresh token once and kept until shortly
        before it expires."""
        creds = self._require_credentials()
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            if self._token is not None and self.clock() < self._token[1]:
                return self._token[0]
            form = {"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                    "client_id": creds.client_id, "client_secret": creds.client_secret}
            response = await self._send(
                "LWA token exchange", lambda: self._client().post(self.token_url, data=form))
            try:
                body = response.json()
            except ValueError:
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

    def forget_token(self) -> None:
        self._token = None

    async def _get(self, operation: str, marketplace_code: str, path: str, params: dict) -> dict:
        """GET an SP-API operation; its JSON body, or the SpApiError its reply means. A 401/403
        is tried once more with a new access token (the cached one may have been revoked)."""
        self._require_credentials()
        url = (self.endpoint or endpoint_for(marketplace_code)) + path
        renewed = False
        while True:
            token = await self.access_token()
            await self._pace()

            async def call() -> httpx.Response:
                self._last_call = self.clock()  # retries count for the pacing too
                return await self._client().get(
                    url, params=params, headers={"x-amz-access-token": token, "accept": "application/json"})

            response = await self._send(operation, call)
            limit = response.headers.get("x-amzn-ratelimit-limit")
            if limit:
                try:
                    self._rate = max(0.01, float(limit))
                except ValueError:
                    pass
            status = response.status_code
            if status in (401, 403) and not renewed:
                self.forget_token()
                renewed = True
                continue
            if 200 <= status < 300:
                try:
                    body = response.json()
                except ValueError:
                    raise SpApiError(f"{operation}: Amazon answered {status} with a body that is not JSON",
                                     status=status) from None
                if not isinstance(body, dict):
                    raise SpApiError(f"{operation}: Amazon answered {status} with {str(body)[:100]}",
                                     status=status)
                return body
            code, message = _errors_of(response)
            said = f"{operation} answered {status} {code or response.reason_phrase}: {message}"
            if status in (401, 403):
                raise SpApiAuthError(
                    f"{said}; the access token was refused twice: check the refresh token and that "
                    f"the app has the role the operation needs", status=status, code=code)
            if status == 400:
                raise SpApiInvalidInput(said, status=status, code=code)
            if status == 404:
                raise SpApiNotFound(said, status=status, code=code)
            raise SpApiError(said, status=status, code=code)

    # ---- operations ----------------------------------------------------------------------------

    async def item_eligibility_preview(self, asin: str, marketplace_code: str) -> ItemEligibility:
        """FBA inbound eligibility of one ASIN in one marketplace (program INBOUND)."""
        self._require_credentials()
        try:
            mp = marketplace(marketplace_code)
        except UnknownMarketplace as exc:
            raise SpApiInvalidInput(str(exc)) from None
        what = "getItemEligibilityPreview"
        body = await self._get(what, mp.code, ELIGIBILITY_PATH,
                               {"asin": asin, "marketplaceIds": mp.marketplace_id, "program": "INBOUND"})
        payload = body.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("isEligibleForProgram"), bool):
            raise SpApiError(
                f"{what}: Amazon answered without payload.isEligibleForProgram: {str(body)[:200]}")
        reasons = payload.get("ineligibilityReasonList") or []
        return ItemEligibility(
            asin=str(payload.get("asin") or asin),
            marketplace_id=payload.get("marketplaceId"),
            program=str(payload.get("program") or "INBOUND"),
            eligible=payload["isEligibleForProgram"],
            ineligible_codes=tuple(str(r) for r in reasons),
        )
