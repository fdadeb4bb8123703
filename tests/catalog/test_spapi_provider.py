"""The SP-API provider against the fake SP-API server (tests/fakes/spapi_server.py): a real HTTP
server in this process answering with bodies built from the SP-API model examples in
../shared/fixtures/external/sp-api-models/ (these tests skip with the reason without it),
enforcing the documented usage plans per seller with 429s, and throwing 429s and 5xx at random
where a test asks. Rates are scaled up (`rate_scale`) so the tests take seconds, not minutes."""

from __future__ import annotations

import asyncio
import math
from collections import Counter

import httpx
import pytest

from sellerkit.catalog.providers.base import Answer, PricedItem, Provider
from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
from sellerkit.catalog.providers.spapi import (
    INCLUDED_DATA,
    Credentials,
    SpApiAuthError,
    SpApiNotConfigured,
    SpApiProvider,
)
from sellerkit.catalog.records import normalise_observation, normalise_product
from sellerkit.domain import identifiers as ids
from tests.fakes.spapi_server import EXAMPLES, MISSING, FakeSpApi, make_products, unknown_codes

pytestmark = [pytest.mark.shared, pytest.mark.skipif(not EXAMPLES.is_dir(), reason=MISSING)]

CREDS = Credentials("Atzr|seller-one", "amzn1.application-oa2-client.test", "app-s3cr3t")
OTHER = Credentials("Atzr|seller-two", "amzn1.application-oa2-client.test", "app-s3cr3t")
SCALE = 50  # every usage plan 50x faster


def provider(fake: FakeSpApi, *, account_id: int = 1, budgets: Budgets | None = None, seed: bool = True,
             credentials: Credentials = CREDS, seller_id: str | None = "A2FAKESELLER01", **kwargs) -> SpApiProvider:
    budgets = budgets or Budgets(MemoryBudgets())
    if seed:
        fake.seed_budgets(budgets, account_id)
    return SpApiProvider(credentials, account_id=account_id, budgets=budgets, seller_id=seller_id,
                         endpoint=fake.url, token_url=fake.token_url, **kwargs)


def ask(p: SpApiProvider, method: str, *args) -> Answer:
    async def go():
        try:
            return await getattr(p, method)(*args)
        finally:
            await p.aclose()

    return asyncio.run(go())


def stored(record: dict) -> dict:
    raw = record if "title" in record else {**record, "title": "Title the catalog holds"}
    product = normalise_product(raw, 1)
    assert product.warnings == []
    return product.record


def code_of(p) -> ids.Identifier:
    return ids.parse(p.code, hint=p.family)


@pytest.fixture
def amazon():
    with FakeSpApi(products=120, seed=3, rate_scale=SCALE) as fake:
        yield fake


class TestInterface:
    def test_is_a_provider_with_kinds_and_batches(self, amazon):
        p = provider(amazon)
        assert isinstance(p, Provider) and p.name == "spapi"
        assert p.kinds == {"catalog", "pricing", "offers", "fees", "restrictions", "eligibility"}
        assert p.batch == {"catalog": 20, "pricing": 20, "offers": 20, "fees": 20, "restrictions": 1, "eligibility": 1}

    def test_restrictions_need_the_seller_id(self, amazon):
        p = provider(amazon, seller_id=None)
        assert "restrictions" not in p.kinds
        with pytest.raises(SpApiNotConfigured, match="SELLERKIT_SPAPI_SELLER_ID"):
            ask(p, "restrictions", "US", ["B07N4M94X4"])

    def test_without_credentials_it_can_do_nothing_and_says_which_settings(self):
        p = SpApiProvider(None, account_id=1, budgets=Budgets())
        assert p.kinds == frozenset() and not p.configured
        with pytest.raises(SpApiNotConfigured, match="SELLERKIT_SPAPI_REFRESH_TOKEN"):
            ask(p, "pricing", "US", ["B07N4M94X4"])

    def test_credentials_never_show_in_a_repr(self):
        assert "Atzr" not in repr(CREDS) and "s3cr3t" not in repr(CREDS) and "Atzr" not in str(CREDS)


