"""Test doubles for live data: a provider implementing the Provider protocol from a table of
products (every call recorded), and an event loop on a virtual clock, so budgets are really
waited for and no real time passes."""

from __future__ import annotations

import asyncio
import selectors
from dataclasses import dataclass
from datetime import UTC, datetime

from sellerkit.catalog.providers.base import Answer, PricedItem, Provenance
from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
from sellerkit.catalog.providers.service import OPERATIONS
from sellerkit.catalog.records import format_timestamp
from sellerkit.domain import identifiers as ids

START = 1_800_000_000.0  # 2027-01-15, unix seconds


class VirtualClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _Selector:
    """Waits that a timer ends are skipped: the clock jumps to the timer instead."""

    def __init__(self, inner: selectors.BaseSelector, clock: VirtualClock) -> None:
        self._inner, self._clock = inner, clock

    def select(self, timeout=None):
        if timeout is None or timeout <= 0:
            return self._inner.select(timeout)
        ready = self._inner.select(0)
        if not ready:  # at least a microsecond: a smaller step is lost in a unix time's float
            self._clock.advance(max(timeout, 1e-6))
        return ready

    def __getattr__(self, name):
        return getattr(self._inner, name)


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_Selector(selectors.DefaultSelector(), clock))
        self._virtual = clock
        self._clock_resolution = 1e-6  # a due timer runs (1e-9 is lost in a unix time's float)

    def time(self) -> float:
        return self._virtual.now


def virtual_budgets(clock: VirtualClock) -> Budgets:
    """The documented limits, waited for with asyncio.sleep (on a VirtualLoop: virtual time)."""
    return Budgets(MemoryBudgets(clock), sleep=asyncio.sleep)


def instant_budgets(clock: VirtualClock) -> Budgets:
    """The documented limits, their waits added to the clock at once (any event loop)."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        await asyncio.sleep(0)

    return Budgets(MemoryBudgets(clock), sleep=sleep)


async def inline(fn, *args):
    """LiveData's `run_blocking` without a thread (a virtual clock must not run on meanwhile)."""
    return fn(*args)


@dataclass
class Call:
    method: str
    codes: list[str]
    started: float
    ended: float


def fee_estimate(price: int, fulfilment: str, fba: int) -> dict:
    """The double's fee model: 15% referral, a fixed FBA fee."""
    referral = price * 15 // 100
    fba = fba if fulfilment == "FBA" else 0
    return {"price": price, "currency": "USD", "fulfilment": fulfilment, "total": referral + fba,
            "referral": referral, "fba": fba, "closing": 0, "per_item": 0, "other": 0}


