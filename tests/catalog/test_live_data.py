"""LiveData against provider doubles on a virtual clock: what is asked, in which order, how the
stages overlap, what is remembered, and what lands in the catalog."""

from __future__ import annotations

import asyncio
import math

import pytest
import sqlalchemy as sa

from sellerkit.catalog import repository as repo
from sellerkit.catalog.providers.models import ProviderMiss
from sellerkit.catalog.providers.service import LiveData
from sellerkit.catalog.snapshot import snapshots
from sellerkit.config import Settings
from sellerkit.domain import identifiers as ids
from sellerkit.domain.identifiers import gtin_check_digit
from tests.catalog.factories import product
from tests.catalog.live_fakes import (FakeProvider, VirtualClock, VirtualLoop, fee_estimate, inline,
                                      instant_budgets, virtual_budgets)
from tests.conftest import import_records

DIMS = {"length": 9, "width": 6, "height": 2, "weight": 0.8}


def upc(n: int) -> str:
    body = f"7{n:010d}"
    return body + gtin_check_digit(body)


def amazon_product(n: int, **fields) -> dict:
    """What the provider double knows of product n (the local catalog does not)."""
    return product(f"B0{n:08d}", title=f"Live {n}", brand="Acme", category="Toys & Games", rank=1000 + n,
                   package_dimensions=DIMS, identifiers={"upc": [upc(n)]}, buybox_price=2000 + n, **fields)


def key(n: int) -> str:
    return ids.parse(upc(n)).key


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, demo=False, embedded_worker=False)


def run(clock: VirtualClock, coro):
    with asyncio.Runner(loop_factory=lambda: VirtualLoop(clock)) as runner:
        return runner.run(coro)


def live(db, settings, clock, providers, **kw) -> LiveData:
    budgets = providers[0].budgets if providers else virtual_budgets(clock)
    return LiveData(db, settings, providers, 1, "US", budgets=budgets, clock=clock, run_blocking=inline, **kw)


def record(db, asin: str, marketplace: str = "US") -> dict | None:
    with db.reader() as reader:
        return repo.product_records(reader, marketplace, [asin]).get(asin)


def codes(*numbers: int) -> list[ids.Identifier]:
    return [ids.parse(upc(n)) for n in numbers]