class TestMatch:
    def test_codes_of_every_family_match_their_asins(self, amazon):
        products = amazon.products[:60]
        families = {p.family for p in products}
        assert families == {"upc", "ean", "jan", "isbn"}
        answer = ask(provider(amazon), "match", "US", [code_of(p) for p in products])
        for p in products:
            assert p.asin in answer.matches[p.key], p
        assert answer.misses == {} and answer.failures == {}
        # every 50th product shares its barcode with the one before: one code, two ASINs
        twin = amazon.products[49]
        assert answer.matches[twin.key] == [amazon.products[48].asin, twin.asin]

    def test_records_carry_amazons_data_in_inches_and_pounds_exactly(self, amazon):
        products = amazon.products[:20]
        answer = ask(provider(amazon), "match", "US", [code_of(p) for p in products])
        by_asin = {r["asin"]: r for r in answer.records}
        assert len({p.units for p in products}) == 4  # inches/pounds, cm/kg, mm/g, inches/ounces
        for p in products:
            record = stored(by_asin[p.asin])
            assert (record["title"], record["brand"], record["rank"]) == (p.title, p.brand, p.rank)
            assert record["package_dimensions"] == {"length": float(p.length), "width": float(p.width),
                                                    "height": float(p.height), "weight": float(p.weight)}, p.units
            assert record["category"] == p.category[0] and record["list_price"] == p.list_price
            assert set(record["provenance"]) == {"catalog"} and record["updated_at"].endswith("Z")

    def test_unknown_codes_are_misses_naming_the_code_type(self, amazon):
        known = amazon.products[0]
        unknown = [ids.parse(c) for c in unknown_codes(2, amazon.seed)]
        isbn = ids.parse("9780131103627")
        jan = ids.parse("4901234567894")  # sent as an EAN outside Japan, named as what it is
        answer = ask(provider(amazon), "match", "US", [code_of(known), *unknown, isbn, jan, ids.parse("0" + unknown[0].value)])
        assert answer.matches == {known.key: [known.asin]}
        assert answer.misses == {**{u.key: "Amazon has no product with this UPC in US" for u in unknown},
                                 isbn.key: "Amazon has no product with this ISBN in US",
                                 jan.key: "Amazon has no product with this JAN in US"}
        # the EAN-13 spelling of an unknown UPC was not asked again
        asked = [code for c in amazon.log for code in c["query"]["identifiers"][0].split(",")]
        assert len(asked) == len(set(asked)) == 5

    def test_one_call_per_twenty_codes_of_a_type_with_the_included_data(self, amazon):
        shared_codes = {p.key for p in amazon.products[49::50]}  # a page of 20 codes may hold 21 items
        upcs = [p for p in amazon.products if p.family == "upc" and p.key not in shared_codes][:45]
        ask(provider(amazon), "match", "US", [code_of(p) for p in upcs])
        calls = [c["query"] for c in amazon.log if c["operation"] == "searchCatalogItems"]
        assert len(calls) == 3
        assert sorted(len(q["identifiers"][0].split(",")) for q in calls) == [5, 20, 20]
        for q in calls:
            assert q["identifiersType"] == ["UPC"] and q["marketplaceIds"] == ["ATVPDKIKX0DER"]
            assert set(q["includedData"][0].split(",")) == set(INCLUDED_DATA) >= {
                "identifiers", "dimensions", "salesRanks", "relationships", "images", "attributes", "summaries"}
            assert q["pageSize"] == ["20"]

    def test_other_spellings_are_sent_as_amazon_takes_them(self, amazon):
        upc = next(p for p in amazon.products if p.family == "upc")
        jan = next(p for p in amazon.products if p.family == "jan")
        gtin14 = ids.parse("00" + upc.code, hint="gtin")
        answer = ask(provider(amazon), "match", "US", [gtin14, code_of(jan)])
        assert answer.matches == {upc.key: [upc.asin], jan.key: [jan.asin]}
        # a GTIN-14 with a leading zero as its EAN-13; a JAN as the EAN it is outside Japan
        (call,) = amazon.log
        assert call["query"]["identifiersType"] == ["EAN"]
        assert sorted(call["query"]["identifiers"][0].split(",")) == sorted(["0" + upc.code, jan.code])

    def test_more_results_than_a_page_are_followed(self):
        crowd = make_products(25, seed=9)
        for p in crowd[1:]:  # 25 listings of one barcode
            p.family, p.code, p.identifiers = crowd[0].family, crowd[0].code, dict(crowd[0].identifiers)
        with FakeSpApi(products=crowd, rate_scale=SCALE) as fake:
            answer = ask(provider(fake), "match", "US", [code_of(crowd[0])])
            assert answer.matches[crowd[0].key] == [p.asin for p in crowd]
            assert fake.calls["searchCatalogItems"] == 2 and len(answer.records) == 25
            assert "pageToken" in fake.log[1]["query"]

    def test_attributes_by_asin(self, amazon):
        asins = [p.asin for p in amazon.products[:3]] + ["B0ZZZZZZZZ"]
        answer = ask(provider(amazon), "attributes", "US", asins)
        assert [r["asin"] for r in answer.records] == asins[:3]
        assert answer.misses == {"B0ZZZZZZZZ": "Amazon has no product with ASIN B0ZZZZZZZZ in US"}
        assert amazon.log[0]["query"]["identifiersType"] == ["ASIN"]


