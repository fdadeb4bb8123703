"""ASINScope `GET /products/lookup` and `GET /account/tokens` against the real app and database."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from sellerkit.app import create_app
from sellerkit.catalog.prepared_items import item_files
from tests.catalog.factories import UPC, product
from tests.conftest import import_records

LOOKUP = "/products/lookup"
TOKENS = "/account/tokens"

# The reference's item, in its order.
ITEM_FIELDS = ["asin", "ean", "upc", "mpn", "bsr", "category", "brand", "title", "productGroup", "lowestNewPrice",
               "lowestFormattedPrice", "soldByAmazon", "packageDimensions", "upcList", "eanList", "totalNew",
               "smallImage", "mediumImage", "images"]
DART = product(
    "B088H39PXX", title="Magnetic Dart Board", brand="CUKU", mpn="2143", rank=95, category="Sports & Outdoors",
    product_group="Sports", lowest_price_new_fba=2279, lowest_price_new_fbm=2499, buybox_price=2399,
    sold_by_amazon=False, new_fba_offers_count=1, new_fbm_offers_count=1,
    package_dimensions={"length": 13.58, "width": 13.46, "height": 1.77, "weight": 2.07},
    identifiers={"upc": ["793610399007"]},
    images=["https://images-na.ssl-images-amazon.com/images/I/91we94LQPhL.jpg",
            "https://images-na.ssl-images-amazon.com/images/I/91WKu-Y+P4L.jpg"],
)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def freeze(client) -> Clock:
    """Stop the app's limits clock (no refill between requests) and return it to move by hand."""
    clock = Clock()
    client.app.state.quotas.limits.clock = clock
    return clock


@pytest.fixture(params=["from the catalog", "from prepared items files"])
def catalog(request, db, settings):
    """The catalog; each test runs twice: items built from the catalog's records, and read from
    the items files the sweep prepares (`prepared_items`), which must answer the same."""
    import_records(db, [
        DART,
        product("B000000001", identifiers={"upc": [UPC]}),
        product("B000000006", identifiers={"upc": [UPC]}, amazon_pack_quantity=6),
        product("B000000009", marketplace="DE", identifiers={"ean": ["4006381333931"]}, buybox_price=2279),
        product("B00000000J", marketplace="JP", identifiers={"ean": ["4901234567894"]}, buybox_price=1980),
    ])
    if request.param == "from prepared items files":
        assert item_files.refresh(db, settings.data_dir) == ["DE", "JP", "US"]


@pytest.fixture
def pro(new_key):
    return new_key("pro-seller", plan="pro").key


def lookup(client, key, **params):
    return client.get(LOOKUP, params={"key": key, **params})


