"""The issue's contract, end to end: a scan whose codes the local catalog lacks, with SP-API
connected through the settings, against the fake SP-API (a real HTTP server answering with
bodies built from Amazon's model examples and enforcing the documented limits with 429s;
tests/fakes/spapi_server.py). Limits run 40x faster so the test takes seconds, not minutes."""

from __future__ import annotations

import pytest

from sellerkit.config import Settings
from sellerkit.domain import identifiers as ids
from tests.conftest import make_client
from tests.scans.test_endpoints import upload, wait

pytestmark = pytest.mark.slow

fakes = pytest.importorskip("tests.fakes.spapi_server")


@pytest.fixture
def amazon():
    try:
        fakes.examples()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"{fakes.MISSING}: {exc}")
    with fakes.FakeSpApi(products=60, seed=3, rate_scale=40, fault_rate=0.1) as fake:
        yield fake


def live_settings(tmp_path, amazon) -> Settings:
    return Settings(
        data_dir=tmp_path, demo=False, embedded_worker=True, job_threads=1, scan_chunk_rows=50,
        spapi_endpoint=amazon.url, spapi_lwa_url=amazon.token_url, spapi_refresh_token="Atzr|test-seller",
        spapi_client_id="amzn1.application-oa2-client.test", spapi_client_secret="client-secret",
        spapi_seller_id=amazon.seller_id, spapi_max_retries=8,
    )


def test_a_scan_with_spapi_connected_matches_prices_and_names_what_amazon_does_not_know(db, tmp_path, amazon, new_key):
    key = {"Authorization": f"Bearer {new_key('seller').key}"}  # the first account: the settings' connection
    # not hazmat: the local fee schedule has no dangerous-goods rates (the row says so instead)
    goods = [p for p in amazon.products if p.family == "upc" and not p.hazmat][:12]
    unknown = fakes.unknown_codes(1, seed=3)[0]
    text = "UPC,Cost,SKU\n" + "".join(f"{p.code},5.00,S{i}\n" for i, p in enumerate(goods)) + f"{unknown},4.00,NOPE\n"
    with make_client(db, live_settings(tmp_path, amazon)) as client:
        scan = wait(client, key, upload(client, key, text, header=True).json()["id"], timeout=120)
        assert scan["status"] == "Success", scan
        rows = client.post(f"/api/v3/scans/{scan['id']}", headers=key, json={"per_page": 100}).json()["data"]
        by_asin = {r["asin"]: r for r in rows}
        for p in goods:
            row = by_asin[p.asin]
            assert (row["amazon_title"], row["brand"], row["rank"]) == (p.title, p.brand, p.rank)
            assert row["buybox_price"] == p.price  # minor units, as every money field of a result
            assert row["dimensions"]["package_dimensions"]["weight"] == pytest.approx(float(p.weight), abs=1e-3)
            assert row["amazon_fees"]["total"] > 0 and row["financials"]["profit"] is not None
            # Amazon's own estimate at the Buy Box price, beside the local figure, flagged past 1%
            assert row["fees"]["amazon_total"] == sum(p.fees(p.price, True).values())
            local = row["amazon_fees"]["total"]
            assert row["fees"]["amazon_mismatch"] == (abs(row["fees"]["amazon_total"] - local) > local / 100)
        errors = client.post(f"/api/v3/scans/{scan['id']}", headers=key,
                             json={"table_type": "errors", "per_page": 100}).json()["data"]
        assert [e["identifier"] for e in errors] == [unknown]
        assert "Amazon has no product with this UPC" in errors[0]["reason"]
        assert scan["enrichment"]["stages"]

        catalog_calls = amazon.calls["searchCatalogItems"]
        again = wait(client, key, upload(client, key, text, header=True).json()["id"], timeout=60)
        assert again["status"] == "Success" and again["products"] == scan["products"]
        assert amazon.calls["searchCatalogItems"] == catalog_calls  # within the TTL: not one catalog call
        assert ids.parse(unknown).key  # the miss is remembered too: asked once, above


def test_each_account_reaches_amazon_only_through_its_own_connection(db, tmp_path, amazon, new_key):
    """The settings connect the default (first) account only: another account's eligibility
    look-up is answered by the catalog rules, never with the first seller's credentials."""
    first = {"Authorization": f"Bearer {new_key('seller').key}"}
    other = {"Authorization": f"Bearer {new_key('agency', account='other').key}"}
    asin = amazon.products[0].asin
    with make_client(db, live_settings(tmp_path, amazon)) as client:
        [mine] = client.get("/api/v3/inbound-eligibility", params={"asins": asin}, headers=first).json()
        calls = amazon.calls["getItemEligibilityPreview"]
        [theirs] = client.get("/api/v3/inbound-eligibility", params={"asins": "B000000009"}, headers=other).json()
    assert mine["source"] == "sp-api"
    assert theirs["asin"] == "B000000009" and theirs["source"] == "rules" and amazon.calls["getItemEligibilityPreview"] == calls
