"""LiveData: bring what a set of codes and ASINs needs up to date, spending quota in order of cost.

For one seller account, one marketplace and its providers (`registry.providers_for`), `ensure`
asks only for what the catalog lacks or holds stale:

1. **match**: identifier keys no ASIN in the catalog carries, or whose products' catalog data is
   older than `ttl_catalog` (and ASINs the catalog lacks: `attributes`), batched by each
   provider's `batch["catalog"]`, unless a provider answered it does not know them within
   `ttl_misses` (table `provider_misses`);
2. **pricing**, then **fees** at the price the scan sells at (`profit.sale_price`: the Buy Box,
   else the best known price), for every ASIN reached;
3. **restrictions** and **offers**, only for the `deep` ASINs the caller names (a scan's rows that
   pass its `enrich_filter`).

Staleness is per kind: a record's `provenance[kind].observed_at` against `ttl_<kind>`. A record
without provenance (demo data, an import) is fresh: nothing is spent on it. Fees are also stale
when the price or fulfilment they were estimated at is not the one wanted now.

The stages are pipelined: one worker per operation and provider, fed by queues, so pricing of the
first matched batch starts while matching goes on and fees follow pricing batch by batch. Each
worker waits only for a full batch (or the end of its input), so no call is spent on a part
batch while more is coming, and the whole run takes about as long as its slowest operation's
budget allows. Providers are asked in order: what the first cannot answer (a miss, a failure)
goes to the next one having that kind; a miss is remembered only when every provider asked
said it, and none failed.

Every answer is written as it arrives, through the catalog service (field-by-field merge by
`updated_at`, provenance merged kind by kind, identifiers indexed, the revision bumped so
snapshots refresh), observations into history, misses into `provider_misses`. A run stopped
half-way loses nothing: what was written is fresh when it runs again, so nothing is asked twice.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from sellerkit.catalog import repository as catalog_repo
from sellerkit.catalog.providers.base import Answer, PricedItem, Provider
from sellerkit.catalog.providers.budget import BudgetKey, Budgets, BudgetState, budgets_for
from sellerkit.catalog.providers.models import ProviderMiss
from sellerkit.catalog.records import format_timestamp, index_of, merge, parse_timestamp
from sellerkit.catalog.service import catalog, prepare_batch
from sellerkit.domain import identifiers as ids
from sellerkit.domain.profit import sale_price
from sellerkit.kit.db import Database, upsert

log = logging.getLogger("sellerkit.providers")

# Lanes: one kind of call. Match and attributes both give catalog data (stage "match").
MATCH, ATTRIBUTES, PRICING, FEES, RESTRICTIONS, OFFERS = (
    "match", "attributes", "pricing", "fees", "restrictions", "offers")
KIND = {MATCH: "catalog", ATTRIBUTES: "catalog", PRICING: "pricing", FEES: "fees",
        RESTRICTIONS: "restrictions", OFFERS: "offers"}
STAGE = {MATCH: "match", ATTRIBUTES: "match", PRICING: "pricing", FEES: "fees",
         RESTRICTIONS: "restrictions", OFFERS: "offers"}
STAGES = ("match", "pricing", "fees", "restrictions", "offers")  # in the order quota is spent
SHALLOW = ("catalog", "pricing", "fees")  # stages 1 and 2
DEEP = ("restrictions", "offers")  # stage 3: only for the ASINs a caller names
DOWNSTREAM_LANES = (PRICING, FEES, RESTRICTIONS, OFFERS)
UPSTREAM = {MATCH: (), ATTRIBUTES: (), PRICING: (MATCH, ATTRIBUTES), FEES: (MATCH, ATTRIBUTES, PRICING),
            RESTRICTIONS: (MATCH, ATTRIBUTES), OFFERS: (MATCH, ATTRIBUTES)}

# The budget (operation) each provider spends per kind, where a provider does not say it itself
# with an `operations` mapping {kind: operation}.
OPERATIONS: dict[str, dict[str, str]] = {
    "spapi": {"catalog": "searchCatalogItems", "pricing": "getCompetitivePricing", "fees": "getMyFeesEstimates",
              "offers": "getItemOffersBatch", "restrictions": "getListingsRestrictions",
              "eligibility": "getItemEligibilityPreview"},
    "keepa": {kind: "tokens" for kind in ("catalog", "pricing", "fees", "offers", "restrictions", "eligibility")},
}
TOKEN_OPERATIONS = {"tokens"}  # budgets counted per product, not per call
PARALLEL_CALLS = 2  # calls of one operation in flight at once (their budget still paces them)
SQL_CHUNK = 900  # values in one IN (...)
TICK = 0.5  # seconds: at least this often progress is reported while nothing is answered

Progress = Callable[[dict], Any]


def operation_of(provider: Provider, kind: str) -> str:
    own = getattr(provider, "operations", None) or {}
    return own.get(kind) or OPERATIONS.get(provider.name, {}).get(kind) or kind


def _iso(at: float) -> str:
    return format_timestamp(datetime.fromtimestamp(at, UTC))


def _chunks(values: list, size: int = SQL_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _first_error(group: BaseExceptionGroup) -> BaseException:
    """The first real exception in a (nested) task group's failure."""
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return group.exceptions[0]


