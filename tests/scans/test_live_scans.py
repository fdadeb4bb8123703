"""Scans with live data: a provider double (tests/catalog/live_fakes.py) stands in for SP-API, on a
virtual clock, so the budgets' documented limits are really waited for and no real time passes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from sellerkit.config import Settings
from sellerkit.domain import identifiers as ids
from sellerkit.domain import results
from sellerkit.scans import runner as runner_module
from sellerkit.scans.runner import Runner
from sellerkit.scans.schemas import ResultsQuery, UploadRequest
from sellerkit.scans.service import scans
from tests.catalog.factories import product
from tests.catalog.live_fakes import FakeProvider, VirtualClock, VirtualLoop, inline, virtual_budgets
from tests.catalog.test_live_data import amazon_product, key, upc
from tests.conftest import import_records
from tests.scans.test_endpoints import upload, wait

UNKNOWN = 99  # a code the provider does not know


def supplier(numbers: list[int]) -> str:
    return "UPC,Cost,SKU\n" + "".join(f"{upc(n)},5.00,S{n}\n" for n in numbers)


def create(db, data_dir: Path, account: int, text: str, **options) -> int:
    path = data_dir / "up.csv"
    path.write_text(text)
    request = UploadRequest.model_validate({"mapping": {"id": 0, "cost": 1, "supplier_sku": 2},
                                            "options": {"marketplace_id": "US", "header": True, **options}})
    with db.session(write=True) as session:
        return scans.create(session, account, data_dir, path, "up.csv", request).id


class Live:
    """Runners whose account has the given providers, on one virtual clock."""

    def __init__(self, db, tmp_path: Path, monkeypatch) -> None:
        self.db, self.tmp_path = db, tmp_path
        self.clock = VirtualClock()
        self.budgets = virtual_budgets(self.clock)
        self.providers: list = []
        self.settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, scan_chunk_rows=50)
        monkeypatch.setattr(runner_module, "providers_for", lambda db, settings, budgets, account: self.providers)

    def provider(self, products: list[dict], **kw) -> FakeProvider:
        return FakeProvider(products, clock=self.clock, budgets=self.budgets, **kw)

    def runner(self, cls=Runner, **kw) -> Runner:
        runner = cls(self.db, self.settings, **kw)
        runner.budgets = self.budgets
        runner.loop_factory = lambda: VirtualLoop(self.clock)
        runner.live_options = {"clock": self.clock, "run_blocking": inline}
        return runner

    def rows(self, account: int, scan_id: int, table: str = "products"):
        with self.db.session() as session:
            scan = scans.get(session, account, scan_id)
        return scans.select(scan, self.tmp_path, ResultsQuery(table_type=table), paged=False)[1]

    def view(self, account: int, scan_id: int) -> dict:
        with self.db.session() as session:
            return scans.view(scans.get(session, account, scan_id))

    def rerun(self, account: int, scan_id: int) -> None:
        with self.db.session(write=True) as session:
            scans.restart(session, scans.get(session, account, scan_id), self.tmp_path)


@pytest.fixture
def live(db, tmp_path, monkeypatch) -> Live:
    return Live(db, tmp_path, monkeypatch)


@pytest.fixture
def account(new_key) -> int:
    return new_key().account_id


class TestScanWithLiveData:
    def test_codes_the_catalog_lacks_are_matched_priced_and_profitable(self, live, account):
        spapi = live.provider([amazon_product(n) for n in range(1, 6)])
        live.providers = [spapi]
        scan_id = create(live.db, live.tmp_path, account, supplier([1, 2, 3, 4, 5, UNKNOWN, 3]))
        assert live.runner().run(scan_id) == "Success"
        rows = live.rows(account, scan_id).sort("inputs.line")
        assert rows.height == 6
        first = rows.row(0, named=True)
        assert (first["asin"], first["amazon_title"], first["brand"], first["rank"], first["buybox_price"]) == \
            ("B000000001", "Live 1", "Acme", 1001, 2001)
        assert first["dimensions.package_dimensions.length"] == 9
        assert rows.get_column("amazon_fees.total").is_not_null().all()
        assert rows.get_column("financials.profit").is_not_null().all()
        assert rows.get_column("flags").list.contains("demo_data").not_().all()
        errors = live.rows(account, scan_id, "errors")
        assert errors.select("identifier", "reason").rows() == [
            (upc(UNKNOWN), "identifier: Amazon has no product with this UPC in US")]
        assert spapi.count("match") == 1 and len(spapi.asked("match")) == 6  # each code once
        assert spapi.closed

    def test_the_status_says_how_the_quota_was_spent(self, live, account):
        live.providers = [live.provider([amazon_product(n) for n in range(1, 6)])]
        scan_id = create(live.db, live.tmp_path, account, supplier([1, 2, 3, 4, 5, UNKNOWN]))
        live.runner().run(scan_id)
        enrichment = live.view(account, scan_id)["enrichment"]
        assert enrichment == {
            "stage": "done", "providers": ["spapi"],
            "stages": {"match": {"done": 6, "total": 6, "missed": 1, "failed": 0},
                       "pricing": {"done": 5, "total": 5, "missed": 0, "failed": 0},
                       "fees": {"done": 5, "total": 5, "missed": 0, "failed": 0}},
            "waiting_on": [], "expected_finish_at": None, "unavailable": []}

    def test_while_it_runs_the_status_names_the_budgets_rows_wait_on(self, live, account):
        live.providers = [live.provider([amazon_product(n) for n in range(200)])]
        scan_id = create(live.db, live.tmp_path, account, supplier(list(range(200)) * 2))
        seen = []

        class Watching(Runner):
            def _checkpoint(self, scan_id, **fields):
                super()._checkpoint(scan_id, **fields)
                if "enrichment" in fields:
                    seen.append(orjson.loads(fields["enrichment"]))

        live.runner(Watching).run(scan_id)
        waiting = [e for e in seen if e["waiting_on"]]
        assert waiting, seen
        middle = waiting[len(waiting) // 2]
        assert middle["stage"] in ("match", "pricing", "fees")
        operations = {w["operation"] for w in middle["waiting_on"]}
        assert operations & {"getCompetitivePricing", "getMyFeesEstimates"}
        assert all(0 < w["rows"] <= 400 and w["provider"] == "spapi" for w in middle["waiting_on"])
        assert middle["expected_finish_at"] == max(w["expected_done_at"] for w in middle["waiting_on"])
        assert seen[-1]["stage"] == "done" and seen[-1]["waiting_on"] == []

    def test_a_rescan_within_the_ttl_asks_nothing(self, live, account):
        live.providers = [live.provider([amazon_product(n) for n in range(1, 6)])]
        scan_id = create(live.db, live.tmp_path, account, supplier([1, 2, 3, 4, 5, UNKNOWN]))
        live.runner().run(scan_id)
        before = live.rows(account, scan_id)
        live.clock.advance(3600)
        again = live.provider([amazon_product(n) for n in range(1, 6)])
        live.providers = [again]
        live.rerun(account, scan_id)
        assert live.runner().run(scan_id) == "Success"
        assert again.calls == []
        assert live.rows(account, scan_id).select("asin", "buybox_price", "amazon_fees.total").equals(
            before.select("asin", "buybox_price", "amazon_fees.total"))
        assert live.rows(account, scan_id, "errors").get_column("reason").to_list() == [
            "identifier: Amazon has no product with this UPC in US"]  # the remembered miss

    def test_a_cancelled_scan_resumed_asks_nothing_twice(self, live, account):
        numbers = list(range(100))
        first = live.provider([amazon_product(n) for n in numbers])
        live.providers = [first]
        scan_id = create(live.db, live.tmp_path, account, supplier(numbers))
        original = first.match

        async def match_then_cancel(marketplace, codes):
            answer = await original(marketplace, codes)
            if first.count("match") == 2:
                with live.db.session(write=True) as session:
                    scans.request_cancel(session, scans.get(session, account, scan_id))
            return answer

        first.match = match_then_cancel
        assert live.runner().run(scan_id) == "Cancelled"
        assert 2 <= first.count("match") < 5
        second = live.provider([amazon_product(n) for n in numbers])
        live.providers = [second]
        live.rerun(account, scan_id)
        assert live.runner().run(scan_id) == "Success"
        assert not set(first.asked("match")) & set(second.asked("match"))
        assert len(set(first.asked("match")) | set(second.asked("match"))) == 100
        assert live.rows(account, scan_id).height == 100

    def test_a_run_stopped_while_writing_results_resumes_with_the_same_columns(self, live, account):
        numbers = list(range(120))
        live.providers = [live.provider([amazon_product(n) for n in numbers])]
        scan_id = create(live.db, live.tmp_path, account, supplier(numbers))
        assert live.runner(StopsWriting).run(scan_id) is None  # shutting down: left to resume
        assert 0 < live.view(account, scan_id)["processed"] < 120
        again = live.provider([amazon_product(n) for n in numbers])
        live.providers = [again]
        assert live.runner().run(scan_id) == "Success"
        assert again.calls == []  # what the first run wrote is fresh
        rows = live.rows(account, scan_id)
        assert rows.height == 120 and "fees.amazon_total" in rows.columns

    def test_an_asin_column_is_looked_up_by_asin(self, live, account):
        spapi = live.provider([amazon_product(7)])
        live.providers = [spapi]
        scan_id = create(live.db, live.tmp_path, account, "ASIN,Cost,SKU\nB000000007,5,A\nB0NOTHERE1,5,B\n")
        assert live.runner().run(scan_id) == "Success"
        assert live.rows(account, scan_id).get_column("amazon_title").to_list() == ["Live 7"]
        assert live.rows(account, scan_id, "errors").get_column("reason").to_list() == [
            "identifier: Amazon has no product with ASIN B0NOTHERE1 in US"]


class TestEnrichFilter:
    def test_restrictions_and_offers_only_for_rows_passing_the_filter(self, live, account):
        spapi = live.provider([amazon_product(n, restricted=n == 5) for n in range(1, 6)])
        live.providers = [spapi]
        # buybox prices are 20.01 ... 20.05
        scan_id = create(live.db, live.tmp_path, account, supplier([1, 2, 3, 4, 5]),
                         enrich_filter=[{"name": "buybox_price", "operator": ">", "value": 20.03}])
        assert live.runner().run(scan_id) == "Success"
        asked = sorted(c.codes[0] for c in spapi.calls if c.method == "restrictions")
        assert asked == ["B000000004", "B000000005"]
        assert sorted(spapi.asked("offers")) == ["B000000004", "B000000005"]
        rows = live.rows(account, scan_id).sort("asin")
        assert rows.get_column("restricted").to_list() == [None, None, None, False, True]
        assert rows.get_column("restriction_reasons").to_list()[3:] == [
            [], ["You need approval to list in this brand"]]
        objects = scans.results(_scan(live, account, scan_id), live.tmp_path, ResultsQuery(sort="asin"))["data"]
        assert objects[4]["restricted"] is True and objects[4]["restriction_reasons"] == [
            "You need approval to list in this brand"]
        enrichment = live.view(account, scan_id)["enrichment"]
        assert enrichment["stages"]["restrictions"] == {"done": 2, "total": 2, "missed": 0, "failed": 0}
        assert enrichment["stage"] == "done"

    def test_an_empty_filter_checks_every_row_and_none_checks_none(self, live, account):
        spapi = live.provider([amazon_product(n) for n in range(1, 4)])
        live.providers = [spapi]
        scan_id = create(live.db, live.tmp_path, account, supplier([1, 2, 3]))
        live.runner().run(scan_id)
        assert spapi.asked("offers") == [] and spapi.asked("restrictions") == []
        every = create(live.db, live.tmp_path, account, supplier([1, 2, 3]), enrich_filter=[])
        live.runner().run(every)
        assert sorted(spapi.asked("offers")) == ["B000000001", "B000000002", "B000000003"]

    def test_a_bad_filter_is_refused_at_upload(self, db, settings, new_key):
        from tests.conftest import make_client

        with make_client(db, settings) as client:
            r = upload(client, {"Authorization": f"Bearer {new_key().key}"}, "UPC,Cost\n036000291452,1\n",
                       enrich_filter=[{"name": "profitt", "operator": ">", "value": 1}])
        assert r.status_code == 400
        assert r.json()["message"] == ('attributes.options.enrich_filter: [0].name: unknown field "profitt"; '
                                       'did you mean "profit"?')


class StopsWriting(Runner):
    """Shuts down once a part of results is on disk (the scan is left to resume)."""

    def _checkpoint(self, scan_id, **fields):
        super()._checkpoint(scan_id, **fields)
        if fields.get("processed"):
            self.stopping.set()


def _scan(live: Live, account: int, scan_id: int):
    with live.db.session() as session:
        return scans.get(session, account, scan_id)


class TestFeeCrossCheck:
    def test_amazons_estimate_beside_the_local_figure_and_a_difference_over_1_percent_flagged(self, live, account):
        products = [amazon_product(1), amazon_product(2)]
        live.providers = [live.provider(products)]
        scan_id = create(live.db, live.tmp_path, account, supplier([1, 2]))
        live.runner().run(scan_id)
        rows = live.rows(account, scan_id).sort("asin")
        local_fba = rows.get_column("amazon_fees.fba_fees").to_list()
        # Amazon's own figure: the double's 15% referral + an FBA fee; make 1 agree, 2 differ by $1
        live.clock.advance(live.settings.ttl_fees.total_seconds() + 1)
        products = [amazon_product(1, fba_fee=local_fba[0]), amazon_product(2, fba_fee=local_fba[1] + 100)]
        live.providers = [live.provider(products)]
        live.rerun(account, scan_id)
        live.runner().run(scan_id)
        rows = live.rows(account, scan_id).sort("asin")
        local = [r["amazon_fees.total"] - (r["amazon_fees.inbound_placement_fee"] or 0)
                 for r in rows.iter_rows(named=True)]
        amazon = rows.get_column("fees.amazon_total").to_list()
        assert amazon == [2001 * 15 // 100 + local_fba[0], 2002 * 15 // 100 + local_fba[1] + 100]
        assert amazon[0] == local[0]  # the same referral rate and FBA fee
        assert rows.get_column("fees.amazon_difference_percent").to_list() == [
            0.0, round((amazon[1] - local[1]) * 100 / local[1], 2)]
        assert rows.get_column("fees.amazon_mismatch").to_list() == [False, True]
        with live.db.session() as session:
            scan = scans.get(session, account, scan_id)
        mismatched = scans.results(scan, live.tmp_path, ResultsQuery(filter=[
            {"name": "amazon_mismatch", "operator": "=", "value": True}]))
        assert [p["asin"] for p in mismatched["data"]] == ["B000000002"]
        assert mismatched["data"][0]["fees"] == {
            "amazon_total": amazon[1], "amazon_difference_percent": rows["fees.amazon_difference_percent"][1],
            "amazon_mismatch": True}

    def test_an_estimate_at_another_price_is_not_compared(self, live, account):
        import_records(live.db, [product("B000000001", title="Old", identifiers={"upc": [upc(1)]},
                                         buybox_price=1500, package_dimensions={"length": 9, "width": 6,
                                                                                "height": 2, "weight": 0.8},
                                         category="Toys & Games",
                                         amazon_fees={"price": 1400, "currency": "USD", "fulfilment": "FBA",
                                                      "total": 510, "referral": 210, "fba": 300})])
        scan_id = create(live.db, live.tmp_path, account, supplier([1]))
        live.providers = []
        assert live.runner().run(scan_id) == "Success"
        row = live.rows(account, scan_id).row(0, named=True)
        assert row["fees.amazon_total"] is None and row["fees.amazon_mismatch"] is None


class TestWithoutLiveData:
    def test_the_status_says_once_what_is_unavailable_and_what_turns_it_on(self, live, account):
        import_records(live.db, [product("B000000001", identifiers={"upc": [upc(1)]}, buybox_price=999)])
        scan_id = create(live.db, live.tmp_path, account, supplier([1, UNKNOWN]))
        assert live.runner().run(scan_id) == "Success"
        enrichment = live.view(account, scan_id)["enrichment"]
        assert enrichment["stage"] is None and enrichment["providers"] == [] and enrichment["stages"] == {}
        assert [u["data"] for u in enrichment["unavailable"]] == ["catalog", "pricing", "fees", "offers",
                                                                 "restrictions"]
        assert all("SELLERKIT_SPAPI_REFRESH_TOKEN" in u["turn_on"] for u in enrichment["unavailable"])
        assert live.rows(account, scan_id, "errors").get_column("reason").to_list() == [
            f"identifier: no product in the US catalog for code {upc(UNKNOWN)}"]
        # the results have exactly the columns they had before live data existed
        assert not set(results.LIVE_FIELDS) & set(live.rows(account, scan_id).columns)
        with pytest.raises(Exception, match="it comes with live data"):
            scans.select(_scan(live, account, scan_id), live.tmp_path, ResultsQuery(filter=[
                {"name": "restricted", "operator": "=", "value": True}]))

    def test_a_resumed_run_keeps_the_columns_it_started_with(self, live, account):
        import_records(live.db, [amazon_product(n) for n in range(120)])
        scan_id = create(live.db, live.tmp_path, account, supplier(list(range(120))))
        assert live.runner(StopsWriting).run(scan_id) is None
        # meanwhile live data reaches the catalog (another account's scan)
        import_records(live.db, [amazon_product(0) | {"restrictions": {"restricted": False, "reasons": []}}])
        assert live.runner().run(scan_id) == "Success"
        rows = live.rows(account, scan_id)
        assert rows.height == 120 and not set(results.LIVE_FIELDS) & set(rows.columns)

    def test_keepa_alone_leaves_fees_and_restrictions_unavailable(self, live, account):
        live.providers = [live.provider([amazon_product(1)], name="keepa",
                                        kinds=frozenset({"catalog", "pricing", "offers"}))]
        scan_id = create(live.db, live.tmp_path, account, supplier([1]))
        assert live.runner().run(scan_id) == "Success"
        enrichment = live.view(account, scan_id)["enrichment"]
        assert [u["data"] for u in enrichment["unavailable"]] == ["fees", "restrictions"]
        assert live.rows(account, scan_id).get_column("amazon_title").to_list() == ["Live 1"]

    def test_a_provider_for_another_marketplace_is_not_asked(self, live, account):
        uk = live.provider([amazon_product(1)], marketplaces={"UK"})
        live.providers = [uk]
        scan_id = create(live.db, live.tmp_path, account, supplier([1]))
        assert live.runner().run(scan_id) == "Success"
        assert uk.calls == [] and uk.closed
        assert live.view(account, scan_id)["enrichment"]["providers"] == []


class TestEndpoints:
    def test_a_scan_on_the_queue_uses_the_accounts_providers(self, db, worker_settings, new_key, monkeypatch):
        from tests.catalog.live_fakes import instant_budgets
        from tests.conftest import make_client

        clock = VirtualClock()
        spapi = FakeProvider([amazon_product(1)], clock=clock, budgets=instant_budgets(clock))
        monkeypatch.setattr(runner_module, "providers_for", lambda *args: [spapi])
        key_header = {"Authorization": f"Bearer {new_key().key}"}
        with make_client(db, worker_settings) as client:
            scan_id = upload(client, key_header, supplier([1, UNKNOWN])).json()["id"]
            done = wait(client, key_header, scan_id)
            errors = client.post(f"/api/v3/scans/{scan_id}", headers=key_header,
                                 json={"table_type": "errors"}).json()["data"]
        assert (done["status"], done["products"], done["errors"]) == ("Success", 1, 1)
        assert done["enrichment"]["stage"] == "done" and done["enrichment"]["providers"] == ["spapi"]
        assert errors[0]["reason"] == "identifier: Amazon has no product with this UPC in US"
        assert ids.parse(upc(1)).key == key(1)
