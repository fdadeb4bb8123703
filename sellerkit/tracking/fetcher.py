"""The page fetcher: aiohttp on one event loop per process, shared by every run of the process.

- `SELLERKIT_CAPTURE_BASE_URLS` maps a marketplace domain to the base URL `{base}/dp/{ASIN}` is
  fetched from (tests and proxies point it elsewhere); others are fetched from https://www.<domain>.
- A cap on pages in flight (`capture_concurrency`, 20): for every process together when Redis is
  configured (`kit.ratelimit.RedisSlots`, slots a dead process held come back after a while),
  else for this process.
- A per-host pace (`capture_host_rps`) kept by the same limiter as the API's rate limits
  (`kit.ratelimit`: in process memory, or on Redis for every process).
- Retries of timeouts, 5xx and 429 with exponential backoff and full jitter.
- Delivery location: the marketplace's address-change call, made once per postcode; its cookies
  are kept on the postcode and sent with every page of that postcode.
- A robot-check page is reported as `blocked`, never as a page.

Speed: aiohttp, one session and connection pool for every page (its parser is C). Measured against
the fake storefront at 20 pages in flight (2-core VM): 0.25 ms CPU a page, where httpx (with a
client per page in flight, its fastest arrangement) took 0.98 ms, and the run's pages share one
core with their parsing and saving. Amazon's product pages are served over HTTP/1.1 as well as
HTTP/2, so aiohttp's lack of HTTP/2 costs nothing here.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import certifi
import orjson

from sellerkit.config import Settings
from sellerkit.domain.pages import is_robot_check
from sellerkit.kit.ratelimit import RedisSlots, make_limits

if TYPE_CHECKING:
    import aiohttp

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
LOCATION_PATH = "/portal-migration/hz/glow/address-change?actionSource=glow"
SLOT_WAIT = 0.02  # seconds between tries for a global slot while every one is held


@dataclass(slots=True)
class Fetched:
    outcome: str  # ok | blocked | failed
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    error: str | None = None
    attempts: int = 0


def _failure(exc: BaseException) -> str:
    """Why a try failed, for the item's message: the exception's kind and a short text."""
    text = str(exc)[:200] or ("no answer in time" if isinstance(exc, TimeoutError) else "no answer")
    return f"{type(exc).__name__}: {text}"


class LocationError(Exception):
    """The marketplace refused the delivery postcode."""


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop where installed (as the server runs on): a fifth less CPU a page than asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class Fetcher:
    """One per process and settings (`fetcher_for`): its loop runs in a daemon thread; calls from
    job threads hand coroutines to it and get concurrent futures."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pace = make_limits(settings.redis_url, f"{settings.limits_redis_prefix}:capture")
        self.slots = RedisSlots(settings.redis_url, f"{settings.limits_redis_prefix}:capture:slots",
                                settings.capture_concurrency, ttl=3 * settings.capture_timeout + 10) \
            if settings.redis_url else None
        self._tokens = (f"{socket.gethostname()}:{os.getpid()}:{id(self)}:{n}" for n in itertools.count())
        self._loop = _new_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="capture-fetcher", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._setup(), self._loop).result()

    async def _setup(self) -> None:
        import aiohttp  # here, not at the top: some 13 MiB in every server process, for capture runs only

        self.cap = asyncio.Semaphore(self.settings.capture_concurrency)  # this process's share, at most
        self._tls = ssl.create_default_context(cafile=certifi.where())  # one for all sessions: 80 ms each to make
        self.session = self._new_session(aiohttp.DummyCookieJar())  # pages send their location's cookies

    def _new_session(self, cookies: aiohttp.abc.AbstractCookieJar) -> aiohttp.ClientSession:
        import aiohttp

        s = self.settings
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=self._tls, limit=s.capture_concurrency, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=s.capture_timeout), cookie_jar=cookies,
            headers={"User-Agent": s.capture_user_agent, "Accept-Language": "en;q=0.8,*;q=0.5",
                     "Accept": "text/html,application/xhtml+xml"})

    def _proxy_url(self, index: int) -> str | None:
        proxies = self.settings.capture_proxies
        return proxies[index] if proxies else None

    def base_url(self, domain: str) -> str:
        return self.settings.capture_base_urls.get(domain, f"https://www.{domain}").rstrip("/")

    def _proxy(self, route: str) -> int:
        """The proxy a delivery location's pages go through (its index; 0 without proxies)."""
        proxies = self.settings.capture_proxies
        return hash(route) % len(proxies) if proxies else 0

    async def _slot(self) -> str | None:
        """A global slot's token (None without Redis), once one is free."""
        if self.slots is None:
            return None
        token = next(self._tokens)
        while not self.slots.try_acquire(token):
            await asyncio.sleep(random.uniform(SLOT_WAIT / 2, SLOT_WAIT * 1.5))
        return token

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

    async def _attempt(self, url: str, headers: dict, proxy: int) -> Fetched | str:
        """One try under a slot: the page, or why it should be tried again."""
        import aiohttp

        async with self.cap:
            token = await self._slot()
            try:
                await self._paced(url)
                async with self.session.get(url, headers=headers, proxy=self._proxy_url(proxy)) as reply:
                    status, ctype, body = reply.status, reply.headers.get("content-type"), await reply.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                return _failure(exc)
            finally:
                if token is not None:
                    self.slots.release(token)
        if is_robot_check(body):
            return Fetched("blocked", status, body, ctype, "robot check")
        if status == 200:
            return Fetched("ok", 200, body, ctype)
        if status not in RETRY_STATUS:
            return Fetched("failed", status, error=f"HTTP {status}")
        return f"HTTP {status}"

    async def _get(self, domain: str, asin: str, cookies: dict[str, str] | None, route: str) -> Fetched:
        url = f"{self.base_url(domain)}/dp/{asin}"
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        proxy, last = self._proxy(route), None
        for attempt in range(self.settings.capture_retries + 1):
            outcome = await self._attempt(url, headers, proxy)
            if isinstance(outcome, Fetched):
                outcome.attempts = attempt + 1
                return outcome
            last = outcome
            if attempt < self.settings.capture_retries:
                await self._backoff(attempt)
        return Fetched("failed", None, error=last, attempts=self.settings.capture_retries + 1)

    def fetch(self, domain: str, asin: str, cookies: dict[str, str] | None = None, route: str = "",
              done: Callable[[Future], None] | None = None) -> Future:
        """A concurrent future of the page (`Fetched`), `done` called with it when it ends;
        cancel it to drop the fetch."""
        future = asyncio.run_coroutine_threadsafe(self._get(domain, asin, cookies, route or asin), self._loop)
        if done is not None:
            future.add_done_callback(done)
        return future

    async def _location(self, domain: str, zipcode: str) -> dict[str, str]:
        import aiohttp

        base = self.base_url(domain)
        proxy = self._proxy_url(self._proxy(zipcode))
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keeps cookies of hosts named by address too
        async with self._new_session(jar) as session:
            for attempt in range(self.settings.capture_retries + 1):
                try:
                    await self._paced(base)
                    async with session.get(f"{base}/", proxy=proxy) as reply:  # the cookies the change needs
                        await reply.read()
                    await self._paced(base)
                    async with session.post(f"{base}{LOCATION_PATH}", proxy=proxy, json={
                            "locationType": "LOCATION_INPUT", "zipCode": zipcode, "deviceType": "web",
                            "storeContext": "generic", "pageType": "Gateway", "actionSource": "glow"}) as reply:
                        status, body = reply.status, await reply.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    if attempt == self.settings.capture_retries:
                        raise LocationError(f"{domain} did not answer ({type(exc).__name__})") from None
                    await self._backoff(attempt)
                    continue
                if status in RETRY_STATUS and attempt < self.settings.capture_retries:
                    await self._backoff(attempt)
                    continue
                try:
                    answer = orjson.loads(body) if status == 200 else None
                    valid = isinstance(answer, dict) and answer.get("isValidAddress") in (1, True)
                except orjson.JSONDecodeError:
                    valid = False
                if not valid:
                    raise LocationError(f"{domain} did not accept postcode {zipcode} (HTTP {status})")
                return {cookie.key: cookie.value for cookie in jar}
        raise LocationError(f"{domain} did not answer")

    def set_location(self, domain: str, zipcode: str) -> dict[str, str]:
        """The cookies that make `zipcode` the delivery location on the marketplace (blocking)."""
        return asyncio.run_coroutine_threadsafe(self._location(domain, zipcode), self._loop).result()

    def close(self) -> None:
        """Stop the loop: pending fetches are cancelled, clients closed, the loop closed."""
        if self._loop.is_closed():
            return

        async def shut() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.session.close()

        try:
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():
                self._loop.close()
            if self.slots is not None:
                self.slots.close()


_fetchers: dict[tuple, Fetcher] = {}
_lock = threading.Lock()


def fetcher_for(settings: Settings) -> Fetcher:
    """This process's fetcher for these capture settings (one cap for all its runs)."""
    key = (tuple(sorted(settings.capture_base_urls.items())), tuple(settings.capture_proxies), settings.capture_concurrency,
           settings.capture_host_rps, settings.capture_retries, settings.capture_backoff_seconds,
           settings.capture_timeout, settings.redis_url, settings.limits_redis_prefix)
    with _lock:
        found = _fetchers.get(key)
        if found is None:
            found = _fetchers[key] = Fetcher(settings)
        return found


def close_fetchers() -> None:
    """Close every fetcher of this process (at shutdown, and between tests)."""
    with _lock:
        found = list(_fetchers.values())
        _fetchers.clear()
    for fetcher in found:
        fetcher.close()