@dataclass
class Outcome:
    """What one `ensure` did. `misses[kind]`: code (identifier key or ASIN) -> why no provider
    has it (remembered ones included); `failures[kind]`: code -> why it could not be asked now;
    `calls`: (provider, lane) -> calls made; `progress`: the last progress report."""

    misses: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in (*SHALLOW, *DEEP)})
    failures: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in (*SHALLOW, *DEEP)})
    calls: Counter = field(default_factory=Counter)
    progress: dict = field(default_factory=dict)

    @property
    def unknown(self) -> dict[str, str]:
        """Identifier keys and ASINs no provider knows, with the reason."""
        return self.misses["catalog"]

    @property
    def unreached(self) -> dict[str, str]:
        """Identifier keys and ASINs whose match could not be asked now, with the reason."""
        return self.failures["catalog"]


@dataclass(slots=True)
class _Item:
    code: str  # identifier key or ASIN
    payload: Any  # Identifier (match), ASIN (attributes, pricing, ...), PricedItem (fees)


class _Feed:
    """A queue of items for one worker, closed when every producer has said it is done."""

    def __init__(self, producers: int) -> None:
        self.items: deque[_Item] = deque()
        self.producers = producers
        self.in_flight: list[_Item] = []
        self._changed = asyncio.Event()

    def put(self, item: _Item) -> None:
        self.items.append(item)
        self._changed.set()

    def producer_done(self) -> None:
        self.producers -= 1
        self._changed.set()

    async def take(self, n: int) -> list[_Item]:
        """Up to `n` items: `n` as soon as there are, fewer only once no more can come."""
        while len(self.items) < n and self.producers > 0:
            self._changed.clear()
            await self._changed.wait()
        return [self.items.popleft() for _ in range(min(n, len(self.items)))]


class LiveData:
    """Live data for one seller account and marketplace, through its providers (in the order
    they are asked). `clock` is unix seconds (staleness, progress); `run_blocking` runs the
    database work (a worker thread by default, so a server's event loop never waits on it)."""

    def __init__(self, db: Database, settings, providers: list[Provider], account_id: int, marketplace: str, *,
                 budgets: Budgets | None = None, clock: Callable[[], float] = time.time,
                 run_blocking: Callable[..., Awaitable] | None = None, progress_every: float = 0.5,
                 parallel_calls: int = PARALLEL_CALLS) -> None:
        self.db = db
        self.settings = settings
        self.providers = list(providers)
        self.account_id = account_id
        self.marketplace = marketplace
        self.budgets = budgets or budgets_for(settings)
        self.clock = clock
        self.run_blocking = run_blocking or asyncio.to_thread
        self.progress_every = progress_every
        self.parallel_calls = max(1, parallel_calls)
        self.ttl = {kind: getattr(settings, f"ttl_{kind}") for kind in (*SHALLOW, *DEEP)}
        self.ttl_misses: timedelta = settings.ttl_misses

    @property
    def kinds(self) -> set[str]:
        return set().union(*(p.kinds for p in self.providers)) if self.providers else set()

    async def ensure(self, codes: Iterable[ids.Identifier] = (), asins: Iterable[str] = (), deep: Iterable[str] = (),
                     *, kinds: Iterable[str] = SHALLOW, rows: Mapping[str, int] | None = None,
                     fulfilment: str = "FBA", progress: Progress | None = None) -> Outcome:
        """Bring `codes` (identifiers, one per key) and `asins` up to date for `kinds` (of
        catalog, pricing, fees), and the `deep` ASINs for restrictions and offers too.
        `rows`: how many of the caller's rows each key or ASIN stands for (progress counts rows);
        `progress(report)` is called as answers arrive and every `progress_every` seconds, and
        may raise to stop the run (what was written stays)."""
        run = _Run(self, set(kinds), rows or {}, fulfilment, progress)
        return await run.go(list(codes), list(dict.fromkeys(asins)), list(dict.fromkeys(deep)))