class FakeProvider:
    """Answers from `products` (catalog-format records holding everything it knows: catalog
    fields, `buybox_price`, offers, `fba_fee`, `restricted`), as a real provider would: each
    call spends its budget, answers carry provenance and `updated_at` from the clock."""

    def __init__(self, products: list[dict], *, name: str = "spapi", clock: VirtualClock, budgets: Budgets,
                 kinds: frozenset[str] = frozenset({"catalog", "pricing", "fees", "offers", "restrictions"}),
                 batch: dict[str, int] | None = None, account_id: int = 1, latency: float = 0.0,
                 failing: set[str] = frozenset(), marketplaces: set[str] | None = None,
                 label_identifiers: bool = True) -> None:
        self.name, self.kinds, self.clock, self.budgets = name, kinds, clock, budgets
        self.batch = {"catalog": 20, "pricing": 20, "fees": 20, "offers": 20, "restrictions": 1} | (batch or {})
        self.account_id, self.latency, self.failing = account_id, latency, set(failing)
        self.products = {p["asin"]: p for p in products}
        self.by_key: dict[str, list[str]] = {}
        for p in products:
            for family, codes in (p.get("identifiers") or {}).items():
                for code in codes:
                    self.by_key.setdefault(ids.parse(code, hint=family).key, []).append(p["asin"])
        self.label_identifiers = label_identifiers
        if marketplaces is not None:
            self.marketplaces = marketplaces
        self.calls: list[Call] = []
        self.closed = False

    # ---- bookkeeping --------------------------------------------------------------------------

    def asked(self, method: str) -> list[str]:
        return [code for call in self.calls if call.method == method for code in call.codes]

    def count(self, method: str) -> int:
        return sum(1 for call in self.calls if call.method == method)

    def _stamp(self) -> str:
        return format_timestamp(datetime.fromtimestamp(self.clock(), UTC))

    def _provenance(self, kind: str, operation: str) -> dict:
        return {kind: Provenance(self.name, operation, datetime.fromtimestamp(self.clock(), UTC)).as_dict()}

    async def _call(self, method: str, kind: str, codes: list[str]) -> float:
        started = self.clock()
        operation = OPERATIONS[self.name][kind] if self.name in OPERATIONS else kind
        await self.budgets.acquire(self.name, operation, self.account_id,
                                   len(codes) if operation == "tokens" else 1)
        if self.latency:
            await asyncio.sleep(self.latency)
        self.calls.append(Call(method, codes, started, self.clock()))
        return started

    def _catalog_record(self, asin: str) -> dict:
        product = self.products[asin]
        record = {k: v for k, v in product.items()
                  if k not in ("buybox_price", "lowest_price_new_fba", "new_fba_offers_count", "fba_fee",
                               "restricted", "total_offers_count")}
        if not self.label_identifiers:
            record.pop("identifiers", None)
        return record | {"updated_at": self._stamp(), "provenance": self._provenance("catalog", "searchCatalogItems")}

    # ---- the protocol ---------------------------------------------------------------------------

    async def match(self, marketplace: str, codes: list[ids.Identifier]) -> Answer:
        await self._call("match", "catalog", [c.key for c in codes])
        answer = Answer()
        for code in codes:
            if code.key in self.failing:
                answer.failures[code.key] = "throttled past every retry"
            elif code.key in self.by_key:
                answer.matches[code.key] = list(self.by_key[code.key])
                answer.records += [self._catalog_record(a) for a in self.by_key[code.key]]
            else:
                label = {"upc": "UPC", "ean": "EAN", "isbn": "ISBN", "jan": "JAN", "gtin": "GTIN"}[code.family]
                answer.misses[code.key] = f"{'Amazon' if self.name == 'spapi' else self.name} has no product " \
                                          f"with this {label} in {marketplace}"
        return answer

    async def attributes(self, marketplace: str, asins: list[str]) -> Answer:
        await self._call("attributes", "catalog", asins)
        answer = Answer()
        for asin in asins:
            if asin in self.products:
                answer.records.append(self._catalog_record(asin))
            else:
                answer.misses[asin] = f"Amazon has no product with ASIN {asin} in {marketplace}"
        return answer

    async def pricing(self, marketplace: str, asins: list[str]) -> Answer:
        await self._call("pricing", "pricing", asins)
        answer = Answer()
        for asin in asins:
            product = self.products.get(asin) or {}
            if "buybox_price" not in product:
                answer.misses[asin] = f"no offers for {asin}"
                continue
            answer.records.append({"marketplace": marketplace, "asin": asin, "buybox_price": product["buybox_price"],
                                   "new_fba_offers_count": product.get("new_fba_offers_count", 1),
                                   "updated_at": self._stamp(),
                                   "provenance": self._provenance("pricing", "getCompetitivePricing")})
        return answer

    async def fees(self, marketplace: str, items: list[PricedItem]) -> Answer:
        await self._call("fees", "fees", [i.asin for i in items])
        answer = Answer()
        for item in items:
            fba = (self.products.get(item.asin) or {}).get("fba_fee", 300)
            answer.records.append({"marketplace": marketplace, "asin": item.asin,
                                   "amazon_fees": fee_estimate(item.price, item.fulfilment, fba),
                                   "updated_at": self._stamp(),
                                   "provenance": self._provenance("fees", "getMyFeesEstimates")})
        return answer

    async def offers(self, marketplace: str, asins: list[str]) -> Answer:
        await self._call("offers", "offers", asins)
        answer = Answer()
        for asin in asins:
            product = self.products.get(asin) or {}
            answer.records.append({"marketplace": marketplace, "asin": asin,
                                   "total_offers_count": product.get("total_offers_count", 3),
                                   "updated_at": self._stamp(),
                                   "provenance": self._provenance("offers", "getItemOffersBatch")})
        return answer

    async def restrictions(self, marketplace: str, asins: list[str]) -> Answer:
        await self._call("restrictions", "restrictions", asins)
        answer = Answer()
        for asin in asins:
            restricted = bool((self.products.get(asin) or {}).get("restricted"))
            reasons = [{"code": "APPROVAL_REQUIRED", "message": "You need approval to list in this brand"}] \
                if restricted else []
            answer.records.append({"marketplace": marketplace, "asin": asin,
                                   "restrictions": {"condition": "new_new", "restricted": restricted,
                                                    "reasons": reasons},
                                   "updated_at": self._stamp(),
                                   "provenance": self._provenance("restrictions", "getListingsRestrictions")})
        return answer

    async def eligibility(self, marketplace: str, asins: list[str]) -> Answer:
        raise AssertionError("LiveData never asks for eligibility")

    async def aclose(self) -> None:
        self.closed = True
