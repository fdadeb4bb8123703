"""eBay orders (Sell Fulfillment getOrders) into commerce with OAuth, and tracking back with
createShippingFulfillment, against the fake eBay (tests/fakes/ebay_server.py: a real HTTP server
answering with the getOrders samples of ../shared; these tests skip without them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sellerkit.catalog.providers.connections import connections
from sellerkit.commerce import shipments
from sellerkit.commerce.channels import channel_for
from sellerkit.commerce.imports import import_file
from sellerkit.commerce.models import OrderPull, Shipment
from sellerkit.commerce.order_pulls import order_pulls
from sellerkit.config import Settings
from sellerkit.domain.channel_files import parse_ebay_orders
from sellerkit.errors import Invalid
from tests.commerce.channel_fixtures import SKUS, STOCK, channel_row, new_seller, orders_of, sales, shop, stock
from tests.conftest import make_client
from tests.fakes.ebay_server import MISSING, SAMPLES, FakeEbay
from tests.test_cli import run  # noqa: F401 - the fixture

pytestmark = [pytest.mark.shared, pytest.mark.skipif(not SAMPLES.is_dir(), reason=MISSING)]
SECRET_KEY = "a test install's secret key, long and random enough"


@pytest.fixture
def ebay():
    with FakeEbay(rate_scale=20) as fake:
        yield fake


def settings_for(tmp_path, fake: FakeEbay, **extra) -> Settings:
    return Settings(data_dir=tmp_path, demo=False, embedded_worker=False, secret_key=SECRET_KEY,
                    ebay_client_id=fake.client_id, ebay_client_secret=fake.client_secret, ebay_endpoint=fake.url,
                    spapi_max_retries=2, shipment_retry_base_seconds=0.05, **extra)


@pytest.fixture
def setup(db, tmp_path, ebay):
    settings = settings_for(tmp_path, ebay)
    with make_client(db, settings) as client:
        sh = shop(db, new_seller(db, client, "EbayAccount"), settings)
        with db.session(write=True) as s:
            connections.connect(s, settings, sh.account_id, "ebay", ebay.refresh_token)
        yield sh, client, ebay


def pull(db, sh, **kw):
    return order_pulls.pull(db, sh.live, sh.channel_id, **kw)


def earlier() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=10)


class TestEbayConnection:
    def test_connected_account_gets_the_live_channel(self, db, setup):
        sh, _, _ = setup
        assert channel_for(channel_row(db, sh.channel_id), sh.live).live is True

    def test_the_token_is_stored_encrypted(self, db, setup, ebay):
        from sellerkit.catalog.providers.models import ProviderConnection

        with db.session() as s:
            row = s.execute(sa.select(ProviderConnection).where(ProviderConnection.provider == "ebay")).scalar_one()
        assert ebay.refresh_token.encode() not in bytes(row.secret)

    def test_an_amazon_token_is_refused_naming_the_command(self, db, setup, tmp_path, ebay):
        sh, _, _ = setup
        with db.session(write=True) as s, pytest.raises(Invalid, match="connect amazon"):
            connections.connect(s, settings_for(tmp_path, ebay), sh.account_id, "ebay", "Atzr|not-an-ebay-token-at-all")

    def test_without_the_app_keyset_it_says_what_to_set(self, db, setup, tmp_path):
        sh, _, ebay = setup
        ebay.add_orders(2, skus=SKUS)
        sh.live.settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False, secret_key=SECRET_KEY)
        done = pull(db, sh)
        assert done.added == 0 and "SELLERKIT_EBAY_CLIENT_ID" in done.note and ebay.calls["getOrders"] == 0

    def test_a_walmart_account_stays_local_and_says_so(self, db, setup):
        sh, _, _ = setup
        walmart = sh.seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "W", "marketplace_account_type": "WalmartAccount"}}).json()["marketplace_account"]
        with db.session() as s:
            from sellerkit.commerce.models import MarketplaceAccount

            row = s.execute(sa.select(MarketplaceAccount).where(MarketplaceAccount.name == "W")).scalar_one()
        assert walmart and order_pulls.channels(db, sh.account_id) == sorted(order_pulls.channels(db, sh.account_id))
        ch = channel_for(row, sh.live)
        assert ch.live is False and "stay local until their own issue" in ch.why

    def test_an_expired_access_token_is_renewed(self, db, setup):
        sh, _, ebay = setup
        ebay.add_orders(3, skus=SKUS)
        pull(db, sh, now=earlier())
        ebay.expire_tokens()
        ebay.add_orders(2, skus=SKUS, start=datetime.now(UTC) - timedelta(minutes=5))
        assert pull(db, sh).added == 2 and ebay.tokens_issued == 2


class TestEbayPull:
    def test_the_samples_map_as_the_file_importer_maps_them(self, db, setup):
        sh, _, ebay = setup
        numbers = ebay.load_samples()
        done = pull(db, sh)
        assert done.added == len(set(numbers)) == 8  # two sample files hold the same order
        pulled = orders_of(db, sh.channel_id)
        parsed = {o.order_number: o for path in sorted(SAMPLES.glob("*.json")) for o in parse_ebay_orders(path.read_bytes())}
        for number, o in parsed.items():
            row = pulled[number]
            assert (row.total_amount, row.currency_code, row.buyer_username, row.status, json.loads(row.ship_to)) == \
                (o.total, o.currency_code, o.buyer_username, o.status, o.ship_to)

    def test_filter_paging_and_a_second_pull(self, db, setup):
        sh, _, ebay = setup
        numbers = ebay.add_orders(450, skus=SKUS)  # three pages of 200
        done = pull(db, sh)
        assert (done.added, done.pages) == (450, 3) and sorted(orders_of(db, sh.channel_id)) == sorted(numbers)
        again = pull(db, sh)
        assert (again.added, again.updated) == (0, 0)

    def test_a_pull_again_changes_nothing(self, db, setup):
        sh, _, ebay = setup
        ebay.add_orders(30, skus=SKUS)
        pull(db, sh)
        before = (stock(db), sales(db))
        with db.session(write=True) as s:
            s.execute(sa.update(OrderPull).values(cursor=None))
        done = pull(db, sh)
        assert (done.added, done.updated) == (0, 0) and (stock(db), sales(db)) == before

    def test_orders_take_stock_and_a_cancellation_gives_it_back(self, db, setup):
        sh, _, ebay = setup
        (n,) = ebay.add_orders(1, skus=["SKU-B"])
        pull(db, sh, now=earlier())
        q = ebay.orders[n]["lineItems"][0]["quantity"]
        assert stock(db)["SKU-B"] == (STOCK - q, q)
        ebay.change_order(n, cancelled=True, at=datetime.now(UTC) - timedelta(minutes=5))
        assert pull(db, sh).updated == 1
        assert stock(db)["SKU-B"] == (STOCK, 0) and orders_of(db, sh.channel_id)[n].status == "cancelled"

    def test_an_order_pulled_and_imported_from_its_file_is_one_order(self, db, setup):
        sh, _, ebay = setup
        (n,) = ebay.add_orders(1, skus=["SKU-A"])
        page = {"href": "x", "total": 1, "limit": 50, "offset": 0, "orders": [ebay.orders[n]]}
        import_file(db, sh.account_id, "Store", json.dumps(page).encode(), "ebay-orders.json")
        taken = stock(db)
        done = pull(db, sh)
        assert done.added == 0 and list(orders_of(db, sh.channel_id)) == [n] and stock(db) == taken

    def test_random_throttling_and_failures_lose_nothing(self, db, tmp_path):
        with FakeEbay(rate_scale=20, fault_rate=0.5, seed=4) as ebay:
            settings = settings_for(tmp_path, ebay).model_copy(update={"spapi_max_retries": 8})
            with make_client(db, settings) as client:
                sh = shop(db, new_seller(db, client, "EbayAccount"), settings)
                with db.session(write=True) as s:
                    connections.connect(s, settings, sh.account_id, "ebay", ebay.refresh_token)
                numbers = ebay.add_orders(1000, skus=SKUS)
                done = pull(db, sh)
            assert ebay.throttled + ebay.failed > 0
        assert done.added == 1000 and sorted(orders_of(db, sh.channel_id)) == sorted(numbers)


class TestEbayCrashSafety:
    def test_a_pull_killed_between_pages_resumes_without_loss_or_doubling(self, db, setup):
        sh, _, ebay = setup
        numbers = ebay.add_orders(500, skus=SKUS)

        def die(page):
            if page == 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            pull(db, sh, on_page=die)
        assert len(orders_of(db, sh.channel_id)) in (400, 500)
        done = pull(db, sh)
        assert sorted(orders_of(db, sh.channel_id)) == sorted(numbers)
        assert done.added == 500 - 400 or done.added == 0
        assert sales(db) == 500


class TestEbayShipment:
    def test_tracking_goes_back_with_create_shipping_fulfillment(self, db, setup):
        from sellerkit.commerce.wire import codec_of

        sh, client, ebay = setup
        (n,) = ebay.add_orders(1, skus=SKUS)
        pull(db, sh)
        hex_id = codec_of(db).encode("order", orders_of(db, sh.channel_id)[n].id)
        r = sh.seller.put(f"/api/orders/{hex_id}", json={"order": {"tracking_number": "9400111899223", "carrier_code": "USPS"}})
        assert r.status_code == 200 and r.json()["order"]["channel_shipment"]["status"] == "pending"
        with db.session() as s:
            shipment_id = s.execute(sa.select(Shipment.id)).scalar_one()
        assert shipments.attempt(db, sh.live, shipment_id) is None
        (sent,) = ebay.fulfillments
        assert (sent["orderId"], sent["trackingNumber"], sent["shippingCarrierCode"]) == (n, "9400111899223", "USPS")
        assert sent["lineItems"] == [{"lineItemId": ebay.orders[n]["lineItems"][0]["lineItemId"],
                                      "quantity": ebay.orders[n]["lineItems"][0]["quantity"]}]
        shown = sh.seller.get(f"/api/orders/{hex_id}").json()["order"]["channel_shipment"]
        assert shown["status"] == "sent" and "fulfillment" in shown["message"]

    def test_an_order_without_ebay_line_items_is_kept_local_saying_why(self, db, setup):
        sh, client, ebay = setup
        r = sh.seller.post("/api/orders", json={"orders": [{
            "order_number": "API-1", "marketplace_account_id": sh.seller.channel["id"], "order_status": "awaiting_shipment",
            "items": [{"sku": "SKU-A", "quantity": 1, "unit_price": "5.00"}]}]})
        hex_id = r.json()["orders"][0]["id"]
        sh.seller.put(f"/api/orders/{hex_id}", json={"order": {"tracking_number": "T1", "carrier_code": "USPS"}})
        with db.session() as s:
            shipment_id = s.execute(sa.select(Shipment.id)).scalar_one()
        shipments.attempt(db, sh.live, shipment_id)
        shown = sh.seller.get(f"/api/orders/{hex_id}").json()["order"]["channel_shipment"]
        assert shown["status"] == "recorded" and "no eBay line item ids" in shown["message"]
        assert ebay.fulfillments == []


class TestCli:
    def test_connect_ebay_and_pull_print_the_orders_added(self, run, tmp_path, ebay):  # noqa: F811
        ebay.add_orders(7, skus=["X-1"])
        env = {"SELLERKIT_SECRET_KEY": SECRET_KEY, "SELLERKIT_EBAY_CLIENT_ID": ebay.client_id,
               "SELLERKIT_EBAY_CLIENT_SECRET": ebay.client_secret, "SELLERKIT_EBAY_ENDPOINT": ebay.url}
        run("keys", "create", "--name", "shop", **env)
        run("accounts", "add-channel", "ebay", "--name", "Store", **env)
        token = tmp_path / "ebay-token.txt"
        token.write_text(ebay.refresh_token + "\n")
        connected = run("providers", "connect", "ebay", "--refresh-token-file", str(token), **env)
        assert "eBay" in connected.stderr and ebay.refresh_token not in connected.stderr + connected.stdout
        first = run("orders", "pull", **env)
        assert "Store: 7 orders added, 0 updated" in first.stdout
        again = run("orders", "pull", **env)
        assert "0 orders added, 0 updated" in again.stdout

    def test_pull_without_a_connection_says_what_to_run(self, run, tmp_path):  # noqa: F811
        run("keys", "create", "--name", "shop")
        run("accounts", "add-channel", "ebay", "--name", "Store")
        out = run("orders", "pull")
        assert "sellerkit providers connect ebay" in out.stdout and "0 orders added" in out.stdout