class TestPricingAndOffers:
    def test_pricing_gives_buy_box_counts_rank_and_observations(self, amazon):
        products = amazon.products[:45]
        answer = ask(provider(amazon), "pricing", "US", [p.asin for p in products] + ["B0ZZZZZZZZ"])
        assert amazon.answered("getCompetitivePricing") == 3  # 20 ASINs a call
        by_asin = {r["asin"]: stored(r) for r in answer.records}
        for p in products:
            r = by_asin[p.asin]
            assert r.get("buybox_price") == (p.price if p.new_offers() else None)
            assert r.get("buybox_price_used") == (p.used_price + 399 if p.used_price else None)
            assert (r["rank"], r["new_offers_count"], r["total_offers_count"]) == (
                p.rank, len(p.new_offers()), len(p.new_offers()) + p.used_offers)
            assert set(r["provenance"]) == {"pricing"}
        assert answer.misses == {"B0ZZZZZZZZ": "Amazon has no prices for ASIN B0ZZZZZZZZ in US (ClientError)"}
        assert len(answer.observations) == len(products)
        for obs in answer.observations:
            normalised, warnings = normalise_observation(obs, 1)
            assert warnings == [] and normalised["rank"] == by_asin[obs["asin"]]["rank"]

    def test_offers_give_lowest_prices_by_channel_and_amazon(self, amazon):
        products = amazon.products[:40]
        assert any(p.sold_by_amazon for p in products) and any(not p.new_offers() for p in products)
        answer = ask(provider(amazon), "offers", "US", [p.asin for p in products] + ["B0ZZZZZZZZ"])
        assert amazon.answered("getItemOffersBatch") == 3
        by_asin = {r["asin"]: stored(r) for r in answer.records}
        for p in products:
            r = by_asin[p.asin]
            assert (r.get("lowest_price_new_fba"), r.get("lowest_price_new_fbm")) == (p.lowest_new(True), p.lowest_new(False))
            assert (r["new_fba_offers_count"], r["new_fbm_offers_count"]) == (len(p.new_offers(True)), len(p.new_offers(False)))
            assert r["sold_by_amazon"] is p.sold_by_amazon and r["total_offers_count"] == len(p.new_offers())
        assert "B0ZZZZZZZZ" in answer.misses and "400 InvalidInput" in answer.misses["B0ZZZZZZZZ"]
        request = amazon.log[0]["body"]["requests"][0]
        assert request == {"uri": f"/products/pricing/v0/items/{products[0].asin}/offers", "method": "GET",
                           "MarketplaceId": "ATVPDKIKX0DER", "ItemCondition": "New", "CustomerType": "Consumer"}


