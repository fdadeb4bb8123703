"""The inbound eligibility service: SP-API answers, their cache, and the rules when Amazon has
none, on a real database (SQLite, and PostgreSQL when it answers), with Amazon faked by
httpx.MockTransport."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from sellerkit.catalog import repository as repo
from sellerkit.catalog.eligibility import eligibility
from sellerkit.catalog.spapi import SpApiClient
from sellerkit.errors import Invalid
from tests.catalog.factories import product
from tests.catalog.spapi_fakes import FakeAmazon, FakeTime
from tests.conftest import import_records

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # outside the meltable season
BOX = {"length": 10, "width": 8, "height": 3, "weight": 1.2}
INELIGIBLE = {"payload": {"asin": "B000000002", "program": "INBOUND", "isEligibleForProgram": False,
                          "ineligibilityReasonList": ["FBA_INB_0004", "FBA_INB_0097"]}}
DENIED = {"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}
NOT_FOUND = {"errors": [{"code": "NotFound", "message": "The requested resource doesn't exist."}]}


@pytest.fixture
def catalog(db):
    import_records(db, [
        product("B000000001", package_dimensions=BOX),
        product("B000000002", package_dimensions=BOX, is_hazmat=True),
        product("B000000003"),
        product("B000000004", package_dimensions=BOX, is_meltable=True),
    ])
    return db


def check(db, spapi: SpApiClient, asins: list[str], marketplace: str = "US", **kwargs) -> dict:
    async def go():
        with db.session(write=True) as session, db.reader() as reader:
            return await eligibility.inbound_eligibility(session, reader, spapi, marketplace, asins, **kwargs)

    return asyncio.run(go())


def stored(db, asins, marketplace="US"):
    with db.reader() as reader:
        return repo.stored_eligibility(reader, marketplace, asins)


class TestInboundEligibilityService:
    def test_unconfigured_sp_api_falls_back_to_rules_labelled_rules(self, catalog):
        out = check(catalog, SpApiClient(None), ["B000000001", "B000000002", "B000000003", "B000000009"], now=NOW)
        assert {a: (r["source"], r["eligible"], r["ineligible_codes"]) for a, r in out.items()} == {
            "B000000001": ("rules", True, []),
            "B000000002": ("rules", False, ["FBA_INB_0016"]),
            "B000000003": ("rules", False, ["FBA_INB_0004"]),
            "B000000009": ("rules", False, ["FBA_INB_0017"]),
        }
        assert all("sp_api_error" not in r for r in out.values())

    def test_rules_estimates_are_not_stored(self, catalog):
        check(catalog, SpApiClient(None), ["B000000001"], now=NOW)
        assert stored(catalog, ["B000000001"]) == {}

    def test_rules_use_the_date_for_meltables(self, catalog):
        summer = check(catalog, SpApiClient(None), ["B000000004"], now=NOW.replace(month=7))
        winter = check(catalog, SpApiClient(None), ["B000000004"], now=NOW)
        assert summer["B000000004"]["ineligible_codes"] == ["FBA_INB_0050"]
        assert winter["B000000004"]["eligible"] is True

    def test_amazons_answer_is_labelled_sp_api_and_stored(self, catalog):
        amazon = FakeAmazon(replies={"B000000002": [(200, INELIGIBLE, {})]})
        out = check(catalog, amazon.client(FakeTime()), ["B000000001", "B000000002"], now=NOW)
        assert out["B000000001"] == {"eligible": True, "updated_at": int(NOW.timestamp()),
                                     "ineligible_codes": [], "source": "sp-api"}
        assert out["B000000002"]["ineligible_codes"] == ["FBA_INB_0004", "FBA_INB_0097"]
        row = stored(catalog, ["B000000002"])["B000000002"]
        assert (row.eligible, row.ineligible_codes, row.checked_at, row.source) == (
            False, ["FBA_INB_0004", "FBA_INB_0097"], NOW, "sp-api")

    def test_answer_younger_than_the_ttl_comes_from_the_cache(self, catalog):
        amazon = FakeAmazon(replies={"B000000002": [(200, INELIGIBLE, {})]})
        client = amazon.client(FakeTime())
        check(catalog, client, ["B000000002"], now=NOW)
        again = check(catalog, client, ["B000000002"], now=NOW + timedelta(days=6))
        assert again["B000000002"] == {"eligible": False, "updated_at": int(NOW.timestamp()),
                                       "ineligible_codes": ["FBA_INB_0004", "FBA_INB_0097"], "source": "cache"}
        assert len(amazon.calls) == 1

    def test_answer_older_than_the_ttl_is_asked_again(self, catalog):
        amazon = FakeAmazon()
        client = amazon.client(FakeTime())
        check(catalog, client, ["B000000001"], now=NOW)
        later = NOW + timedelta(days=7, seconds=1)
        again = check(catalog, client, ["B000000001"], now=later)
        assert again["B000000001"]["source"] == "sp-api" and len(amazon.calls) == 2
        assert stored(catalog, ["B000000001"])["B000000001"].checked_at == later

    def test_ttl_is_the_callers(self, catalog):
        amazon = FakeAmazon()
        client = amazon.client(FakeTime())
        check(catalog, client, ["B000000001"], now=NOW)
        again = check(catalog, client, ["B000000001"], now=NOW + timedelta(hours=2), ttl=timedelta(hours=1))
        assert again["B000000001"]["source"] == "sp-api"

    def test_cached_answers_serve_while_sp_api_is_not_configured(self, catalog):
        check(catalog, FakeAmazon().client(FakeTime()), ["B000000003"], now=NOW)
        out = check(catalog, SpApiClient(None), ["B000000003"], now=NOW + timedelta(days=1))
        assert (out["B000000003"]["source"], out["B000000003"]["eligible"]) == ("cache", True)

    def test_marketplaces_are_cached_separately(self, catalog):
        amazon = FakeAmazon()
        check(catalog, amazon.client(FakeTime()), ["B000000001"], now=NOW)
        out = check(catalog, SpApiClient(None), ["B000000001"], "UK", now=NOW)
        assert out["B000000001"]["source"] == "rules"

    def test_asin_amazon_does_not_know_falls_back_to_rules_with_the_reason(self, catalog):
        amazon = FakeAmazon(replies={"B000000002": [(404, NOT_FOUND, {})]})
        out = check(catalog, amazon.client(FakeTime()), ["B000000002", "B000000001"], now=NOW)
        assert out["B000000002"]["source"] == "rules" and "404 NotFound" in out["B000000002"]["sp_api_error"]
        assert out["B000000001"]["source"] == "sp-api"

    def test_refused_credentials_stop_the_asking_and_say_why(self, catalog):
        amazon = FakeAmazon(replies={a: [(403, DENIED, {})] for a in ("B000000001", "B000000002")})
        out = check(catalog, amazon.client(FakeTime()), ["B000000001", "B000000002"], now=NOW)
        assert [r["source"] for r in out.values()] == ["rules", "rules"]
        assert "403 Unauthorized" in out["B000000001"]["sp_api_error"]
        assert out["B000000002"]["sp_api_error"].startswith("not asked after an earlier failure")
        assert {c.url.params["asin"] for c in amazon.calls} == {"B000000001"}
        assert stored(catalog, ["B000000001", "B000000002"]) == {}

    def test_time_budget_leaves_the_rest_to_the_rules(self, catalog):
        amazon = FakeAmazon()  # one call a second, so a 1.5 s budget starts three calls
        out = check(catalog, amazon.client(FakeTime()), ["B000000001", "B000000002", "B000000003", "B000000004"],
                    budget=1.5, now=NOW)
        assert [r["source"] for r in out.values()] == ["sp-api", "sp-api", "sp-api", "rules"]
        assert "time budget (1.5 s) ran out" in out["B000000004"]["sp_api_error"]

    def test_answers_keep_the_order_asked_without_duplicates(self, catalog):
        out = check(catalog, SpApiClient(None), ["B000000003", "b000000001", "B000000003", ""], now=NOW)
        assert list(out) == ["B000000003", "B000000001"]

    def test_more_than_100_asins_is_invalid(self, catalog):
        with pytest.raises(Invalid, match="1 to 100"):
            check(catalog, SpApiClient(None), [f"B0000{i:05d}" for i in range(101)])

    def test_malformed_asin_is_invalid_naming_its_position(self, catalog):
        with pytest.raises(Invalid, match=r'asins\[1\]: "B0NOPE"'):
            check(catalog, SpApiClient(None), ["B000000001", "B0NOPE"])

    def test_unknown_marketplace_is_invalid_naming_it(self, catalog):
        with pytest.raises(Invalid, match='"XX"'):
            check(catalog, SpApiClient(None), ["B000000001"], "XX")
