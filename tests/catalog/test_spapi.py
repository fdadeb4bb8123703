"""The SP-API client against Amazon's recorded and published replies (httpx.MockTransport).

The replies of every status come from the SP-API model's static-sandbox examples and its
published 200 example, read at test time from ../shared/fixtures/external/sp-api-models/ (those
tests skip with a reason when it is absent). The LWA token endpoint and time are faked.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from sellerkit.catalog.spapi import (
    SpApiAuthError,
    SpApiClient,
    SpApiInvalidInput,
    SpApiNotConfigured,
    SpApiNotFound,
    SpApiThrottled,
    SpApiUnavailable,
    endpoint_for,
)
from sellerkit.config import Settings
from tests.catalog.spapi_fakes import EXAMPLES, MISSING, MODEL, FakeAmazon, FakeTime, example, sandbox_cases

needs_fixtures = pytest.mark.skipif(not EXAMPLES.exists(), reason=MISSING)
OK = {"payload": {"asin": "B000000001", "program": "INBOUND", "isEligibleForProgram": True}}


def run(coro):
    return asyncio.run(coro)


async def preview(client: SpApiClient, asin: str, marketplace: str = "US"):
    try:
        return await client.item_eligibility_preview(asin, marketplace)
    finally:
        await client.aclose()


@needs_fixtures
class TestRecordedReplies:
    """Each recorded status of getItemEligibilityPreview, served as the static sandbox does."""

    @pytest.fixture
    def amazon(self) -> FakeAmazon:
        return FakeAmazon(sandbox=sandbox_cases())

    def test_every_documented_status_is_recorded(self):
        statuses = {status for status, _ in sandbox_cases().values()}
        assert statuses == {200, 400, 401, 403, 404, 429, 500, 503}

    def test_sandbox_200_is_eligible(self, amazon):
        result = run(preview(amazon.client(FakeTime()), "TEST_CASE_200"))
        assert (result.asin, result.marketplace_id, result.program) == ("TEST_CASE_200", "TEST_CASE_200", "INBOUND")
        assert result.eligible is True and result.ineligible_codes == ()

    def test_published_example_is_parsed(self):
        body = example("getItemEligibilityPreview.200.example-ItemEligibilityPreview.json")
        amazon = FakeAmazon(replies={"TEST_ASIN": [(200, body, {})]})
        result = run(preview(amazon.client(FakeTime()), "TEST_ASIN"))
        assert (result.asin, result.marketplace_id, result.eligible) == ("TEST_ASIN", "TEST_MARKETPLACE_ID", True)

    def test_ineligibility_reasons_are_returned_in_order(self):
        # No recorded reply carries reasons: the published example, made ineligible with codes
        # taken from the model's ineligibilityReasonList enum.
        body = example("getItemEligibilityPreview.200.example-ItemEligibilityPreview.json")
        enum = json.loads(MODEL.read_text())["definitions"]["ItemEligibilityPreview"]["properties"][
            "ineligibilityReasonList"]["items"]["enum"]
        body["payload"].update(isEligibleForProgram=False, ineligibilityReasonList=enum[:3])
        amazon = FakeAmazon(replies={"TEST_ASIN": [(200, body, {})]})
        result = run(preview(amazon.client(FakeTime()), "TEST_ASIN"))
        assert result.eligible is False and result.ineligible_codes == tuple(enum[:3])

    def test_400_is_invalid_input_with_amazons_message(self, amazon):
        with pytest.raises(SpApiInvalidInput, match="400 InvalidInput: Invalid input") as err:
            run(preview(amazon.client(FakeTime()), "TEST_CASE_400"))
        assert err.value.status == 400 and len(amazon.calls) == 1

    @pytest.mark.parametrize("status", [401, 403])
    def test_refused_token_is_renewed_once_then_auth_error(self, amazon, status):
        with pytest.raises(SpApiAuthError, match=f"{status} Unauthorized: Access to requested resource is denied"):
            run(preview(amazon.client(FakeTime()), f"TEST_CASE_{status}"))
        assert len(amazon.calls) == 2 and amazon.tokens_issued == 2

    def test_404_is_not_found(self, amazon):
        with pytest.raises(SpApiNotFound, match="404 NotFound"):
            run(preview(amazon.client(FakeTime()), "TEST_CASE_404"))
        assert len(amazon.calls) == 1

    def test_429_is_retried_with_backoff_then_throttled(self, amazon):
        time = FakeTime()
        with pytest.raises(SpApiThrottled, match="You exceeded your quota") as err:
            run(preview(amazon.client(time, max_retries=3), "TEST_CASE_429"))
        assert len(amazon.calls) == 4 and time.sleeps == [1, 2, 4]
        assert err.value.headers["Retry-After"] == "8"

    @pytest.mark.parametrize(("status", "message"), [(500, "InternalFailure"), (503, "ServiceUnavailable")])
    def test_5xx_is_retried_then_unavailable(self, amazon, status, message):
        time = FakeTime()
        with pytest.raises(SpApiUnavailable, match=f"{status} {message}"):
            run(preview(amazon.client(time, max_retries=2), f"TEST_CASE_{status}"))
        assert len(amazon.calls) == 3 and time.sleeps == [1, 2]


class TestItemEligibilityPreview:
    def test_request_carries_token_asin_marketplace_and_program(self):
        amazon = FakeAmazon()
        run(preview(amazon.client(FakeTime()), "B000000001"))
        (call,) = amazon.calls
        assert call.url.host == "sellingpartnerapi-na.amazon.com"
        assert call.url.path == "/fba/inbound/v1/eligibility/itemPreview"
        assert dict(call.url.params) == {"asin": "B000000001", "marketplaceIds": "ATVPDKIKX0DER", "program": "INBOUND"}
        assert call.headers["x-amz-access-token"] == "Atza|token-1"

    @pytest.mark.parametrize(("mp", "host"), [("DE", "sellingpartnerapi-eu.amazon.com"),
                                              ("UK", "sellingpartnerapi-eu.amazon.com"),
                                              ("JP", "sellingpartnerapi-fe.amazon.com"),
                                              ("CA", "sellingpartnerapi-na.amazon.com")])
    def test_marketplace_picks_its_regional_endpoint(self, mp, host):
        amazon = FakeAmazon()
        run(preview(amazon.client(FakeTime()), "B000000001", mp))
        assert amazon.calls[0].url.host == host

    def test_endpoint_setting_overrides_the_region(self):
        amazon = FakeAmazon()
        client = amazon.client(FakeTime(), endpoint="https://sandbox.sellingpartnerapi-na.amazon.com/")
        run(preview(client, "B000000001", "DE"))
        assert amazon.calls[0].url.host == "sandbox.sellingpartnerapi-na.amazon.com"

    def test_reply_without_payload_is_an_error(self):
        amazon = FakeAmazon(replies={"B000000001": [(200, {"errors": []}, {})]})
        with pytest.raises(Exception, match="without payload.isEligibleForProgram"):
            run(preview(amazon.client(FakeTime()), "B000000001"))

    def test_unknown_marketplace_is_invalid_input(self):
        with pytest.raises(SpApiInvalidInput, match='"ZZ"'):
            run(preview(FakeAmazon().client(FakeTime()), "B000000001", "ZZ"))

    def test_calls_are_paced_one_a_second(self):
        amazon, time = FakeAmazon(), FakeTime()
        client = amazon.client(time)

        async def three():
            for _ in range(3):
                await client.item_eligibility_preview("B000000001", "US")
            await client.aclose()

        run(three())
        assert time.sleeps == [1.0, 1.0]

    def test_rate_limit_header_sets_the_pace(self):
        # The pace is the budget's: the first reply says 4/s, and `follow` re-prices what was
        # already reserved at the documented 1/s at the new rate, so every later call waits 0.25 s.
        amazon, time = FakeAmazon(replies={"B000000001": [(200, OK, {"x-amzn-RateLimit-Limit": "4.0"})]}), FakeTime()
        client = amazon.client(time)

        async def three():
            for _ in range(3):
                await client.item_eligibility_preview("B000000001", "US")
            await client.aclose()

        run(three())
        assert time.sleeps == [0.25, 0.25]
        (state,) = client.budgets.states()
        assert (state.key.operation, state.rate, state.source) == ("getItemEligibilityPreview", 4.0, "reply")


class TestRetries:
    def test_429_waits_the_retry_after_it_is_given(self):
        amazon, time = FakeAmazon(replies={"B000000001": [
            (429, {"errors": [{"code": "QuotaExceeded", "message": "slow down"}]}, {"Retry-After": "3"}),
            (200, OK, {})]}), FakeTime()
        assert run(preview(amazon.client(time), "B000000001")).eligible is True
        assert time.sleeps == [3.0] and len(amazon.calls) == 2

    def test_network_failure_is_retried_then_unavailable(self):
        time, calls = FakeTime(), []

        def handler(request):
            if request.url.path == "/auth/o2/token":
                return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
            calls.append(request)
            raise httpx.ConnectError("connection refused", request=request)

        client = SpApiClient(FakeAmazon().client(time).credentials, transport=httpx.MockTransport(handler),
                             clock=time.clock, sleep=time.sleep, max_retries=2)
        with pytest.raises(SpApiUnavailable, match="no reply from Amazon"):
            run(preview(client, "B000000001"))
        assert len(calls) == 3

    def test_no_retries_when_max_retries_is_zero(self):
        amazon, time = FakeAmazon(replies={"B000000001": [(503, {}, {})]}), FakeTime()
        with pytest.raises(SpApiUnavailable):
            run(preview(amazon.client(time, max_retries=0), "B000000001"))
        assert time.sleeps == [] and len(amazon.calls) == 1


class TestAccessToken:
    def test_exchange_sends_the_refresh_token_grant(self):
        amazon = FakeAmazon()
        run(preview(amazon.client(FakeTime()), "B000000001"))
        (form,) = amazon.token_requests
        assert form == {"grant_type": ["refresh_token"], "refresh_token": ["Atzr|refresh"],
                        "client_id": ["amzn1.application-oa2-client.test"], "client_secret": ["secret"]}
        assert amazon.requests[0].url == "https://api.amazon.com/auth/o2/token"

    def test_token_is_reused_until_shortly_before_it_expires(self):
        amazon, time = FakeAmazon(), FakeTime()
        client = amazon.client(time)

        async def scenario():
            await client.item_eligibility_preview("B000000001", "US")
            time.advance(3000)
            await client.item_eligibility_preview("B000000001", "US")
            time.advance(600)  # 3,600 s token, renewed a minute early
            await client.item_eligibility_preview("B000000001", "US")
            await client.aclose()

        run(scenario())
        assert amazon.tokens_issued == 2
        assert [c.headers["x-amz-access-token"] for c in amazon.calls] == ["Atza|token-1", "Atza|token-1", "Atza|token-2"]

    def test_refused_refresh_token_is_auth_error_naming_the_settings(self):
        amazon = FakeAmazon(token_replies=[(400, {"error": "invalid_grant",
                                                  "error_description": "The request has an invalid grant parameter"})])
        with pytest.raises(SpApiAuthError, match="invalid_grant.*SELLERKIT_SPAPI_REFRESH_TOKEN"):
            run(preview(amazon.client(FakeTime()), "B000000001"))
        assert amazon.calls == []


class TestConfiguration:
    def test_unconfigured_client_says_which_settings_to_give(self):
        client = SpApiClient(None)
        assert client.configured is False
        with pytest.raises(SpApiNotConfigured, match="SELLERKIT_SPAPI_REFRESH_TOKEN.*SELLERKIT_SPAPI_CLIENT_SECRET"):
            run(preview(client, "B000000001"))

    def test_settings_need_all_three_credentials(self, tmp_path):
        partial = Settings(data_dir=tmp_path, spapi_refresh_token="Atzr|x", spapi_client_id="id")
        assert SpApiClient.from_settings(partial).configured is False
        full = Settings(data_dir=tmp_path, spapi_refresh_token="Atzr|x", spapi_client_id="id", spapi_client_secret="s")
        client = SpApiClient.from_settings(full)
        assert client.configured and client.credentials.client_secret == "s"

    def test_default_settings_leave_sp_api_off(self, tmp_path, monkeypatch):
        for name in ("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET"):
            monkeypatch.delenv(f"SELLERKIT_SPAPI_{name}", raising=False)
        assert SpApiClient.from_settings(Settings(data_dir=tmp_path, _env_file=None)).configured is False

    def test_every_marketplace_has_an_endpoint(self):
        from sellerkit.domain.marketplaces import MARKETPLACES

        assert all(endpoint_for(code).startswith("https://sellingpartnerapi-") for code in MARKETPLACES)