class TestFees:
    def test_fee_estimates_at_the_price_and_fulfilment_asked(self, amazon):
        products = amazon.products[:24]
        items = [PricedItem(p.asin, p.price + 100 * i, "FBA" if i % 2 else "FBM") for i, p in enumerate(products)]
        answer = ask(provider(amazon), "fees", "US", items + [PricedItem("B0ZZZZZZZZ", 1000)])
        assert amazon.answered("getMyFeesEstimates") == 2
        by_asin = {r["asin"]: stored(r)["amazon_fees"] for r in answer.records}
        assert any(p.other_fee for p in products) and any(p.category[0] == "Books" for p in products)
        for item, p in zip(items, products, strict=True):
            parts = p.fees(item.price, item.fulfilment == "FBA")
            assert by_asin[p.asin] == {"price": item.price, "currency": "USD", "fulfilment": item.fulfilment,
                                       "total": sum(parts.values()), **parts}
        assert answer.misses["B0ZZZZZZZZ"].startswith("Amazon gave no fee estimate for ASIN B0ZZZZZZZZ in US")
        sent = amazon.log[0]["body"][1]
        assert (sent["IdType"], sent["IdValue"], sent["FeesEstimateRequest"]["IsAmazonFulfilled"]) == (
            "ASIN", products[1].asin, True)
        assert sent["FeesEstimateRequest"]["PriceToEstimateFees"]["ListingPrice"] == {
            "CurrencyCode": "USD", "Amount": (products[1].price + 100) / 100}

    def test_yen_have_no_minor_units(self, amazon):
        p = amazon.products[0]
        answer = ask(provider(amazon), "fees", "JP", [PricedItem(p.asin, 1980, "FBM")])
        (record,) = answer.records
        assert record["marketplace"] == "JP" and record["amazon_fees"]["currency"] == "JPY"
        assert amazon.log[0]["body"][0]["FeesEstimateRequest"]["PriceToEstimateFees"]["ListingPrice"] == {
            "CurrencyCode": "JPY", "Amount": 1980}
        assert record["amazon_fees"]["referral"] == p.fees(1980, False)["referral"]


class TestRestrictionsAndEligibility:
    def test_restrictions_for_new_with_reasons_and_approval_link(self, amazon):
        products = amazon.products[:15]
        answer = ask(provider(amazon), "restrictions", "US", [p.asin for p in products])
        assert amazon.answered("getListingsRestrictions") == 15
        by_asin = {r["asin"]: stored(r)["restrictions"] for r in answer.records}
        for p in products:
            got = by_asin[p.asin]
            assert got["condition"] == "new_new" and got["restricted"] is p.restricted
            if p.restricted:
                (reason,) = got["reasons"]
                assert reason["code"] == "APPROVAL_REQUIRED" and p.asin in reason["link"]
        query = amazon.log[0]["query"]
        assert (query["sellerId"], query["conditionType"]) == (["A2FAKESELLER01"], ["new_new"])

    def test_eligibility(self, amazon):
        products = amazon.products[:25]
        assert any(p.hazmat for p in products)
        answer = ask(provider(amazon), "eligibility", "US", [p.asin for p in products] + ["B0ZZZZZZZZ"])
        by_asin = {r["asin"]: stored(r)["inbound_eligibility"] for r in answer.records}
        for p in products:
            assert by_asin[p.asin] == {"program": "INBOUND", "eligible": not p.hazmat,
                                       "ineligible_codes": ["FBA_INB_0016"] if p.hazmat else []}
        assert by_asin["B0ZZZZZZZZ"]["ineligible_codes"] == ["FBA_INB_0017"]  # not in the catalog

    def test_item_eligibility_preview_for_the_inbound_eligibility_route(self, amazon):
        hazmat = next(p for p in amazon.products if p.hazmat)

        async def go():
            p = provider(amazon)
            try:
                return await p.item_eligibility_preview(hazmat.asin, "US")
            finally:
                await p.aclose()

        got = asyncio.run(go())
        assert (got.asin, got.eligible, got.ineligible_codes) == (hazmat.asin, False, ("FBA_INB_0016",))