class _Run:
    def __init__(self, live: LiveData, kinds: set[str], rows: Mapping[str, int], fulfilment: str,
                 progress: Progress | None) -> None:
        self.live = live
        self.mp = live.marketplace
        self.kinds = kinds
        self.rows = rows
        self.fulfilment = fulfilment
        self.progress = progress
        self.outcome = Outcome()
        self.known: dict[str, dict] = {}  # asin -> record as the catalog now holds it
        self.remembered: dict[tuple[str, str], str] = {}  # (kind, code) -> reason of a remembered miss
        self.asin_rows: Counter = Counter()
        self.deep: set[str] = set()
        self.routed: dict[str, set[str]] = {lane: set() for lane in DOWNSTREAM_LANES}
        self.finished: dict[str, set[str]] = {lane: set() for lane in DOWNSTREAM_LANES}
        self.first_miss: dict[tuple[str, str], tuple[str, str]] = {}  # (lane, code) -> (provider, reason)
        self.failed_before: set[tuple[str, str]] = set()
        self.idents: dict[str, ids.Identifier] = {}
        self.chains: dict[str, list[Provider]] = {
            lane: [p for p in live.providers if KIND[lane] in p.kinds] for lane in KIND}
        self.feeds: dict[str, list[_Feed]] = {}
        for lane, chain in self.chains.items():
            upstream_workers = sum(len(self.chains[up]) for up in UPSTREAM[lane])
            self.feeds[lane] = [_Feed(1 + upstream_workers if i == 0 else 1) for i in range(len(chain))]
        self.counts = {stage: Counter() for stage in STAGES}  # total, done, missed, failed
        self.last_report = -math.inf

    # ---- the run -------------------------------------------------------------------------------

    async def go(self, codes: list[ids.Identifier], asins: list[str], deep: list[str]) -> Outcome:
        by_key = {}
        for ident in codes:
            by_key.setdefault(ident.key, ident)
        self.idents = by_key
        self.deep = set(deep)
        reached = await self.live.run_blocking(self._load, list(by_key), asins, deep)
        self._seed(reached, asins, deep)
        for feeds in self.feeds.values():
            if feeds:
                feeds[0].producer_done()  # the seed
        try:
            async with asyncio.TaskGroup() as group:
                workers = [group.create_task(self._work(lane, i))
                           for lane, chain in self.chains.items() for i in range(len(chain))]
                ticker = group.create_task(self._tick())
                if workers:
                    await asyncio.wait(workers)
                ticker.cancel()
        except BaseExceptionGroup as failed:
            raise _first_error(failed) from None
        self._report(force=True)
        return self.outcome

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(max(self.live.progress_every, TICK))
            self._report(force=True)

    async def _work(self, lane: str, i: int) -> None:
        provider, feed = self.chains[lane][i], self.feeds[lane][i]
        size = max(1, int(provider.batch.get(KIND[lane], 1)))
        slots = asyncio.Semaphore(self.live.parallel_calls)
        async with asyncio.TaskGroup() as calls:
            while batch := await feed.take(size):
                feed.in_flight += batch  # counted as waiting from now on
                await slots.acquire()
                calls.create_task(self._call(lane, i, batch, slots))
        if i + 1 < len(self.feeds[lane]):
            self.feeds[lane][i + 1].producer_done()
        for down in DOWNSTREAM_LANES:
            if lane in UPSTREAM[down] and self.feeds[down]:
                self.feeds[down][0].producer_done()

    async def _call(self, lane: str, i: int, batch: list[_Item], slots: asyncio.Semaphore) -> None:
        provider = self.chains[lane][i]
        try:
            self.outcome.calls[(provider.name, lane)] += 1
            try:
                answer = await self._ask(provider, lane, batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a provider's fault fails its batch, not the run
                log.warning("%s %s for %d codes failed", provider.name, lane, len(batch), exc_info=True)
                why = f"{provider.name}: {type(exc).__name__}: {exc}"
                answer = Answer(failures={item.code: why for item in batch})
            await self._absorb(lane, i, batch, answer)
        finally:
            feed = self.feeds[lane][i]
            gone = {id(item) for item in batch}
            feed.in_flight = [item for item in feed.in_flight if id(item) not in gone]
            slots.release()
        self._report()

    async def _ask(self, provider: Provider, lane: str, batch: list[_Item]) -> Answer:
        payloads = [item.payload for item in batch]
        if lane == MATCH:
            return await provider.match(self.mp, payloads)
        method = {ATTRIBUTES: provider.attributes, PRICING: provider.pricing, FEES: provider.fees,
                  RESTRICTIONS: provider.restrictions, OFFERS: provider.offers}[lane]
        return await method(self.mp, payloads)

    # ---- answers ----------------------------------------------------------------------------------

    async def _absorb(self, lane: str, i: int, batch: list[_Item], answer: Answer) -> None:
        kind, provider = KIND[lane], self.chains[lane][i]
        last = i + 1 == len(self.chains[lane])
        codes = [item.code for item in batch]
        asked = set(codes)
        records = [dict(r) for r in answer.records if isinstance(r, dict) and r.get("asin")]
        if lane == MATCH:
            answered = {code for code in codes if answer.matches.get(code)}
            self._label_matches(records, answer.matches, answered)
        else:
            answered = {r["asin"] for r in records} & asked
        misses = {c: answer.misses[c] for c in codes if c not in answered and c in answer.misses}
        failures = {c: answer.failures.get(c) or f"{provider.name} gave no answer"
                    for c in codes if c not in answered and c not in misses}
        for code, reason in misses.items():
            self.first_miss.setdefault((lane, code), (provider.name, reason))
        for code in failures:
            self.failed_before.add((lane, code))
        remember = {}
        if last:
            for code in misses:
                if (lane, code) not in self.failed_before:
                    remember[code] = self.first_miss[(lane, code)]
        observations = list(answer.observations) or self._observations(records, kind)
        rejected = await self.live.run_blocking(self._write, records, observations, kind, remember)
        for record in records:
            if record["asin"] in rejected:
                continue
            before = self.known.get(record["asin"])
            self.known[record["asin"]] = merge(before, record) if before else record
        for asin, why in rejected.items():
            if asin in answered:
                answered.discard(asin)
                failures[asin] = why
        stage = self.counts[STAGE[lane]]
        stage["done"] += len(answered)
        if last:
            for code in misses:
                reason = self.first_miss[(lane, code)][1]
                stage["done"] += 1
                if code in remember:
                    self.outcome.misses[kind][code] = reason
                    stage["missed"] += 1
                else:  # an earlier provider could not be asked: not known to be unknown
                    self.outcome.failures[kind][code] = reason
                    stage["failed"] += 1
            for code, reason in failures.items():
                first = self.first_miss.get((lane, code))
                self.outcome.failures[kind][code] = first[1] if first else reason
                stage["done"] += 1
                stage["failed"] += 1
        else:
            nxt = self.feeds[lane][i + 1]
            for item in batch:
                if item.code in misses or item.code in failures:
                    nxt.put(item)
        # what follows from the answers
        if lane == MATCH:
            for code in answered:
                for asin in answer.matches[code]:
                    self.asin_rows[asin] += self.rows.get(code, 1)
                    self._route(asin)
        elif lane == ATTRIBUTES:
            for code in answered:
                self._route(code)
        elif lane == PRICING:
            for item in batch:
                if item.code in answered or (last and (item.code in misses or item.code in failures)):
                    self.finished[PRICING].add(item.code)
                    self._route(item.code)

    def _label_matches(self, records: list[dict], matches: Mapping[str, list[str]], answered: set[str]) -> None:
        """Make sure each matched record carries the code it was matched by, so the identifier
        index (what scans join on) reaches it whatever spelling the provider returned."""
        by_asin = {r["asin"]: r for r in records}
        for code in answered:
            ident = self.idents.get(code)
            if ident is None or ident.family == "asin":
                continue
            for asin in matches[code]:
                record = by_asin.get(asin)
                if record is None:
                    if asin not in self.known:
                        continue
                    record = {"marketplace": self.mp, "asin": asin}
                    stamp = self.known[asin].get("updated_at")
                    if stamp:
                        record["updated_at"] = stamp
                    records.append(record)
                    by_asin[asin] = record
                idents = dict(record.get("identifiers") or {})
                held = {key for key, _, _ in index_of({"identifiers": idents})}
                held |= {key for key, _, _ in index_of(self.known.get(asin, {}))}
                if ident.key not in held:
                    idents[ident.family] = [*idents.get(ident.family, []), ident.value]
                    record["identifiers"] = idents

    def _observations(self, records: list[dict], kind: str) -> list[dict]:
        """History points from pricing answers, where the provider gave none itself."""
        if kind not in ("pricing", "offers"):
            return []
        out = []
        for record in records:
            seen = (record.get("provenance") or {}).get(kind) or {}
            observed = seen.get("observed_at") or record.get("updated_at")
            if not observed:
                continue
            obs = {"type": "observation", "marketplace": self.mp, "asin": record["asin"], "observed_at": observed}
            for name in ("buybox_price", "rank", "monthly_sold"):
                if isinstance(record.get(name), int):
                    obs[name] = record[name]
            counts = [record.get(n) for n in ("new_fba_offers_count", "new_fbm_offers_count")]
            if any(isinstance(c, int) for c in counts):
                obs["new_offers_count"] = sum(c for c in counts if isinstance(c, int))
            if len(obs) > 4:
                out.append(obs)
        return out

    # ---- routing ---------------------------------------------------------------------------------

    def _wanted(self, asin: str) -> set[str]:
        wanted = {k for k in self.kinds if k in ("pricing", "fees")}
        if asin in self.deep:
            wanted |= set(DEEP)
        return wanted

    def _route(self, asin: str) -> None:
        """Queue an ASIN for each later kind it still needs, once its prerequisites are there."""
        wanted = self._wanted(asin)
        for lane in DOWNSTREAM_LANES:
            kind = KIND[lane]
            if kind not in wanted or asin in self.routed[lane] or not self.chains[lane]:
                continue
            if asin not in self.known:
                continue  # no record to write to (its catalog data may still come)
            if lane == FEES and asin in self.routed[PRICING] and asin not in self.finished[PRICING]:
                continue  # fees wait for the price
            if (kind, asin) in self.remembered:
                self._settle(lane, asin)
                self.outcome.misses[kind][asin] = self.remembered[(kind, asin)]
                continue
            if not self._needs(kind, asin):
                self._settle(lane, asin)
                continue
            payload: Any = asin
            if lane == FEES:
                price = sale_price(self.known[asin])[0]
                if price is None:  # nothing to estimate fees at
                    self._settle(lane, asin)
                    continue
                payload = PricedItem(asin, price, self.fulfilment)
            self.routed[lane].add(asin)
            self.counts[STAGE[lane]]["total"] += 1
            self.feeds[lane][0].put(_Item(asin, payload))

    def _settle(self, lane: str, asin: str) -> None:
        """Nothing to ask of this lane for the ASIN (fresh, remembered as unknown, no price)."""
        self.routed[lane].add(asin)
        self.finished[lane].add(asin)

    def _needs(self, kind: str, asin: str) -> bool:
        """Whether the catalog lacks this kind of data for the ASIN or holds it stale."""
        record = self.known.get(asin)
        if record is None:
            return True
        provenance = record.get("provenance")
        if not isinstance(provenance, dict) or not provenance:
            return False  # demo or imported data: fresh, never paid for
        entry = provenance.get(kind)
        if not isinstance(entry, dict):
            return True
        try:
            observed = parse_timestamp(entry.get("observed_at"))
        except ValueError:  # unreadable: ask again
            return True
        if self._now() - observed > self.live.ttl[kind]:
            return True
        if kind == "fees":
            fees = record.get("amazon_fees")
            price = sale_price(record)[0]
            if not isinstance(fees, dict) or price is None:
                return price is not None
            return fees.get("price") != price or fees.get("fulfilment", "FBA") != self.fulfilment
        return False

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.live.clock(), UTC)

    # ---- the catalog (blocking: run through `run_blocking`) ---------------------------------------

    def _load(self, keys: list[str], asins: list[str], deep: list[str]) -> dict[str, list[str]]:
        """The catalog's ASINs of each key, the records of every ASIN concerned, and the misses
        remembered for them; returns key -> ASINs."""
        mp = self.mp
        reached: dict[str, list[str]] = {}
        with self.live.db.reader() as reader:
            for chunk in _chunks(keys):
                for key, asin in catalog_repo.asins_for_keys(reader, mp, chunk):
                    reached.setdefault(key, []).append(asin)
            wanted = list(dict.fromkeys([a for found in reached.values() for a in found] + asins + deep))
            for chunk in _chunks(wanted):
                self.known.update(catalog_repo.product_records(reader, mp, chunk))
        since = self._now() - self.live.ttl_misses
        table = ProviderMiss.__table__
        checks = [("catalog", keys + asins)] + [(k, wanted) for k in ("pricing", "fees") if k in self.kinds] \
            + [(k, deep) for k in DEEP]
        with self.live.db.session() as session:
            for kind, codes in checks:
                for chunk in _chunks(codes):
                    rows = session.execute(sa.select(table.c.code, table.c.reason).where(
                        table.c.marketplace == mp, table.c.kind == kind, table.c.code.in_(chunk),
                        table.c.observed_at >= since))
                    for code, reason in rows:
                        self.remembered[(kind, code)] = reason
        return reached

    def _write(self, records: list[dict], observations: list[dict], kind: str,
               misses: dict[str, tuple[str, str]]) -> dict[str, str]:
        """One answer into the catalog in one transaction; the ASINs whose record could not be
        stored, with why."""
        rejected: dict[str, str] = {}
        items: list[dict] = []
        untitled = [r["asin"] for r in records
                    if not r.get("title") and not (self.known.get(r["asin"]) or {}).get("title")]
        with self.live.db.session(write=True) as session:
            stored = catalog_repo.existing(session, self.mp, untitled) if untitled else {}
            for record in records:
                asin = record["asin"]
                record.setdefault("marketplace", self.mp)
                if not record.get("title"):
                    title = (self.known.get(asin) or {}).get("title")
                    if not title and asin in stored:
                        title = orjson.loads(stored[asin][1]).get("title")
                    if not title:
                        rejected[asin] = f"{kind} data for {asin}, a product the {self.mp} catalog does not hold"
                        continue
                    record["title"] = title
                items.append(record)
            for obs in observations:
                items.append({"type": "observation", "marketplace": self.mp, **obs})
            if items:
                batch = prepare_batch(list(enumerate(items, start=1)))
                report = catalog.write_prepared(session, batch)
                if report.rejected:
                    log.warning("%s answers not stored: %s", kind, "; ".join(report.messages[:5]))
            if misses:
                now = self._now()
                upsert(session, ProviderMiss.__table__, [
                    {"marketplace": self.mp, "kind": kind, "code": code, "reason": reason, "provider": provider,
                     "observed_at": now} for code, (provider, reason) in misses.items()],
                    keys=("marketplace", "kind", "code"))
        return rejected

    # ---- the start -----------------------------------------------------------------------------

    def _seed(self, reached: dict[str, list[str]], asins: list[str], deep: list[str]) -> None:
        match_feed = self.feeds[MATCH][0] if self.feeds[MATCH] else None
        attr_feed = self.feeds[ATTRIBUTES][0] if self.feeds[ATTRIBUTES] else None
        later: list[str] = []
        for key, ident in self.idents.items():
            found = reached.get(key, [])
            if "catalog" in self.kinds and (not found or any(self._needs("catalog", a) for a in found)):
                if ("catalog", key) in self.remembered:  # asked lately: no provider knows it
                    self.outcome.misses["catalog"][key] = self.remembered[("catalog", key)]
                elif match_feed is not None:
                    self.counts["match"]["total"] += 1
                    match_feed.put(_Item(key, ident))
                    continue
            for asin in found:
                self.asin_rows[asin] += self.rows.get(key, 1)
                later.append(asin)
        for asin in dict.fromkeys(asins + deep):
            self.asin_rows[asin] += self.rows.get(asin, 1 if asin in asins else 0)
            if ("catalog" in self.kinds or asin not in self.known) and self._needs("catalog", asin):
                if ("catalog", asin) in self.remembered:
                    self.outcome.misses["catalog"][asin] = self.remembered[("catalog", asin)]
                elif attr_feed is not None:
                    self.counts["match"]["total"] += 1
                    attr_feed.put(_Item(asin, asin))
                    continue
            later.append(asin)
        for asin in dict.fromkeys(later):
            self._route(asin)

    # ---- progress ---------------------------------------------------------------------------------

    def _report(self, force: bool = False) -> None:
        now = self.live.clock()
        if not force and now - self.last_report < self.live.progress_every:
            return
        self.last_report = now
        report = self.state(now)
        self.outcome.progress = report
        if self.progress is not None:
            self.progress(report)

    def state(self, now: float | None = None) -> dict:
        """Per stage done/total (codes and ASINs), which budgets the rest waits on, for how many
        of the caller's rows, and when each is expected done."""
        now = self.live.clock() if now is None else now
        stages = {stage: {"done": c["done"], "total": c["total"], "missed": c["missed"], "failed": c["failed"]}
                  for stage, c in self.counts.items() if c["total"]}
        pending: dict[tuple[str, str], list] = {}  # (provider, operation) -> [units, rows, batch]
        ahead = 0  # codes still to match: each will likely add an ASIN to price
        ahead_rows = 0
        for lane in (MATCH, ATTRIBUTES, PRICING, FEES, RESTRICTIONS, OFFERS):
            lane_items = 0
            for i, provider in enumerate(self.chains[lane]):
                feed = self.feeds[lane][i]
                waiting = list(feed.items) + feed.in_flight
                items = len(waiting) + (ahead if lane in (PRICING, FEES) and i == 0 else 0)
                rows = sum(self._rows_of(item.code) for item in waiting) + (
                    ahead_rows if lane in (PRICING, FEES) and i == 0 else 0)
                lane_items += len(waiting)
                if not items:
                    continue
                operation = operation_of(provider, KIND[lane])
                units = items if operation in TOKEN_OPERATIONS else math.ceil(
                    items / max(1, int(provider.batch.get(KIND[lane], 1))))
                entry = pending.setdefault((provider.name, operation), [0, 0])
                entry[0] += units
                entry[1] += rows
            if lane in (MATCH, ATTRIBUTES, PRICING):
                ahead += lane_items if lane != PRICING else 0
                if lane != PRICING:
                    ahead_rows += sum(self._rows_of(item.code) for i in range(len(self.chains[lane]))
                                      for item in (*self.feeds[lane][i].items, *self.feeds[lane][i].in_flight))
        states = {(s.key.provider, s.key.operation): s for s in self.live.budgets.states(self.live.account_id)}
        waiting_on = []
        for (provider, operation), (units, rows) in pending.items():
            state = states.get((provider, operation))
            if state is None:
                rate, burst = Budgets.limits(provider, operation)
                state = BudgetState(BudgetKey(provider, operation, self.live.account_id), rate, burst, 0.0,
                                    "documented", 0, now)
            waiting_on.append({"operation": operation, "provider": provider, "rows": rows,
                               "expected_done_at": _iso(state.eta(units))})
        waiting_on.sort(key=lambda w: w["expected_done_at"])
        return {"stages": stages, "waiting_on": waiting_on,
                "expected_finish_at": waiting_on[-1]["expected_done_at"] if waiting_on else None}

    def _rows_of(self, code: str) -> int:
        return self.rows.get(code) or self.asin_rows.get(code) or 1
