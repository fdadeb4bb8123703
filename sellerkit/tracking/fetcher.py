"""The page fetcher: httpx (HTTP/2 where the server offers it) on one event loop per process,
shared by every run, so that the concurrency cap holds across all jobs of the process.

- `SELLERKIT_CAPTURE_BASE_URLS` maps a marketplace domain to the base URL `{base}/dp/{ASIN}` is
  fetched from (tests and proxies point it elsewhere); others are fetched from https://www.<domain>.
- A global cap (`capture_concurrency`, 20) on pages in flight, and a per-host pace
  (`capture_host_rps`) kept by the same limiter as the API's rate limits (`kit.ratelimit`: in
  process memory, or on Redis for every process).
- Retries of timeouts, 5xx and 429 with exponential backoff and full jitter.
- Delivery location: the marketplace's address-change call, made once per postcode; its cookies
  are kept on the postcode and sent with every page of that postcode.
- A robot-check page is reported as `blocked`, never as a page.
"""

from __future__ import annotations

import asyncio
import random
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from sellerkit.config import Settings
from sellerkit.domain.pages import is_robot_check
from sellerkit.kit.ratelimit import make_limits

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
LOCATION_PATH = "/portal-migration/hz/glow/address-change?actionSource=glow"


@dataclass(slots=True)
class Fetched:
    outcome: str  # ok | blocked | failed
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    error: str | None = None
    attempts: int = 0


class LocationError(Exception):
    """The marketplace refused the delivery postcode."""


class Fetcher:
    """One per process (`fetcher_for`): its loop runs in a daemon thread; calls from job threads
    hand coroutines to it and wait on concurrent futures."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pace = make_limits(settings.redis_url, f"{settings.limits_redis_prefix}:capture")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="capture-fetcher", daemon=True)
        self._thread.start()
        self._ready = asyncio.run_coroutine_threadsafe(self._setup(), self._loop)
        self._ready.result()

    async def _setup(self) -> None:
        s = self.settings
        self.cap = asyncio.Semaphore(s.capture_concurrency)
        limits = httpx.Limits(max_connections=s.capture_concurrency * 2, max_keepalive_connections=s.capture_concurrency)
        common = {"http2": True, "timeout": s.capture_timeout, "limits": limits, "follow_redirects": True,
                  "headers": {"User-Agent": s.capture_user_agent, "Accept-Language": "en;q=0.8,*;q=0.5",
                              "Accept": "text/html,application/xhtml+xml"}}
        self.clients = [httpx.AsyncClient(proxy=p, **common) for p in s.capture_proxies] or [httpx.AsyncClient(**common)]

    def base_url(self, domain: str) -> str:
        return self.settings.capture_base_urls.get(domain, f"https://www.{domain}").rstrip("/")

    def _client(self, key: str) -> httpx.AsyncClient:
        return self.clients[hash(key) % len(self.clients)]

    async def _paced(self, url: str) -> None:
        host = urlsplit(url).netloc
        rps = self.settings.capture_host_rps
        while True:
            decision = self.pace.hit(host, rps)  # type: ignore[arg-type]  # any hashable names a bucket
            if decision.allowed:
                return
            await asyncio.sleep(decision.retry_after)

    async def _backoff(self, attempt: int) -> None:
        base = self.settings.capture_backoff_seconds
        await asyncio.sleep(random.uniform(0, base * 2 ** attempt))  # full jitter

    async def _get(self, domain: str, asin: str, cookies: dict[str, str] | None, route: str) -> Fetched:
        url = f"{self.base_url(domain)}/dp/{asin}"
        client = self._client(route)
        attempts, last = 0, None
        async with self.cap:
            for attempt in range(self.settings.capture_retries + 1):
                attempts += 1
                await self._paced(url)
                try:
                    reply = await client.get(url, cookies=cookies)
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}: {str(exc)[:200] or 'no answer'}"
                else:
                    body = reply.content
                    if is_robot_check(body):
                        return Fetched("blocked", reply.status_code, body, reply.headers.get("content-type"),
                                       "robot check", attempts)
                    if reply.status_code == 200:
                        return Fetched("ok", 200, body, reply.headers.get("content-type"), None, attempts)
                    last = f"HTTP {reply.status_code}"
                    if reply.status_code not in RETRY_STATUS:
                        return Fetched("failed", reply.status_code, error=last, attempts=attempts)
                if attempt < self.settings.capture_retries:
                    await self._backoff(attempt)
        return Fetched("failed", None, error=last, attempts=attempts)

    def fetch(self, domain: str, asin: str, cookies: dict[str, str] | None = None, route: str = "") -> Future:
        """A concurrent future of the page (`Fetched`); cancel it to drop the fetch."""
        return asyncio.run_coroutine_threadsafe(self._get(domain, asin, cookies, route or asin), self._loop)

    async def _location(self, domain: str, zipcode: str) -> dict[str, str]:
        base = self.base_url(domain)
        async with httpx.AsyncClient(http2=True, timeout=self.settings.capture_timeout, follow_redirects=True,
                                     headers={"User-Agent": self.settings.capture_user_agent},
                                     proxy=self.settings.capture_proxies[hash(zipcode) % len(self.settings.capture_proxies)]
                                     if self.settings.capture_proxies else None) as client:
            for attempt in range(self.settings.capture_retries + 1):
                try:
                    await self._paced(base)
                    await client.get(f"{base}/")  # the session cookies the address change needs
                    await self._paced(base)
                    reply = await client.post(f"{base}{LOCATION_PATH}", json={
                        "locationType": "LOCATION_INPUT", "zipCode": zipcode, "deviceType": "web",
                        "storeContext": "generic", "pageType": "Gateway", "actionSource": "glow"})
                except httpx.HTTPError as exc:
                    if attempt == self.settings.capture_retries:
                        raise LocationError(f"{domain} did not answer ({type(exc).__name__})") from None
                    await self._backoff(attempt)
                    continue
                if reply.status_code in RETRY_STATUS and attempt < self.settings.capture_retries:
                    await self._backoff(attempt)
                    continue
                try:
                    valid = reply.status_code == 200 and reply.json().get("isValidAddress") in (1, True)
                except ValueError:
                    valid = False
                if not valid:
                    raise LocationError(f"{domain} did not accept postcode {zipcode} (HTTP {reply.status_code})")
                return dict(client.cookies.items())
        raise LocationError(f"{domain} did not answer")

    def set_location(self, domain: str, zipcode: str) -> dict[str, str]:
        """The cookies that make `zipcode` the delivery location on the marketplace (blocking)."""
        return asyncio.run_coroutine_threadsafe(self._location(domain, zipcode), self._loop).result()

    def close(self) -> None:
        async def shut() -> None:
            for client in self.clients:
                await client.aclose()
        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


_fetchers: dict[tuple, Fetcher] = {}
_lock = threading.Lock()


def fetcher_for(settings: Settings) -> Fetcher:
    """This process's fetcher for these capture settings (one cap for all its runs)."""
    key = (tuple(sorted(settings.capture_base_urls.items())), tuple(settings.capture_proxies), settings.capture_concurrency,
           settings.capture_host_rps, settings.capture_retries, settings.capture_backoff_seconds,
           settings.capture_timeout, settings.redis_url)
    with _lock:
        found = _fetchers.get(key)
        if found is None:
            found = _fetchers[key] = Fetcher(settings)
        return found