class TestQuota:
    def test_429s_and_5xx_thrown_at_random_are_retried_and_never_reach_the_caller(self):
        with FakeSpApi(products=100, seed=4, rate_scale=SCALE, fault_rate=0.3) as fake:
            budgets = Budgets(MemoryBudgets())
            p = provider(fake, budgets=budgets, max_retries=8)
            answer = ask(p, "pricing", "US", [x.asin for x in fake.products])
            assert answer.failures == {} and answer.misses == {} and len(answer.records) == 100
            assert fake.throttled > 0 and fake.failed > 0
            (state,) = [s for s in budgets.states(1) if s.key.operation == "getCompetitivePricing"]
            assert state.throttled == fake.throttled  # every 429 pushed the budget back

    def test_failures_after_the_retries_are_failures_not_errors(self):
        with FakeSpApi(products=60, seed=6, rate_scale=SCALE, fault_rate=1.0) as fake:
            answer = ask(provider(fake, max_retries=1), "pricing", "US", [x.asin for x in fake.products])
            assert answer.records == [] and set(answer.failures) == {x.asin for x in fake.products}
            assert all("Amazon" in why for why in answer.failures.values())
            # after the first batch failed, the others were not asked
            assert fake.calls["getCompetitivePricing"] <= 2 * 2  # two workers, one retry each
            assert sum(why.startswith("not asked after an earlier failure") for why in answer.failures.values()) >= 20

    def test_the_rate_limit_header_is_followed(self, amazon):
        budgets = Budgets(MemoryBudgets())
        ask(provider(amazon, budgets=budgets, seed=False), "pricing", "US", [amazon.products[0].asin])
        (state,) = budgets.states(1)
        assert (state.rate, state.source) == (0.5 * SCALE, "reply")

    def test_two_sellers_have_their_own_limits(self):
        with FakeSpApi(products=200, seed=7, rate_scale=SCALE) as fake:
            shared = Budgets(MemoryBudgets())
            one = provider(fake, account_id=1, budgets=shared)
            two = provider(fake, account_id=2, budgets=shared, credentials=OTHER)
            asins = [x.asin for x in fake.products]

            async def both():
                try:
                    return await asyncio.gather(one.pricing("US", asins), two.pricing("US", asins))
                finally:
                    await one.aclose(), await two.aclose()

            a, b = asyncio.run(both())
            assert len(a.records) == len(b.records) == 200
            sellers = Counter(entry["seller"] for entry in fake.log)
            assert sellers == {CREDS.refresh_token: 10, OTHER.refresh_token: 10}
            assert {s.key.account_id for s in shared.states()} == {1, 2}

    def test_one_seller_on_two_budgets_is_throttled_by_amazon_and_still_answered(self):
        # Two providers of one seller that do not share a budget (what the shared budgets
        # prevent) overrun the seller's limit: Amazon's 429s are retried all the same.
        with FakeSpApi(products=200, seed=8, rate_scale=SCALE) as fake:
            one = provider(fake, account_id=1, max_retries=10)
            two = provider(fake, account_id=1, max_retries=10)
            asins = [x.asin for x in fake.products]

            async def both():
                try:
                    return await asyncio.gather(one.pricing("US", asins), two.pricing("US", asins))
                finally:
                    await one.aclose(), await two.aclose()

            a, b = asyncio.run(both())
            assert len(a.records) == len(b.records) == 200 and not a.failures and not b.failures
            assert fake.throttled >= 1  # their first calls at once: the seller's burst is one


class TestTokens:
    def test_a_revoked_token_is_renewed_once_and_the_call_answered(self, amazon):
        p = provider(amazon)
        asins = [amazon.products[0].asin]

        async def go():
            try:
                first = await p.pricing("US", asins)
                amazon.revoke_tokens()
                second = await p.pricing("US", asins)
                return first, second
            finally:
                await p.aclose()

        first, second = asyncio.run(go())
        assert len(first.records) == len(second.records) == 1 and not second.failures
        assert amazon.tokens_issued == 2 and amazon.calls["getCompetitivePricing"] == 3  # one 401

    def test_a_refused_refresh_token_raises_naming_the_settings(self, amazon):
        amazon.revoke_refresh_token(CREDS.refresh_token)
        with pytest.raises(SpApiAuthError, match="invalid_grant.*SELLERKIT_SPAPI_REFRESH_TOKEN"):
            ask(provider(amazon), "pricing", "US", [amazon.products[0].asin])
        assert amazon.calls["getCompetitivePricing"] == 0

    def test_one_token_serves_many_calls_and_event_loops(self, amazon):
        p = provider(amazon)
        for _ in range(2):  # a job that runs each step in its own asyncio.run
            assert len(asyncio.run(p.pricing("US", [amazon.products[0].asin])).records) == 1
        asyncio.run(p.aclose())
        assert amazon.tokens_issued == 1


