"""Keepa as a provider: product queries by ASIN or by code, paced by the account's tokens.

Keepa's HTTP API directly, with httpx, not the `keepa` package: the package turns prices into
float currency units and "no data" (-1) into NaN, adds shipping into the value and rescales the
rating, so the integer minor units and the -1 markers the catalog needs would have to be
recovered from floats. The raw reply keeps them exact; `keepa_records` converts it.

One request (`GET {endpoint}/product`) asks for up to 100 ASINs (`asin=`) or codes (`code=`,
UPC, EAN or ISBN-13) of one marketplace (`domain=`, Keepa's domain id). Tokens: 1 a product,
2 more with `buybox=1` (what pricing asks, for the Buy Box price and its statistics), and 6 a
page of 10 offers with `offers=` (what offers asks). Before each request the account's Keepa
budget is spent for that expected cost (`Budgets.acquire("keepa", "tokens", ...)`); every reply,
429s included, says how many tokens are left and how fast they come back, and the budget
follows it (`Budgets.sync_tokens`). A 429 (not enough tokens) is retried once the budget has
waited for the refill, up to `max_retries` times; 5xx and network failures are retried with
backoff. What still fails comes back as `Answer.failures` for the codes concerned; a refused
key (401, 402, 403) raises KeepaKeyRefused, as no later call can succeed either.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from sellerkit import __version__
from sellerkit.catalog.providers import keepa_records as kr
from sellerkit.catalog.providers.base import Answer, PricedItem
from sellerkit.catalog.providers.budget import Budgets
from sellerkit.domain import identifiers as ids
from sellerkit.errors import SellerkitError

log = logging.getLogger("sellerkit.keepa")

BUDGET = ("keepa", "tokens")
STATS_DAYS = 60  # `avg` of the stats object covers the results' d60 period
OFFERS = 20  # offers asked per product with the offers kind (Keepa's minimum)
TOKENS = {"catalog": 1, "pricing": 3, "offers": 1 + 6 * (OFFERS // 10)}  # expected per product
MAX_BACKOFF = 30.0


class KeepaError(SellerkitError):
    status_code = 502


class KeepaKeyRefused(KeepaError):
    """401/402/403: the key is wrong, or its subscription has lapsed."""

    status_code = 503


Clock = Callable[[], datetime]
_KEY_IN_URL = re.compile(r"(?<=[?&]key=)[^&\s\"']+")


class _RedactKey(logging.Filter):
    """Keepa takes the key in the query string only, and httpx logs each request's URL at
    INFO: this filter on the httpx logger blanks the key in those records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any("key=" in str(a) for a in record.args):
            record.args = tuple(_KEY_IN_URL.sub("***", str(a)) if "key=" in str(a) else a for a in record.args)
        return True


if not any(isinstance(f, _RedactKey) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_RedactKey())


