"""`GET /products/lookup` with live data: codes the catalog lacks are fetched through LiveData (a
provider double) within the time budget before answering."""

from __future__ import annotations

import asyncio
import time

import pytest

from sellerkit.catalog import lookup as lookup_module
from sellerkit.config import Settings
from tests.catalog.factories import product
from tests.catalog.live_fakes import FakeProvider, VirtualClock, instant_budgets
from tests.catalog.test_live_data import amazon_product, upc
from tests.conftest import import_records, make_client

LOOKUP = "/products/lookup"


@pytest.fixture
def spapi(monkeypatch) -> FakeProvider:
    clock = VirtualClock(time.time())
    provider = FakeProvider([amazon_product(n) for n in range(1, 4)], clock=clock, budgets=instant_budgets(clock))
    monkeypatch.setattr(lookup_module, "providers_for", lambda db, settings, budgets, account: [provider])
    return provider


def lookup(client, key, **params):
    return client.get(LOOKUP, params={"key": key, **params})


class TestLiveLookup:
    def test_a_code_the_catalog_lacks_is_fetched_and_answered(self, client, new_key, spapi):
        r = lookup(client, new_key().key, upc=f"{upc(1)},{upc(2)}")
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(i["asin"], i["title"], i["bsr"]) for i in items] == [("B000000001", "Live 1", 1001),
                                                                       ("B000000002", "Live 2", 1002)]
        assert items[0]["totalNew"] == 1  # from the prices fetched with it
        assert len(spapi.asked("match")) == 2 and sorted(spapi.asked("pricing")) == ["B000000001", "B000000002"]
        assert spapi.asked("fees") == []  # a look-up shows no fees: no quota spent on them
        assert spapi.closed

    def test_an_asin_is_fetched_by_asin_and_a_fresh_one_asks_nothing(self, client, new_key, spapi):
        key = new_key().key
        assert [i["title"] for i in lookup(client, key, asin="B000000003").json()["items"]] == ["Live 3"]
        assert spapi.asked("attributes") == ["B000000003"]
        calls = len(spapi.calls)
        assert [i["title"] for i in lookup(client, key, asin="B000000003").json()["items"]] == ["Live 3"]
        assert len(spapi.calls) == calls

    def test_the_catalogs_own_products_cost_no_quota(self, client, db, new_key, spapi):
        import_records(db, [product("B000000001", title="Imported", identifiers={"upc": [upc(1)]})])
        items = lookup(client, new_key().key, upc=upc(1)).json()["items"]
        assert [i["title"] for i in items] == ["Imported"] and spapi.calls == []

    def test_a_refused_request_asks_nothing(self, client, new_key, spapi):
        r = lookup(client, new_key("free", plan=None).key, upc=upc(1))
        assert r.status_code == 403 and spapi.calls == []

    def test_past_the_time_budget_it_answers_from_the_catalog(self, db, tmp_path, new_key, spapi):
        async def slow(marketplace, codes):
            await asyncio.sleep(30)

        spapi.match = slow
        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, spapi_time_budget=0.2)
        with make_client(db, settings) as client:
            started = time.monotonic()
            r = lookup(client, new_key().key, upc=upc(1))
            assert time.monotonic() - started < 5
        assert r.status_code == 200 and r.json()["items"] == [] and spapi.closed
