"""Amazon listings through the channel interface, against the fake SP-API (a real HTTP server
answering Listings Items from the official examples, enforcing the usage plans with 429s;
tests/fakes/spapi_listings.py). Jobs are run by calling them, except where the queue itself is
what is tested."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from sellerkit.commerce.channel_listings import channel_listings, listing_channel
from sellerkit.commerce.channels import LocalChannel, channel_for
from sellerkit.commerce.models import ChannelListing, Manifest, MarketplaceAccount
from sellerkit.config import Settings
from sellerkit.kit.db import utcnow
from tests.commerce.conftest import make_seller
from tests.conftest import make_client

fakes = pytest.importorskip("tests.fakes.spapi_server")
from tests.fakes import spapi_listings  # noqa: E402

SCALE = 40  # the usage plans 40x faster: a test takes a fraction of a second per dozen calls
TOKEN = "Atzr|test-seller-0123456789abcdef"


@pytest.fixture
def sp_api_examples():
    """The fake's replies are built from the SP-API model examples in ../shared: without them the
    test skips, saying where they were looked for."""
    try:
        fakes.examples()
        spapi_listings.example("putListingsItem.200.example.json")
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"{fakes.MISSING}: {exc}")


@pytest.fixture
def amazon(sp_api_examples):
    with fakes.FakeSpApi(products=40, seed=5, rate_scale=SCALE) as fake:
        yield fake


def live_settings(tmp_path, amazon, **kw) -> Settings:
    return Settings(**{
        "data_dir": tmp_path, "demo": False, "embedded_worker": False, "spapi_endpoint": amazon.url,
        "spapi_lwa_url": amazon.token_url, "spapi_refresh_token": TOKEN,
        "spapi_client_id": "amzn1.application-oa2-client.test", "spapi_client_secret": "client-secret",
        "spapi_seller_id": amazon.seller_id, "spapi_max_retries": 8, **kw})


class Live:
    """A seller whose default account is connected to the fake through the settings."""

    def __init__(self, db, settings, client, seller, amazon) -> None:
        self.db, self.settings, self.client, self.seller, self.amazon = db, settings, client, seller, amazon

    def goods(self, n: int, start: int = 0):
        return [p for p in self.amazon.products if not p.restricted][start:start + n]

    def submit(self, listings: list[dict], **fields) -> dict:
        manifest = self.seller.manifest(listings, submit=True, **fields)
        self.publish()
        return self.seller.get(f"/api/manifests/{manifest['id']}").json()["manifest"]

    def publish(self) -> None:
        with self.db.session() as s:
            ids = list(s.scalars(sa.select(Manifest.id).where(Manifest.status == "submitting")))
        for manifest_id in ids:
            channel_listings.publish_manifest(self.db, self.settings, manifest_id)

    def product(self, sku: str) -> dict:
        [p] = self.seller.get("/api/products", params={"sku": sku}).json()["products"]
        return p

    def sent(self, operation: str) -> list[dict]:
        return [e for e in self.amazon.log if e["operation"] == operation]


def listing(p, sku: str, **kw) -> dict:
    return {"asin": p.asin, "title": p.title, "sku": sku, "quantity": 3, "retail_price": "19.99",
            "item_condition": "new", **kw}


@pytest.fixture
def live(db, tmp_path, amazon, new_key):
    settings = live_settings(tmp_path, amazon)
    with make_client(db, settings) as client:
        yield Live(db, settings, client, make_seller(client, new_key), amazon)


class TestSubmittingToAmazon:
    def test_each_listing_is_put_live_with_put_listings_item(self, live):
        goods = live.goods(3)
        manifest = live.submit([listing(p, f"S{i}") for i, p in enumerate(goods)])
        puts = live.sent("putListingsItem")
        assert sorted(e["query"]["sku"][0] for e in puts) == ["S0", "S1", "S2"]
        assert {e["query"]["sellerId"][0] for e in puts} == {live.amazon.seller_id}
        attrs = next(e for e in puts if e["query"]["sku"][0] == "S0")["body"]["attributes"]
        assert attrs["merchant_suggested_asin"][0]["value"] == goods[0].asin
        assert attrs["fulfillment_availability"] == [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}]
        assert [live.product(f"S{i}")["marketplace_status"] for i in range(3)] == ["active"] * 3
        assert manifest["status"] == "submitted" and manifest["processing"] is None
        assert "3 of 3 listings answered (3 live, 0 refused" in manifest["status_message"]

    def test_submission_answers_at_once_and_the_manifest_shows_progress_until_the_job_ends(self, live):
        manifest = live.seller.manifest([listing(live.goods(1)[0], "S1")], submit=True)
        assert (manifest["status"], manifest["processing"]) == ("submitting", True)
        assert "being put live on Amazon US (putListingsItem)" in manifest["status_message"]
        assert live.product("S1")["marketplace_status"] == "pending" and not live.sent("putListingsItem")

    def test_an_fba_manifest_sends_amazons_fulfilment_channel(self, live):
        live.submit([listing(live.goods(1)[0], "F1")], seller_fulfilled=False)
        [put] = live.sent("putListingsItem")
        assert put["body"]["attributes"]["fulfillment_availability"] == [{"fulfillment_channel_code": "AMAZON_NA"}]

    def test_amazons_error_issues_become_the_listing_list_status(self, live):
        restricted = next(p for p in live.amazon.products if p.restricted)
        manifest = live.submit([listing(restricted, "R1")])
        [pl] = live.seller.get(f"/api/manifests/{manifest['id']}/product_listings").json()["product_listings"]
        assert pl["list_status"] == "marketplace_error"
        assert "18742: Restricted Products Policy Violation" in pl["list_status_error_detail"]
        product = live.product("R1")
        assert (product["marketplace_status"], product["list_status"]) == ("error", "marketplace_error")
        assert "1 refused" in manifest["status_message"]

    def test_a_warning_is_kept_in_the_detail_of_a_live_listing(self, live):
        p = live.goods(1)[0]
        live.submit([listing(p, "W1", retail_price=f"{p.price * 4 / 100:.2f}")])
        product = live.product("W1")
        assert (product["marketplace_status"], product["list_status"]) == ("active", "okay_to_ship")
        assert product["list_status_error_detail"].startswith("WARNING PRICE_HIGH")

    def test_a_listing_amazon_cannot_take_is_refused_without_asking(self, live):
        live.submit([listing(live.goods(1)[0], "X1", item_condition="salvage")])
        assert not live.sent("putListingsItem")
        assert "Amazon has no condition for item_condition 'salvage'" in live.product("X1")["list_status_error_detail"]

    def test_429s_and_5xx_are_retried_and_every_listing_is_answered(self, db, tmp_path, new_key, sp_api_examples):
        with fakes.FakeSpApi(products=40, seed=5, rate_scale=SCALE, fault_rate=0.3) as amazon:
            settings = live_settings(tmp_path, amazon)
            with make_client(db, settings) as client:
                run = Live(db, settings, client, make_seller(client, new_key), amazon)
                manifest = run.submit([listing(p, f"S{i}") for i, p in enumerate(run.goods(12))])
            assert amazon.throttled + amazon.failed > 0
            assert "12 of 12 listings answered (12 live" in manifest["status_message"]

    def test_puts_keep_to_the_operations_budget(self, db, tmp_path, new_key, sp_api_examples):
        """No 429 from pacing: 30 puts at 5/s burst 10 (x SCALE) take at least the least time."""
        with fakes.FakeSpApi(products=40, seed=5, rate_scale=SCALE) as amazon:
            settings = live_settings(tmp_path, amazon)
            with make_client(db, settings) as client:
                run = Live(db, settings, client, make_seller(client, new_key), amazon)
                run.seller.manifest([listing(p, f"S{i}") for i, p in enumerate(run.goods(30))], submit=True)
                started = time.monotonic()
                run.publish()
                elapsed = time.monotonic() - started
            assert amazon.throttled == 0 and amazon.answered("putListingsItem") == 30
            assert elapsed >= amazon.minimum_seconds("putListingsItem", 30) * 0.9

    def test_an_account_without_an_sp_api_connection_stays_local_and_says_so(self, db, settings, new_key):
        with make_client(db, settings) as client:
            seller = make_seller(client, new_key)
            manifest = seller.manifest([{"asin": "B07G22S48Q", "title": "T", "sku": "L1", "quantity": 1,
                                         "retail_price": "5.00"}], submit=True)
        assert manifest["status"] == "submitted"
        assert "no live amazon channel is connected" in manifest["status_message"]
        assert "Amazon SP-API is not connected for account" in manifest["status_message"]
        with db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(ChannelListing)) == 0

    def test_the_job_is_enqueued_after_the_commit_and_run_by_the_worker(self, db, tmp_path, amazon, new_key):
        settings = live_settings(tmp_path, amazon, embedded_worker=True, job_threads=1)
        with make_client(db, settings) as client:
            seller = make_seller(client, new_key)
            goods = [p for p in amazon.products if not p.restricted][:4]
            manifest = seller.manifest([listing(p, f"Q{i}") for i, p in enumerate(goods)], submit=True)
            deadline = time.monotonic() + 30
            while manifest["processing"] and time.monotonic() < deadline:
                time.sleep(0.1)
                manifest = seller.get(f"/api/manifests/{manifest['id']}").json()["manifest"]
        assert manifest["status"] == "submitted" and amazon.answered("putListingsItem") == 4


class TestPriceAndQuantityChanges:
    def _listed(self, live, sku: str = "P1") -> dict:
        live.submit([listing(live.goods(1)[0], sku)])
        return live.product(sku)

    def test_a_price_changed_twice_within_the_debounce_window_sends_one_patch(self, live):
        product = self._listed(live)
        for price in ("21.00", "22.50"):
            assert live.seller.put(f"/api/products/{product['id']}",
                                   json={"product": {"retail_price": price}}).status_code == 200
        assert channel_listings.send_due(live.db, live.settings).patch == 0  # the window has not passed
        later = utcnow() + timedelta(seconds=live.settings.channel_debounce_seconds + 1)
        assert channel_listings.send_due(live.db, live.settings, now=later).patch == 1
        [patch] = live.sent("patchListingsItem")
        assert [p["path"] for p in patch["body"]["patches"]] == ["/attributes/purchasable_offer"]
        assert patch["body"]["patches"][0]["value"][0]["our_price"][0]["schedule"][0]["value_with_tax"] == 22.5
        assert channel_listings.send_due(live.db, live.settings, now=later + timedelta(minutes=5)).patch == 0

    def test_an_order_taking_stock_patches_the_quantity(self, live):
        self._listed(live)
        r = live.seller.post("/api/orders", json={"orders": [{
            "order_number": "O-1", "marketplace_account_id": live.seller.channel["id"],
            "order_status": "awaiting_shipment", "items": [{"sku": "P1", "quantity": 2, "unit_price": "19.99"}]}]})
        assert r.status_code == 201, r.text
        later = utcnow() + timedelta(seconds=live.settings.channel_debounce_seconds + 1)
        channel_listings.send_due(live.db, live.settings, now=later)
        [patch] = live.sent("patchListingsItem")
        assert patch["body"]["patches"] == [{"op": "replace", "path": "/attributes/fulfillment_availability",
                                             "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}]}]

    def test_an_inventory_location_change_patches_the_quantity(self, live):
        product = self._listed(live)
        loc = product["inventory_locations"][0]
        live.seller.put(f"/api/products/{product['id']}/inventory_locations/{loc['id']}",
                        json={"inventory_location": {"quantity_available": 9}})
        channel_listings.send_due(live.db, live.settings, now=utcnow() + timedelta(minutes=2))
        [patch] = live.sent("patchListingsItem")
        assert patch["body"]["patches"][0]["value"] == [{"fulfillment_channel_code": "DEFAULT", "quantity": 9}]

    def test_a_change_back_to_what_amazon_has_sends_nothing(self, live):
        product = self._listed(live)
        for price in ("25.00", "19.99"):
            live.seller.put(f"/api/products/{product['id']}", json={"product": {"retail_price": price}})
        channel_listings.send_due(live.db, live.settings, now=utcnow() + timedelta(minutes=2))
        assert not live.sent("patchListingsItem")

    def test_pending_changes_survive_a_restart(self, live, tmp_path):
        """The pending patch is a row: a new process (a new Database on the same file) sends it."""
        product = self._listed(live)
        live.seller.put(f"/api/products/{product['id']}", json={"product": {"retail_price": "30.00"}})
        from sellerkit.kit.db import Database

        again = Database(str(live.db.engine.url))
        try:
            sent = channel_listings.send_due(again, live.settings, now=utcnow() + timedelta(minutes=2))
        finally:
            again.dispose()
        assert sent.patch == 1 and len(live.sent("patchListingsItem")) == 1

    def test_a_local_product_marks_nothing(self, db, settings, new_key):
        with make_client(db, settings) as client:
            seller = make_seller(client, new_key)
            product = seller.product("L1")
            seller.put(f"/api/products/{product['id']}", json={"product": {"retail_price": "30.00"}})
        with db.session() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(ChannelListing)) == 0


class TestEndingAListing:
    def test_end_listing_on_marketplace_calls_delete_listings_item(self, live):
        live.submit([listing(live.goods(1)[0], "E1")])
        product = live.product("E1")
        r = live.seller.delete(f"/api/products/{product['id']}",
                               params={"end_listing_on_marketplace": "true", "delete_product": "false"})
        assert r.json()["products"][0]["marketplace_status"] == "ended"
        assert channel_listings.send_due(live.db, live.settings).delete == 1
        [gone] = live.sent("deleteListingsItem")
        assert gone["query"]["sku"][0] == "E1" and (live.amazon.seller_id, "E1") not in live.amazon.listings
        assert live.product("E1")["marketplace_status"] == "ended"


class TestStatusReadBack:
    def test_get_listings_item_shows_amazons_status_and_issues_on_the_product(self, live):
        live.submit([listing(live.goods(1)[0], "G1")])
        live.amazon.listings[(live.amazon.seller_id, "G1")]["issues"] = spapi_listings.example_issues()
        product = live.product("G1")
        r = live.seller.post(f"/api/products/{product['id']}/marketplace_status")
        assert r.status_code == 200, r.text
        shown = r.json()["product"]
        assert (shown["marketplace_status"], shown["list_status"]) == ("active", "marketplace_error")
        assert shown["list_status_error_detail"].startswith("ERROR 90220: 'size' is required but not supplied.")
        assert shown["marketplace_listing"]["channel_status"] == "BUYABLE,DISCOVERABLE"
        assert live.product("G1")["list_status"] == "marketplace_error"  # kept

    def test_a_sku_amazon_does_not_have_is_inactive(self, live):
        live.submit([listing(live.goods(1)[0], "G2")])
        del live.amazon.listings[(live.amazon.seller_id, "G2")]
        shown = live.seller.post(f"/api/products/{live.product('G2')['id']}/marketplace_status").json()["product"]
        assert shown["marketplace_status"] == "inactive"
        assert "Amazon has no listing with SKU G2" in shown["list_status_error_detail"]


class TestChannelFor:
    def _account(self, **kw) -> MarketplaceAccount:
        return MarketplaceAccount(**{"id": 1, "account_id": 1, "name": "A", "account_type": "AmazonAccount",
                                     "marketplace": "amazon", "marketplace_id": "US", **kw})

    def _default_account(self, db, new_key) -> int:
        new_key("seller")
        with db.session() as s:
            return s.scalar(sa.text("SELECT min(id) FROM accounts"))

    @pytest.mark.parametrize("kind", ["WalmartAccount", "ShopifyAccount", "GoogleAccount"])
    def test_other_marketplaces_stay_local_until_their_own_issue_and_say_so(self, db, settings, kind):
        channel = self._account(account_type=kind, marketplace=kind.removesuffix("Account").lower())
        ch, why = listing_channel(channel, db, settings)
        assert isinstance(ch, LocalChannel) and "until their own issue" in why

    def test_a_connection_without_a_seller_id_stays_local_for_listings(self, db, tmp_path, amazon, new_key):
        account = self._account(account_id=self._default_account(db, new_key))
        ch, why = listing_channel(account, db, live_settings(tmp_path, amazon, spapi_seller_id=None))
        assert not ch.listings_live and "no seller id" in why

    def test_a_connected_amazon_account_is_live(self, db, tmp_path, amazon, new_key):
        account = self._account(account_id=self._default_account(db, new_key))
        ch, note = listing_channel(account, db, live_settings(tmp_path, amazon))
        assert ch.listings_live and note == f"Amazon US (seller {amazon.seller_id})"

    def test_without_a_database_and_settings_the_channel_is_local(self):
        assert isinstance(channel_for(self._account()), LocalChannel)


class TestCrashSafety:
    def test_a_publish_that_died_is_finished_by_the_sweep_once_its_lease_ends(self, live):
        from sellerkit.commerce import channel_repository

        live.seller.manifest([listing(p, f"C{i}") for i, p in enumerate(live.goods(3))], submit=True)
        now = utcnow()
        with live.db.session(write=True) as s:  # a job took the work, then its process died
            taken = channel_repository.claim_due(s, now, now + timedelta(minutes=5), kinds=("put",))
        assert len(taken) == 3
        assert channel_listings.send_due(live.db, live.settings).put == 0  # still leased
        sent = channel_listings.send_due(live.db, live.settings, now=now + timedelta(minutes=6))
        assert sent.put == 3 and live.amazon.answered("putListingsItem") == 3
        [manifest] = live.seller.get("/api/manifests").json()["manifests"]
        assert (manifest["status"], manifest["processing"]) == ("submitted", None)

    def test_a_refused_connection_leaves_the_listings_pending_and_says_why(self, live):
        live.amazon.revoke_refresh_token(TOKEN)
        manifest = live.submit([listing(p, f"N{i}") for i, p in enumerate(live.goods(2))])
        assert "2 waiting to be sent or retried" in manifest["status_message"]
        assert "LWA token exchange refused" in manifest["status_message"]
        assert live.product("N0")["marketplace_status"] == "pending"
        with live.db.session() as s:
            rows = list(s.scalars(sa.select(ChannelListing)))
        assert all(r.pending == "put" and r.attempts == 1 and r.due_at > utcnow() for r in rows)


class TestFakeListingsItems:
    """The fake itself: the usage plan and the examples' error answers, over real HTTP."""

    def _client(self, amazon):
        import httpx

        token = httpx.post(amazon.token_url, data={"grant_type": "refresh_token", "refresh_token": TOKEN,
                                                   "client_id": "c"}).json()["access_token"]
        return httpx.Client(base_url=amazon.url, headers={"x-amz-access-token": token})

    def _put(self, http, amazon, sku: str):
        body = {"productType": "PRODUCT", "attributes": {}}
        return http.put(f"/listings/2021-08-01/items/{amazon.seller_id}/{sku}",
                        params={"marketplaceIds": "ATVPDKIKX0DER"}, json=body)

    def test_puts_past_the_burst_are_throttled(self, sp_api_examples):
        """The documented burst of 10, at a rate slowed down so the refill cannot hide it."""
        assert spapi_listings.LISTINGS_LIMITS["putListingsItem"] == (5.0, 10)
        with fakes.FakeSpApi(products=5, seed=5, limits={"putListingsItem": (0.01, 10)}) as amazon, \
                self._client(amazon) as http:
            statuses = [self._put(http, amazon, f"S{i}").status_code for i in range(11)]
        assert statuses == [200] * 10 + [429]

    def test_the_bad_sku_answers_the_models_400_example(self, amazon):
        with self._client(amazon) as http:
            r = self._put(http, amazon, "BadSKU")
        assert r.status_code == 400 and r.json() == spapi_listings.example("putListingsItem.400.sandbox-static-0.json")

    def test_an_offer_without_a_condition_is_invalid_with_the_examples_issue(self, amazon):
        with self._client(amazon) as http:
            r = self._put(http, amazon, "S1")
        assert r.json()["status"] == "INVALID"
        assert r.json()["issues"][0]["attributeNames"] == ["condition_type"]