class TestFakeServer:
    """The fake itself: limits, headers and refusals as Amazon's."""

    def test_limits_are_the_documented_usage_plans(self):
        import json

        from sellerkit.catalog.providers.budget import DOCUMENTED
        from tests.fakes.spapi_server import DOCUMENTED_LIMITS, SP_API

        plans = {}
        for model in (SP_API / "models").glob("*.json"):
            for ops in json.loads(model.read_text())["paths"].values():
                for op in ops.values():
                    if isinstance(op, dict) and op.get("operationId") in DOCUMENTED_LIMITS:
                        table = op["description"].split("| ---- | ---- |")[1].split("|")
                        plans[op["operationId"]] = (float(table[1]), float(table[2]))
        assert plans == DOCUMENTED_LIMITS
        assert all(DOCUMENTED[("spapi", op)] == plan for op, plan in plans.items())

    def test_a_burst_beyond_the_plan_is_429_with_the_limit_header(self):
        with FakeSpApi(products=5, tolerance=0.0) as fake:
            token = httpx.post(fake.token_url, data={"grant_type": "refresh_token", "refresh_token": "Atzr|x",
                                                     "client_id": "c", "client_secret": "s"}).json()["access_token"]
            url = fake.url + "/products/pricing/v0/competitivePrice"
            params = {"MarketplaceId": "ATVPDKIKX0DER", "Asins": fake.products[0].asin, "ItemType": "Asin"}
            replies = [httpx.get(url, params=params, headers={"x-amz-access-token": token}) for _ in range(3)]
            assert [r.status_code for r in replies] == [200, 429, 429]  # 0.5/s, burst 1
            assert replies[1].json()["errors"][0]["code"] == "QuotaExceeded"
            assert {r.headers["x-amzn-RateLimit-Limit"] for r in replies} == {"0.5"}
            assert fake.throttled == 2
            assert httpx.get(url, params=params).status_code == 403  # no token
            eligibility = httpx.get(fake.url + "/fba/inbound/v1/eligibility/itemPreview",
                                    params={"asin": fake.products[0].asin, "marketplaceIds": "NOPE", "program": "INBOUND"},
                                    headers={"x-amz-access-token": token})
            assert eligibility.status_code == 400 and eligibility.json()["errors"][0]["code"] == "InvalidInput"

    @pytest.mark.parametrize(("operation", "path", "burst"), [
        ("searchCatalogItems", "/catalog/2022-04-01/items", 2),
        ("getListingsRestrictions", "/listings/2021-08-01/restrictions", 10),
    ])
    def test_each_plan_allows_its_documented_burst(self, operation, path, burst):
        # rates next to nothing, so only the burst lets calls through
        with FakeSpApi(products=5, tolerance=0.0, limits={operation: (0.001, burst)}) as fake:
            token = httpx.post(fake.token_url, data={"grant_type": "refresh_token", "refresh_token": "Atzr|x",
                                                     "client_id": "c", "client_secret": "s"}).json()["access_token"]
            asin = fake.products[0].asin
            params = {"identifiers": asin, "identifiersType": "ASIN", "marketplaceIds": "ATVPDKIKX0DER",
                      "asin": asin, "sellerId": "A2X"}
            with httpx.Client(headers={"x-amz-access-token": token}) as client:
                statuses = [client.get(fake.url + path, params=params).status_code for _ in range(burst + 1)]
            assert statuses == [200] * burst + [429] and fake.calls[operation] == burst + 1

    def test_limits_are_per_seller_not_per_token(self):
        with FakeSpApi(products=5, tolerance=0.0, limits={"getItemEligibilityPreview": (0.001, 1)}) as fake:
            def token(refresh: str) -> str:
                return httpx.post(fake.token_url, data={"grant_type": "refresh_token", "refresh_token": refresh,
                                                        "client_id": "c", "client_secret": "s"}).json()["access_token"]

            def status(access: str) -> int:
                return httpx.get(fake.url + "/fba/inbound/v1/eligibility/itemPreview", headers={
                    "x-amz-access-token": access}, params={"asin": fake.products[0].asin,
                                                           "marketplaceIds": "ATVPDKIKX0DER", "program": "INBOUND"}).status_code

            one, one_again, two = token("Atzr|one"), token("Atzr|one"), token("Atzr|two")
            assert [status(one), status(one_again), status(two)] == [200, 429, 200]

    def test_the_universe_is_the_same_for_the_same_seed(self):
        a, b, c = make_products(60, 1), make_products(60, 1), make_products(60, 2)
        assert [p.asin for p in a] == [p.asin for p in b] != [p.asin for p in c]
        assert len({p.asin for p in a}) == 60 and all(ids.parse_asin(p.asin) == p.asin for p in a)
        keys = {p.key for p in a}
        assert not keys & {ids.parse(c).key for c in unknown_codes(50, 1)}
        assert math.isclose(sum(p.family == "upc" for p in a) / 60, 0.7, abs_tol=0.05)

    def test_lwa_refuses_a_bad_request(self):
        with FakeSpApi(products=1) as fake:
            reply = httpx.post(fake.token_url, data={"grant_type": "client_credentials"})
            assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"