class TestLookupItems:
    def test_item_has_the_reference_fields_in_order(self, client, catalog, pro):
        r = lookup(client, pro, asin="B088H39PXX")
        assert r.status_code == 200
        assert list(r.json()["items"][0]) == ITEM_FIELDS

    def test_item_values_come_from_the_catalog_record(self, client, catalog, pro):
        item = lookup(client, pro, asin="B088H39PXX").json()["items"][0]
        assert item == {
            "asin": "B088H39PXX", "ean": "0793610399007", "upc": "793610399007", "mpn": "2143", "bsr": 95,
            "category": "Sports & Outdoors", "brand": "CUKU", "title": "Magnetic Dart Board",
            "productGroup": "Sports", "lowestNewPrice": 22.79, "lowestFormattedPrice": "$22.79",
            "soldByAmazon": False, "packageDimensions": {"height": 1.77, "width": 13.46, "length": 13.58,
                                                         "weight": 2.07},
            "upcList": ["793610399007"], "eanList": ["0793610399007"], "totalNew": 2,
            "smallImage": DART["images"][0], "mediumImage": DART["images"][0], "images": DART["images"],
        }

    def test_reply_has_the_token_fields(self, client, catalog, pro):
        body = lookup(client, pro, asin="B088H39PXX").json()
        assert {k: body[k] for k in ("dailyTokensLeft", "bucketSize", "consumedTokens")} == {
            "dailyTokensLeft": 9_999, "bucketSize": 119, "consumedTokens": 1}
        assert 0 < body["msBeforeNextDailyToken"] <= 86_400_000

    def test_asins_are_answered_in_the_order_asked(self, client, catalog, pro):
        items = lookup(client, pro, asin="B000000006,B088H39PXX").json()["items"]
        assert [i["asin"] for i in items] == ["B000000006", "B088H39PXX"]

    def test_lower_case_asin_is_normalised(self, client, catalog, pro):
        assert lookup(client, pro, asin="b088h39pxx").json()["items"][0]["asin"] == "B088H39PXX"

    def test_upc_without_its_leading_zero_is_found(self, client, catalog, pro):
        items = lookup(client, pro, upc=UPC.lstrip("0")).json()["items"]
        assert [i["asin"] for i in items] == ["B000000001", "B000000006"]

    def test_upc_reaching_two_asins_gives_both(self, client, catalog, pro):
        body = lookup(client, pro, upc=UPC).json()
        assert ([i["asin"] for i in body["items"]], body["consumedTokens"]) == (["B000000001", "B000000006"], 1)

    def test_ean_of_a_upc_finds_it(self, client, catalog, pro):
        assert lookup(client, pro, ean="0793610399007").json()["items"][0]["asin"] == "B088H39PXX"

    def test_domain_selects_the_marketplace_and_its_currency(self, client, catalog, pro):
        item = lookup(client, pro, ean="4006381333931", domain="de").json()["items"][0]
        assert (item["asin"], item["lowestNewPrice"], item["lowestFormattedPrice"]) == ("B000000009", 22.79, "22,79 €")

    def test_yen_have_no_minor_unit(self, client, catalog, pro):
        item = lookup(client, pro, ean="4901234567894", domain="jp").json()["items"][0]
        assert (item["lowestNewPrice"], item["lowestFormattedPrice"]) == (1980, "￥1,980")

    def test_default_domain_is_com(self, client, catalog, pro):
        assert lookup(client, pro, ean="4006381333931").json()["items"] == []

    def test_codes_not_in_the_catalog_give_no_items_and_still_cost_a_token(self, client, catalog, pro):
        body = lookup(client, pro, asin="B0NOTTHERE").json()
        assert (body["items"], body["consumedTokens"]) == ([], 1)

    def test_the_same_code_twice_costs_one_token(self, client, catalog, pro):
        assert lookup(client, pro, asin="B088H39PXX,b088h39pxx").json()["consumedTokens"] == 1

    def test_ten_codes_cost_ten_tokens(self, client, catalog, pro):
        asins = ",".join(f"B00000{i:04d}" for i in range(10))
        assert lookup(client, pro, asin=asins).json()["consumedTokens"] == 10

    def test_unlimited_plan_reports_null_limits(self, client, catalog, new_key):
        body = lookup(client, new_key("big", plan="unlimited").key, asin="B088H39PXX").json()
        assert (body["dailyTokensLeft"], body["bucketSize"], body["consumedTokens"]) == (None, None, 1)

    def test_key_in_a_header_works_too(self, client, catalog, pro):
        r = client.get(LOOKUP, params={"asin": "B088H39PXX"}, headers={"Authorization": f"Bearer {pro}"})
        assert r.status_code == 200