class TestWhatIsAsked:
    def test_only_what_the_catalog_lacks_is_asked_in_order_of_cost(self, db, settings, clock):
        import_records(db, [product("B000000001", identifiers={"upc": [upc(1)]}, buybox_price=999)])  # imported
        spapi = FakeProvider([amazon_product(n) for n in (1, 2, 3)], clock=clock, budgets=virtual_budgets(clock))
        outcome = run(clock, live(db, settings, clock, [spapi]).ensure(codes(1, 2, 3, 4)))
        # the imported product (no provenance) is fresh: nothing is spent on it
        assert sorted(spapi.asked("match")) == sorted([key(2), key(3), key(4)])
        assert sorted(spapi.asked("pricing")) == ["B000000002", "B000000003"]
        assert sorted(spapi.asked("fees")) == ["B000000002", "B000000003"]
        assert [c.method for c in spapi.calls] == ["match", "pricing", "fees"]
        assert outcome.unknown == {key(4): "Amazon has no product with this UPC in US"}
        assert spapi.asked("restrictions") == spapi.asked("offers") == []
        stored = record(db, "B000000002")
        assert stored["title"] == "Live 2" and stored["buybox_price"] == 2002 and stored["rank"] == 1002
        assert stored["amazon_fees"] == fee_estimate(2002, "FBA", 300)
        assert set(stored["provenance"]) == {"catalog", "pricing", "fees"}
        assert record(db, "B000000001")["buybox_price"] == 999  # untouched

    def test_answers_are_indexed_revision_bumped_and_history_kept(self, db, settings, clock, tmp_path):
        spapi = FakeProvider([amazon_product(5)], clock=clock, budgets=virtual_budgets(clock),
                             label_identifiers=False)  # the provider returns no identifiers
        run(clock, live(db, settings, clock, [spapi]).ensure(codes(5)))
        frame = snapshots.current(db, tmp_path, "US")
        assert frame.keys.filter(frame.keys["key"] == key(5))["asin"].to_list() == ["B000000005"]
        assert frame.products.filter(frame.products["asin"] == "B000000005")["buybox_price"].to_list() == [2005]
        with db.reader() as reader:
            history = reader.rows("SELECT asin, buybox_price FROM observations", ())
        assert history == [("B000000005", 2005)]

    def test_a_rescan_within_the_ttl_asks_nothing(self, db, settings, clock):
        products = [amazon_product(n) for n in range(1, 30)]
        first = FakeProvider(products, clock=clock, budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [first]).ensure(codes(*range(1, 31))))
        assert first.count("match") == 2 and first.count("pricing") == 2 and first.count("fees") == 2
        clock.advance(3600)
        again = FakeProvider(products, clock=clock, budgets=virtual_budgets(clock))
        outcome = run(clock, live(db, settings, clock, [again]).ensure(codes(*range(1, 31))))
        assert again.calls == []
        assert outcome.unknown == {key(30): "Amazon has no product with this UPC in US"}  # remembered

    def test_each_kind_goes_stale_after_its_own_ttl(self, db, settings, clock):
        products = [amazon_product(1)]
        run(clock, live(db, settings, clock, [FakeProvider(products, clock=clock,
                                                           budgets=virtual_budgets(clock))]).ensure(codes(1)))
        clock.advance(settings.ttl_pricing.total_seconds() + 1)  # prices are stale, catalog data is not
        again = FakeProvider([amazon_product(1) | {"buybox_price": 2500}], clock=clock,
                             budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [again]).ensure(codes(1)))
        assert [c.method for c in again.calls] == ["pricing", "fees"]
        assert again.calls[1].codes == ["B000000001"]
        assert record(db, "B000000001")["amazon_fees"]["price"] == 2500  # fees follow the new price
        clock.advance(settings.ttl_catalog.total_seconds() + 1)
        third = FakeProvider(products, clock=clock, budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [third]).ensure(codes(1)))
        assert third.asked("match") == [key(1)]

    def test_fees_are_asked_again_when_the_price_or_fulfilment_changes(self, db, settings, clock):
        spapi = FakeProvider([amazon_product(1)], clock=clock, budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [spapi]).ensure(codes(1)))
        again = FakeProvider([amazon_product(1)], clock=clock, budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [again]).ensure(codes(1), fulfilment="FBM"))
        assert [c.method for c in again.calls] == ["fees"]
        assert record(db, "B000000001")["amazon_fees"] == fee_estimate(2001, "FBM", 300)

    def test_asins_the_catalog_lacks_are_asked_for_their_attributes(self, db, settings, clock):
        spapi = FakeProvider([amazon_product(7)], clock=clock, budgets=virtual_budgets(clock))
        outcome = run(clock, live(db, settings, clock, [spapi]).ensure(asins=["B000000007", "B0NOTHERE1"]))
        assert sorted(spapi.asked("attributes")) == ["B000000007", "B0NOTHERE1"]
        assert spapi.asked("pricing") == ["B000000007"]
        assert outcome.unknown == {"B0NOTHERE1": "Amazon has no product with ASIN B0NOTHERE1 in US"}
        assert record(db, "B000000007")["title"] == "Live 7"

    def test_deep_kinds_only_for_the_asins_named(self, db, settings, clock):
        products = [amazon_product(n, restricted=n == 2) for n in (1, 2, 3)]
        spapi = FakeProvider(products, clock=clock, budgets=virtual_budgets(clock))
        data = live(db, settings, clock, [spapi])
        run(clock, data.ensure(codes(1, 2, 3)))
        before = len(spapi.calls)
        run(clock, data.ensure(deep=["B000000002", "B000000003"], kinds=()))
        later = spapi.calls[before:]
        assert sorted(c.codes[0] for c in later if c.method == "restrictions") == ["B000000002", "B000000003"]
        assert sorted(spapi.asked("offers")) == ["B000000002", "B000000003"]
        assert {c.method for c in later} == {"restrictions", "offers"}
        assert record(db, "B000000002")["restrictions"]["restricted"] is True
        assert "restrictions" not in record(db, "B000000001")