class KeepaProvider:
    name = "keepa"
    kinds = frozenset({"catalog", "pricing", "offers"})
    batch = {"catalog": 100, "pricing": 100, "offers": 20}

    def __init__(self, key: str, *, account_id: int, budgets: Budgets, endpoint: str = "https://api.keepa.com",
                 timeout: float = 20.0, transport: httpx.AsyncBaseTransport | None = None,
                 max_retries: int = 5, clock: Clock | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        if not key:
            raise ValueError("a Keepa key is needed (SELLERKIT_KEEPA_KEY)")
        self._key = key
        self.account_id = account_id
        self.budgets = budgets
        self.max_retries = max_retries
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._client = httpx.AsyncClient(base_url=endpoint.rstrip("/"), timeout=timeout, transport=transport,
                                         headers={"User-Agent": f"sellerkit/{__version__}",
                                                  "Accept-Encoding": "gzip"})
        self.tokens_consumed = 0  # as Keepa counted them, over this provider's life

    def __repr__(self) -> str:  # never the key
        return f"KeepaProvider(account_id={self.account_id})"

    async def aclose(self) -> None:
        await self._client.aclose()

    # ---- the operations ----------------------------------------------------------------------

    async def match(self, marketplace: str, codes: list[ids.Identifier]) -> Answer:
        """Codes -> ASINs (`code=`), with the products' attributes and what else the reply holds."""
        answer = Answer()
        by_code: dict[str, list[ids.Identifier]] = {}
        for ident in codes:
            by_code.setdefault(kr.keepa_code(ident), []).append(ident)
        sent = list(by_code)
        for start in range(0, len(sent), self.batch["catalog"]):
            chunk = sent[start:start + self.batch["catalog"]]
            wanted = {ident.key: ident for code in chunk for ident in by_code[code]}
            products, replied, failure = await self._query(marketplace, "code", chunk, "catalog")
            if failure is not None:
                answer.failures.update(dict.fromkeys(wanted, failure))
                continue
            for product in products:
                if not kr.has_data(product) or not product.get("asin"):
                    continue
                self._add(answer, product, replied, marketplace, ("catalog",))
                for key in kr.code_keys(product) & set(wanted):
                    found = answer.matches.setdefault(key, [])
                    if product["asin"] not in found:
                        found.append(product["asin"])
            for key, ident in wanted.items():
                if key not in answer.matches:
                    answer.misses[key] = f"Keepa has no product with this {ident.family.upper()} in {marketplace}"
        return answer

    async def attributes(self, marketplace: str, asins: list[str]) -> Answer:
        return await self._by_asin(marketplace, asins, "catalog")

    async def pricing(self, marketplace: str, asins: list[str]) -> Answer:
        return await self._by_asin(marketplace, asins, "pricing")

    async def offers(self, marketplace: str, asins: list[str]) -> Answer:
        return await self._by_asin(marketplace, asins, "offers")

    async def fees(self, marketplace: str, items: list[PricedItem]) -> Answer:
        return self._not_answered("fees", [i.asin for i in items])

    async def restrictions(self, marketplace: str, asins: list[str]) -> Answer:
        return self._not_answered("restrictions", asins)

    async def eligibility(self, marketplace: str, asins: list[str]) -> Answer:
        return self._not_answered("eligibility", asins)

    @staticmethod
    def _not_answered(kind: str, asins: list[str]) -> Answer:
        return Answer(failures=dict.fromkeys(asins, f"Keepa does not answer {kind}"))

    # ---- requests ----------------------------------------------------------------------------

    async def _by_asin(self, marketplace: str, asins: list[str], kind: str) -> Answer:
        answer = Answer()
        asins = list(dict.fromkeys(asins))
        size = self.batch[kind]
        for start in range(0, len(asins), size):
            chunk = asins[start:start + size]
            products, replied, failure = await self._query(marketplace, "asin", chunk, kind)
            if failure is not None:
                answer.failures.update(dict.fromkeys(chunk, failure))
                continue
            seen = set()
            for product in products:
                asin = product.get("asin")
                if asin in chunk and kr.has_data(product):
                    seen.add(asin)
                    kinds = {"catalog": ("catalog",), "pricing": ("catalog", "pricing"),
                             "offers": ("catalog", "pricing", "offers")}[kind]
                    self._add(answer, product, replied, marketplace, kinds)
            for asin in chunk:
                if asin not in seen:
                    answer.misses[asin] = f"Keepa has no data for {asin} in {marketplace}"
        return answer

    @staticmethod
    def _add(answer: Answer, product: dict, replied: datetime, marketplace: str, kinds: tuple[str, ...]) -> None:
        answer.records.append(kr.product_record(product, replied, marketplace=marketplace, kinds=kinds,
                                                stats_days=STATS_DAYS))
        answer.observations += kr.observations(product, marketplace)

    def _params(self, marketplace: str, field: str, values: list[str], kind: str) -> dict[str, Any]:
        params: dict[str, Any] = {"key": self._key, "domain": kr.domain_id(marketplace), field: ",".join(values),
                                  "stats": STATS_DAYS, "history": 1}
        if kind == "pricing":
            params["buybox"] = 1
        elif kind == "offers":
            params["offers"] = OFFERS
        return params

    async def _query(self, marketplace: str, field: str, values: list[str], kind: str
                     ) -> tuple[list[dict], datetime, str | None]:
        """(products, when they came, None) or ([], now, why the request failed after its
        retries)."""
        try:
            params = self._params(marketplace, field, values, kind)
        except kr.UnsupportedMarketplace as exc:
            return [], self._clock(), str(exc)
        cost = TOKENS[kind] * len(values)
        failure = "no reply"
        for attempt in range(self.max_retries + 1):
            await self.budgets.acquire(*BUDGET, self.account_id, cost=cost)
            try:
                reply = await self._client.get("/product", params=params)
            except httpx.HTTPError as exc:
                failure = f"Keepa did not answer ({type(exc).__name__})"
                await self._backoff(attempt)
                continue
            body = self._json(reply)
            self._sync(body)
            status = reply.status_code
            if status == 200 and isinstance(body.get("products"), list):
                return body["products"], self._clock(), None
            message = self._message(body, status)
            if status == 429:  # the budget has followed the reply: the next acquire waits for the refill
                failure = f"Keepa is out of tokens ({message}); tried {attempt + 1} times"
                log.info("keepa 429 for account %s: %s", self.account_id, message)
                continue
            if status in (401, 402, 403):
                raise KeepaKeyRefused(f"Keepa refused the key ({status}: {message}); "
                                      "check SELLERKIT_KEEPA_KEY and the subscription")
            if status >= 500 or status == 200:
                failure = f"Keepa answered {status} ({message})"
                await self._backoff(attempt)
                continue
            return [], self._clock(), f"Keepa refused the request ({status}: {message})"
        return [], self._clock(), failure

    async def _backoff(self, attempt: int) -> None:
        if attempt < self.max_retries:
            await self._sleep(min(MAX_BACKOFF, 2.0 ** attempt))

    @staticmethod
    def _json(reply: httpx.Response) -> dict:
        try:
            body = reply.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _sync(self, body: dict) -> None:
        left, rate, refill = body.get("tokensLeft"), body.get("refillRate"), body.get("refillIn")
        if isinstance(body.get("tokensConsumed"), int):
            self.tokens_consumed += body["tokensConsumed"]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, rate, refill)):
            self.budgets.sync_tokens(*BUDGET, self.account_id, left, rate, refill)

    @staticmethod
    def _message(body: dict, status: int) -> str:
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or status)
        return f"HTTP {status}"
