"""The page fetcher: httpx (HTTP/2 where the server offers it) on one event loop per process,
shared by every run of the process.

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

Speed: each page in flight has an httpx client of its own (a pool of a few connections), taken
from the idle ones. One client shared by 20 requests spends most of its time in httpcore's pool
bookkeeping, which grows with requests times connections.
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
from urllib.parse import urlsplit

import certifi
import httpx

from sellerkit.config import Settings
from sellerkit.domain.pages import is_robot_check
from sellerkit.kit.ratelimit import RedisSlots, make_limits

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
        self._idle: dict[int, list[httpx.AsyncClient]] = {}  # by proxy index: clients no page is using
        self._loop = _new_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="capture-fetcher", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._setup(), self._loop).result()

    async def _setup(self) -> None:
        self.cap = asyncio.Semaphore(self.settings.capture_concurrency)  # this process's share, at most
        self._tls = ssl.create_default_context(cafile=certifi.where())  # one for all clients: 80 ms each to make

    def _new_client(self, proxy: str | None) -> httpx.AsyncClient:
        s = self.settings
        return httpx.AsyncClient(
            http2=True, verify=self._tls, timeout=s.capture_timeout, follow_redirects=True, proxy=proxy,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
            headers={"User-Agent": s.capture_user_agent, "Accept-Language": "en;q=0.8,*;q=0.5",
                     "Accept": "text/html,application/xhtml+xml"})

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
        """One try under a slot, with an idle client: the page, or why it should be tried again."""
        async with self.cap:
            token = await self._slot()
            idle = self._idle.setdefault(proxy, [])
            client = idle.pop() if idle else self._new_client(
                self.settings.capture_proxies[proxy] if self.settings.capture_proxies else None)
            try:
                await self._paced(url)
                reply = await client.get(url, headers=headers)
            except httpx.HTTPError as exc:
                return f"{type(exc).__name__}: {str(exc)[:200] or 'no answer'}"
            finally:
                idle.append(client)
                if token is not None:
                    self.slots.release(token)
        body, ctype = reply.content, reply.headers.get("content-type")
        if is_robot_check(body):
            return Fetched("blocked", reply.status_code, body, ctype, "robot check")
        if reply.status_code == 200:
            return Fetched("ok", 200, body, ctype)
        if reply.status_code not in RETRY_STATUS:
            return Fetched("failed", reply.status_code, error=f"HTTP {reply.status_code}")
        return f"HTTP {reply.status_code}"

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
        base = self.base_url(domain)
        proxies = self.settings.capture_proxies
        async with httpx.AsyncClient(http2=True, verify=self._tls, timeout=self.settings.capture_timeout,
                                     follow_redirects=True,
                                     headers={"User-Agent": self.settings.capture_user_agent},
                                     proxy=proxies[self._proxy(zipcode)] if proxies else None) as client:
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
        """Stop the loop: pending fetches are cancelled, clients closed, the loop closed."""
        if self._loop.is_closed():
            return

        async def shut() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for clients in self._idle.values():
                for client in clients:
                    await client.aclose()
            self._idle.clear()

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