class TestMisses:
    def test_a_miss_is_remembered_for_its_ttl(self, db, settings, clock):
        spapi = FakeProvider([], clock=clock, budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [spapi]).ensure(codes(9)))
        with db.session() as session:
            rows = session.execute(sa.select(ProviderMiss.kind, ProviderMiss.code, ProviderMiss.provider,
                                             ProviderMiss.reason)).all()
        assert rows == [("catalog", key(9), "spapi", "Amazon has no product with this UPC in US")]
        clock.advance(settings.ttl_misses.total_seconds() - 60)
        again = FakeProvider([], clock=clock, budgets=virtual_budgets(clock))
        outcome = run(clock, live(db, settings, clock, [again]).ensure(codes(9)))
        assert again.calls == [] and outcome.unknown == {key(9): "Amazon has no product with this UPC in US"}
        clock.advance(120)
        third = FakeProvider([], clock=clock, budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [third]).ensure(codes(9)))
        assert third.asked("match") == [key(9)]

    def test_what_the_first_provider_cannot_answer_goes_to_the_next(self, db, settings, clock):
        budgets = virtual_budgets(clock)
        spapi = FakeProvider([amazon_product(1)], clock=clock, budgets=budgets)
        keepa = FakeProvider([amazon_product(1), amazon_product(2)], name="keepa", clock=clock, budgets=budgets,
                             kinds=frozenset({"catalog", "pricing", "offers"}), batch={"catalog": 100})
        outcome = run(clock, live(db, settings, clock, [spapi, keepa]).ensure(codes(1, 2, 3)))
        assert sorted(spapi.asked("match")) == sorted([key(1), key(2), key(3)])
        assert sorted(keepa.asked("match")) == sorted([key(2), key(3)])  # SP-API's misses only
        assert record(db, "B000000002")["provenance"]["catalog"]["provider"] == "keepa"
        assert sorted(spapi.asked("fees")) == ["B000000001", "B000000002"]  # Keepa has no fees
        # both said they do not know it: remembered with Amazon's reason
        assert outcome.unknown == {key(3): "Amazon has no product with this UPC in US"}

    def test_a_failure_is_not_remembered_as_a_miss(self, db, settings, clock):
        budgets = virtual_budgets(clock)
        spapi = FakeProvider([], clock=clock, budgets=budgets, failing={key(3)})
        keepa = FakeProvider([], name="keepa", clock=clock, budgets=budgets, kinds=frozenset({"catalog"}))
        outcome = run(clock, live(db, settings, clock, [spapi, keepa]).ensure(codes(3)))
        assert keepa.asked("match") == [key(3)]
        assert outcome.unknown == {} and outcome.unreached == {key(3): "keepa has no product with this UPC in US"}
        with db.session() as session:
            assert session.execute(sa.select(sa.func.count()).select_from(ProviderMiss)).scalar() == 0

    def test_a_provider_that_raises_fails_its_batch_not_the_run(self, db, settings, clock):
        spapi = FakeProvider([amazon_product(1, list_price=1999), amazon_product(2)], clock=clock,
                             budgets=virtual_budgets(clock))

        async def broken(marketplace, asins):
            raise RuntimeError("connection reset")

        spapi.pricing = broken
        outcome = run(clock, live(db, settings, clock, [spapi]).ensure(codes(1, 2)))
        assert outcome.failures["pricing"] == {a: "spapi: RuntimeError: connection reset"
                                               for a in ("B000000001", "B000000002")}
        assert spapi.asked("fees") == ["B000000001"]  # at the best price known; none is known for 2
        assert record(db, "B000000001")["amazon_fees"]["price"] == 1999


class Crash(Exception):
    pass