class TestLookupErrors:
    def test_more_than_ten_codes_is_400_saying_so(self, client, pro):
        r = lookup(client, pro, asin=",".join(f"B00000{i:04d}" for i in range(11)))
        assert (r.status_code, r.json()["error"]) == (400, "asin: 11 codes given; send at most 10 per request")

    def test_mixed_identifier_types_is_400_naming_them(self, client, pro):
        r = lookup(client, pro, asin="B088H39PXX", upc=UPC)
        assert r.status_code == 400 and r.json()["error"].startswith("asin and upc: send one identifier type")

    def test_missing_identifier_is_400(self, client, pro):
        r = lookup(client, pro)
        assert r.status_code == 400 and "asin, upc or ean: one is required" in r.json()["error"]

    def test_empty_list_is_400(self, client, pro):
        assert lookup(client, pro, asin=" , ").status_code == 400

    def test_unknown_domain_is_400_listing_the_domains(self, client, pro):
        r = lookup(client, pro, asin="B088H39PXX", domain="br")
        assert r.status_code == 400 and "expected one of com, ca, de" in r.json()["error"]

    def test_malformed_code_is_400_naming_it(self, client, pro):
        r = lookup(client, pro, upc="12345")
        assert r.status_code == 400 and r.json()["error"].startswith('upc: "12345"')

    def test_code_longer_than_any_spelling_is_400_naming_the_limit(self, client, pro):
        r = lookup(client, pro, upc="036000291452," + "1" * 100)
        assert (r.status_code, r.json()["error"]) == (400, "upc: code 2 is 100 characters; a code has at most 64")

    def test_parameter_longer_than_ten_codes_is_400_naming_the_limit(self, client, pro):
        r = lookup(client, pro, ean="4" * 60_000)
        assert r.status_code == 400 and r.json()["error"] == "query.ean: String should have at most 650 characters"

    def test_asin_sent_as_upc_is_400(self, client, pro):
        assert lookup(client, pro, upc="B088H39PXX").status_code == 400

    def test_refused_query_costs_nothing(self, client, pro):
        lookup(client, pro, asin="B088H39PXX", domain="br")
        assert client.get(TOKENS, params={"key": pro}).json()["dailyTokensLeft"] == 10_000

    def test_missing_key_is_401(self, client):
        r = client.get(LOOKUP, params={"asin": "B088H39PXX"})
        assert (r.status_code, r.headers["content-type"]) == (401, "application/json")

    def test_invalid_key_is_401_without_echoing_it(self, client):
        r = lookup(client, "sk_not-a-real-key-123", asin="B088H39PXX")
        assert r.status_code == 401 and "sk_not-a-real-key-123" not in r.text

    def test_account_without_a_plan_is_403(self, client, new_key):
        r = lookup(client, new_key("lapsed", plan=None).key, asin="B088H39PXX")
        assert r.status_code == 403 and "no active subscription" in r.json()["error"]

    def test_error_body_has_error_message_and_status(self, client, pro):
        assert set(lookup(client, pro).json()) == {"error", "message", "status"}