class TestThreads:
    def test_one_provider_serves_jobs_in_several_threads(self, amazon):
        import threading

        p = provider(amazon)
        asins = [x.asin for x in amazon.products[:40]]
        results: list[Answer] = []

        def job(chunk: list[str]) -> None:
            async def go():
                try:
                    return await p.pricing("US", chunk)
                finally:
                    await p.aclose()

            results.append(asyncio.run(go()))

        threads = [threading.Thread(target=job, args=(asins[i::2],)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(r["asin"] for a in results for r in a.records) == sorted(asins)
        assert not any(a.failures for a in results)


class TestInboundEligibilityRoute:
    def test_the_route_asks_the_fake_through_the_settings(self, amazon, sqlite_db, tmp_path):
        """SELLERKIT_SPAPI_ENDPOINT and SELLERKIT_SPAPI_LWA_URL point the default connection at
        the fake: `GET /api/v3/inbound-eligibility` answers with Amazon's (the fake's) verdict."""
        from sellerkit.accounts.service import keys
        from sellerkit.config import Settings
        from tests.conftest import make_client

        settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False,
                            spapi_refresh_token=CREDS.refresh_token, spapi_client_id=CREDS.client_id,
                            spapi_client_secret=CREDS.client_secret, spapi_endpoint=amazon.url,
                            spapi_lwa_url=amazon.token_url)
        with sqlite_db.session(write=True) as s:
            key = keys.create(s, name="seller", plan="pro", account=None).key
        hazmat = next(p for p in amazon.products if p.hazmat)
        fine = next(p for p in amazon.products if not p.hazmat)
        with make_client(sqlite_db, settings) as client:
            r = client.get("/api/v3/inbound-eligibility", params={"asins": f"{hazmat.asin},{fine.asin}"},
                           headers={"X-Api-Key": key})
        assert r.status_code == 200, r.text
        body = {item["asin"]: item for item in r.json()}
        assert (body[hazmat.asin]["source"], body[hazmat.asin]["eligible"], body[hazmat.asin]["ineligible_codes"]) == (
            "sp-api", False, ["FBA_INB_0016"])
        assert (body[fine.asin]["source"], body[fine.asin]["eligible"]) == ("sp-api", True)
        assert amazon.tokens_issued == 1 and amazon.answered("getItemEligibilityPreview") == 2