class TestCrash:
    def test_a_run_stopped_half_way_loses_nothing_and_asks_nothing_twice(self, db, settings, clock):
        products = [amazon_product(n) for n in range(100)]
        first = FakeProvider(products, clock=clock, budgets=virtual_budgets(clock))
        reports = []

        def stop_after_some(report):
            reports.append(report)
            if first.count("match") >= 3:
                raise Crash

        with pytest.raises(Crash):
            run(clock, live(db, settings, clock, [first], progress_every=0.0).ensure(
                codes(*range(100)), progress=stop_after_some))
        assert first.count("match") == 3 and first.count("pricing") >= 1
        second = FakeProvider(products, clock=clock, budgets=virtual_budgets(clock))
        run(clock, live(db, settings, clock, [second]).ensure(codes(*range(100))))
        for method in ("match", "pricing", "fees"):
            answered = set(first.asked(method)) if method == "match" else {
                a for a in first.asked(method) if set(record(db, a)["provenance"]) >= {method}}
            assert not answered & set(second.asked(method)), method
            assert len(set(first.asked(method)) | set(second.asked(method))) == 100
        assert all(set(record(db, f"B0{n:08d}")["provenance"]) == {"catalog", "pricing", "fees"} for n in range(100))


class TestPipelining:
    def test_stages_overlap_and_finish_within_a_tenth_of_the_slowest_operation(self, db, settings, clock):
        n = 400  # 20 calls of each operation at the documented limits
        spapi = FakeProvider([amazon_product(i) for i in range(n)], clock=clock, budgets=virtual_budgets(clock),
                             latency=0.3)
        start = clock()
        run(clock, live(db, settings, clock, [spapi]).ensure(codes(*range(n))))
        elapsed = clock() - start
        match = [c for c in spapi.calls if c.method == "match"]
        pricing = [c for c in spapi.calls if c.method == "pricing"]
        fees = [c for c in spapi.calls if c.method == "fees"]
        assert len(match) == len(pricing) == len(fees) == 20
        assert pricing[0].started < match[-1].ended  # pricing of batch 1 begins while matching goes on
        assert fees[0].started < pricing[-1].ended  # and fees follow pricing batch by batch
        slowest = (20 - 1) / 0.5 + 0.3  # getCompetitivePricing and getMyFeesEstimates: 0.5 a second, burst 1
        assert elapsed <= 1.1 * slowest, (elapsed, slowest)

    def test_progress_says_which_budget_rows_wait_on_and_when_they_will_be_done(self, db, settings, clock):
        n = 200
        spapi = FakeProvider([amazon_product(i) for i in range(n)], clock=clock, budgets=virtual_budgets(clock))
        reports = []
        run(clock, live(db, settings, clock, [spapi], progress_every=1.0).ensure(
            codes(*range(n)), rows={key(i): 2 for i in range(n)}, progress=reports.append))
        early = reports[1]
        waiting = {w["operation"]: w for w in early["waiting_on"]}
        assert {"getCompetitivePricing", "getMyFeesEstimates"} <= set(waiting)
        assert 0 < waiting["getCompetitivePricing"]["rows"] <= 2 * n
        assert early["expected_finish_at"] == max(w["expected_done_at"] for w in early["waiting_on"])
        assert early["stages"]["match"]["total"] == n
        final = reports[-1]
        assert final["waiting_on"] == [] and final["expected_finish_at"] is None
        assert final["stages"] == {s: {"done": n, "total": n, "missed": 0, "failed": 0}
                                   for s in ("match", "pricing", "fees")}

    def test_no_providers_asks_nothing_and_writes_nothing(self, db, settings, clock):
        outcome = run(clock, live(db, settings, clock, []).ensure(codes(1, 2)))
        assert outcome.unknown == {} and outcome.calls == {}
        assert record(db, "B000000001") is None


def test_instant_budgets_on_a_real_loop(db, settings):
    """The same pipeline on an ordinary event loop, its waits added to a clock (no real time)."""
    clock = VirtualClock()
    spapi = FakeProvider([amazon_product(i) for i in range(60)], clock=clock, budgets=instant_budgets(clock))
    data = LiveData(db, settings, [spapi], 1, "US", budgets=spapi.budgets, clock=clock)
    asyncio.run(data.ensure(codes(*range(60))))
    assert spapi.count("pricing") == 3 and spapi.count("fees") == 3
    assert clock() - 1_800_000_000.0 >= math.floor((3 - 1) / 0.5)