class TestLookupTokens:
    def test_empty_bucket_is_429_with_the_reference_message(self, client, pro):
        freeze(client)
        for _ in range(13):  # 12 x 10 tokens empty the bucket of 120
            r = lookup(client, pro, asin=",".join(f"B00000{i:04d}" for i in range(10)))
        assert (r.status_code, r.json()["error"]) == (429, "Not enough tokens in the bucket. Restore rate: 60 / min")

    def test_bucket_refusal_says_when_to_retry(self, client, pro):
        freeze(client)
        for _ in range(13):  # 12 x 10 tokens empty the bucket of 120
            r = lookup(client, pro, asin=",".join(f"B00000{i:04d}" for i in range(10)))
        assert (r.headers["Retry-After"], r.headers["Retry-After-Ms"]) == ("10", "10000")

    def test_request_that_cannot_be_paid_whole_costs_nothing(self, client, pro):
        freeze(client)
        for i in range(23):
            lookup(client, pro, asin=",".join(f"B0000{i:02d}{j:03d}" for j in range(5)))  # 115 tokens
        assert lookup(client, pro, asin=",".join(f"B00000{i:04d}" for i in range(10))).status_code == 429
        assert lookup(client, pro, asin=",".join(f"B00000{i:04d}" for i in range(5))).status_code == 200

    def test_bucket_refills_at_the_plan_rate(self, client, pro):
        clock = freeze(client)
        for _ in range(12):
            lookup(client, pro, asin=",".join(f"B00000{i:04d}" for i in range(10)))
        clock.now += 10
        assert lookup(client, pro, asin=",".join(f"B00000{i:04d}" for i in range(10))).status_code == 200

    def test_spent_daily_allowance_is_429_with_the_reference_message(self, client, new_key):
        basic = new_key("small", plan="basic").key
        clock = freeze(client)
        clock.now = (clock.now // 86_400) * 86_400 + 60  # 00:01 UTC: the whole day ahead
        for _ in range(100):
            assert lookup(client, basic, asin=",".join(f"B00000{i:04d}" for i in range(10))).status_code == 200
            clock.now += 60  # the bucket refills 10 a minute
        r = lookup(client, basic, asin="B088H39PXX")
        assert (r.status_code, r.json()["error"]) == (429, "The daily requests limit has been reached.")
        assert int(r.headers["Retry-After"]) > 80_000

    def test_daily_allowance_is_shared_by_the_accounts_keys(self, client, new_key):
        first = new_key("one", plan="pro", account="acme").key
        second = new_key("two", plan="pro", account="acme").key
        lookup(client, first, asin="B088H39PXX")
        assert lookup(client, second, asin="B088H39PXX").json()["dailyTokensLeft"] == 9_998

    def test_200_concurrent_lookups_against_a_full_bucket_of_120_grant_exactly_120(self, db, settings, pro):
        app = create_app(settings, db)

        async def burst():
            async with app.router.lifespan_context(app):
                app.state.quotas.limits.clock = Clock()
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                    return await asyncio.gather(*(c.get(LOOKUP, params={"key": pro, "asin": "B088H39PXX"})
                                                  for _ in range(200)))

        replies = asyncio.run(burst())
        codes = [r.status_code for r in replies]
        assert (codes.count(200), codes.count(429)) == (120, 80)


class TestAccountTokens:
    def test_reports_the_plans_figures(self, client, pro):
        body = client.get(TOKENS, params={"key": pro}).json()
        assert {k: v for k, v in body.items() if k != "msBeforeNextDailyReset"} == {
            "dailyTokensLeft": 10_000, "dailyTokensLimit": 10_000, "minutelyTokensLeft": 120,
            "minutelyBucketCapacity": 120, "tokensPerMinute": 60}
        assert 0 < body["msBeforeNextDailyReset"] <= 86_400_000

    def test_consumes_nothing(self, client, pro):
        for _ in range(3):
            body = client.get(TOKENS, params={"key": pro}).json()
        assert (body["dailyTokensLeft"], body["minutelyTokensLeft"]) == (10_000, 120)

    def test_shows_what_lookups_used(self, client, catalog, pro):
        freeze(client)
        lookup(client, pro, asin="B088H39PXX,B000000001")
        body = client.get(TOKENS, params={"key": pro}).json()
        assert (body["dailyTokensLeft"], body["minutelyTokensLeft"]) == (9_998, 118)

    def test_basic_plan_figures(self, client, new_key):
        body = client.get(TOKENS, params={"key": new_key("b", plan="basic").key}).json()
        assert (body["dailyTokensLimit"], body["minutelyBucketCapacity"], body["tokensPerMinute"]) == (1_000, 60, 10)

    def test_missing_key_is_400(self, client):
        r = client.get(TOKENS)
        assert r.status_code == 400 and "missing API key" in r.json()["error"]

    def test_invalid_key_is_401(self, client):
        assert client.get(TOKENS, params={"key": "sk_nope"}).status_code == 401

    def test_account_without_a_plan_is_403(self, client, new_key):
        assert client.get(TOKENS, params={"key": new_key("lapsed", plan=None).key}).status_code == 403


class TestLookupLostLeadingZeros:
    """Issue 20: a UPC that lost its leading zeros is found as scans and convert find it."""

    @pytest.fixture
    def zeros(self, db):
        import_records(db, [product("B000000011", identifiers={"upc": ["001595255882"]}),
                            product("B000000012", identifiers={"upc": ["001000000052"]})])

    def test_a_upc_that_lost_two_zeros_is_found(self, client, zeros, pro):
        r = lookup(client, pro, upc="1595255882")
        assert r.status_code == 200 and [i["asin"] for i in r.json()["items"]] == ["B000000011"]

    def test_digits_that_are_also_an_isbn10_are_read_as_the_upc_asked_for(self, client, zeros, pro):
        r = lookup(client, pro, upc="1000000052")
        assert r.status_code == 200 and [i["asin"] for i in r.json()["items"]] == ["B000000012"]
