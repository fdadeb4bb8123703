"""Amazon orders (Orders v0) into commerce, and tracking back with confirmShipment, against the
fake SP-API (a real HTTP server answering with the Orders v0 model examples, enforcing the
documented usage plans, 100x faster here). Skips without ../shared's SP-API models."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
from sellerkit.commerce import shipments
from sellerkit.commerce.channels import channel_for
from sellerkit.commerce.imports import import_file
from sellerkit.commerce.models import Order, OrderPull, Product, Shipment
from sellerkit.commerce.order_pulls import order_pulls
from sellerkit.config import Settings
from tests.commerce.channel_fixtures import (SKUS, STOCK, channel_row, items_of, new_seller, orders_of, sales, shop,
                                             stock)
from tests.conftest import make_client
from tests.fakes.spapi_server import EXAMPLES, MISSING, FakeSpApi

pytestmark = [pytest.mark.shared, pytest.mark.skipif(not EXAMPLES.is_dir(), reason=MISSING)]
SCALE = 100


class Killed(Exception):
    """Stands for the process dying between two pages."""


@pytest.fixture
def amazon():
    with FakeSpApi(products=0, seed=5, rate_scale=SCALE) as fake:
        yield fake


def settings_for(tmp_path, fake: FakeSpApi, **extra) -> Settings:
    return Settings(data_dir=tmp_path, demo=False, embedded_worker=False, spapi_refresh_token="Atzr|seller-orders-test",
                    spapi_client_id="amzn1.application-oa2-client.test", spapi_client_secret="app-s3cr3t",
                    spapi_endpoint=fake.url, spapi_lwa_url=fake.token_url, spapi_max_retries=1,
                    shipment_retry_base_seconds=0.05, **extra)


@pytest.fixture
def setup(db, tmp_path, amazon):
    settings = settings_for(tmp_path, amazon)
    with make_client(db, settings) as client:
        budgets = Budgets(MemoryBudgets())
        sh = shop(db, new_seller(db, client), settings, budgets)
        amazon.seed_budgets(budgets, sh.account_id)
        yield sh, client, amazon


def pull(db, sh, **kw):
    return order_pulls.pull(db, sh.live, sh.channel_id, **kw)


def earlier() -> datetime:
    """A pull's time ten minutes ago: a change the fake makes now (LastUpdateDate five minutes
    ago, as `change_order` does) falls in the next pull's window."""
    return datetime.now(UTC) - timedelta(minutes=10)


def ordered(amazon, number: str) -> int:
    return sum(i["QuantityOrdered"] for i in amazon.orders_state.items[number])


class TestAmazonChannel:
    def test_connected_account_gets_the_live_channel(self, db, setup):
        sh, _, _ = setup
        assert channel_for(channel_row(db, sh.channel_id), sh.live).live is True

    def test_unconnected_account_says_what_to_set(self, db, setup, tmp_path):
        sh, _, _ = setup
        sh.live.settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False)
        ch = channel_for(channel_row(db, sh.channel_id), sh.live)
        assert ch.live is False
        assert "SELLERKIT_SPAPI_REFRESH_TOKEN" in ch.why and "sellerkit providers connect amazon" in ch.why

    def test_unconnected_pull_notes_why_and_pulls_nothing(self, db, setup, tmp_path):
        sh, _, amazon = setup
        amazon.add_orders(3, skus=SKUS)
        sh.live.settings = Settings(data_dir=tmp_path, demo=False, embedded_worker=False)
        done = pull(db, sh)
        assert done.added == 0 and "SELLERKIT_SPAPI_CLIENT_ID" in done.note
        assert amazon.calls["getOrders"] == 0


class TestAmazonPull:
    def test_every_order_is_entered_once_with_its_items(self, db, setup):
        sh, _, amazon = setup
        numbers = amazon.add_orders(230, skus=SKUS)  # three pages of 100
        done = pull(db, sh)
        assert (done.added, done.updated, done.pages, done.done) == (230, 0, 3, True)
        got = orders_of(db, sh.channel_id)
        assert sorted(got) == sorted(numbers)
        n = numbers[17]
        assert [i.external_id for i in items_of(db, n)] == [i["OrderItemId"] for i in amazon.orders_state.items[n]]
        assert amazon.answered("getOrderItems") == 230

    def test_order_fields_follow_the_model_example(self, db, setup):
        sh, _, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh)
        row = orders_of(db, sh.channel_id)[n]
        source = amazon.orders_state.orders[n]
        assert row.status == "awaiting_shipment" and row.source == "amazon" and row.fulfilled_by == "merchant"
        assert row.total_amount == int(source["OrderTotal"]["Amount"].replace(".", ""))
        assert row.buyer_name == source["BuyerInfo"]["BuyerName"]
        assert '"city": "Canton"' in row.ship_to.replace('":"', '": "')

    def test_a_pull_again_changes_nothing(self, db, setup):
        sh, _, amazon = setup
        amazon.add_orders(40, skus=SKUS)
        pull(db, sh)
        before = (stock(db), sales(db), {n: o.updated_at for n, o in orders_of(db, sh.channel_id).items()})
        with db.session(write=True) as s:  # the whole window once more, as if the cursor were lost
            s.execute(sa.update(OrderPull).values(cursor=None))
        done = pull(db, sh)
        assert (done.added, done.updated) == (0, 0)
        assert (stock(db), sales(db), {n: o.updated_at for n, o in orders_of(db, sh.channel_id).items()}) == before

    def test_the_next_pull_asks_from_the_cursor(self, db, setup):
        sh, _, amazon = setup
        amazon.add_orders(5, skus=SKUS)
        pull(db, sh)
        pull(db, sh)
        first, second = [e["query"] for e in amazon.log if e["operation"] == "getOrders"]
        assert second["LastUpdatedAfter"] == first["LastUpdatedBefore"]

    def test_orders_take_stock_as_any_order(self, db, setup):
        sh, _, amazon = setup
        numbers = amazon.add_orders(30, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh)
        wanted = {sku: 0 for sku in SKUS}
        for n in numbers:
            for it in amazon.orders_state.items[n]:
                wanted[it["SellerSKU"]] += it["QuantityOrdered"]
        assert stock(db) == {sku: (STOCK - q, q) for sku, q in wanted.items()}

    def test_fba_orders_take_no_stock(self, db, setup):
        sh, _, amazon = setup
        amazon.add_orders(4, skus=SKUS, afn_every=1, statuses=("Unshipped",))
        pull(db, sh)
        assert stock(db) == {sku: (STOCK, 0) for sku in SKUS}
        assert {o.fulfilled_by for o in orders_of(db, sh.channel_id).values()} == {"amazon"}

    def test_an_order_paid_on_amazon_takes_its_stock(self, db, setup):
        sh, _, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Pending",))
        pull(db, sh, now=earlier())
        assert orders_of(db, sh.channel_id)[n].status == "awaiting_payment" and sales(db) == 0
        amazon.change_order(n, status="Unshipped")
        done = pull(db, sh)
        assert (done.added, done.updated) == (0, 1)
        assert orders_of(db, sh.channel_id)[n].status == "awaiting_shipment"
        assert sum(pick for _, pick in stock(db).values()) == ordered(amazon, n)

    def test_an_order_cancelled_on_amazon_gives_its_stock_back(self, db, setup):
        sh, _, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh, now=earlier())
        amazon.change_order(n, status="Canceled")
        done = pull(db, sh)
        assert done.updated == 1 and orders_of(db, sh.channel_id)[n].status == "cancelled"
        assert stock(db) == {sku: (STOCK, 0) for sku in SKUS}

    def test_an_order_shipped_by_amazon_leaves_awaiting_pick(self, db, setup):
        sh, _, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh, now=earlier())
        amazon.change_order(n, status="Shipped")
        pull(db, sh)
        assert orders_of(db, sh.channel_id)[n].status == "shipped"
        assert sum(q for q, _ in stock(db).values()) == STOCK * len(SKUS) - ordered(amazon, n)
        assert sum(pick for _, pick in stock(db).values()) == 0

    def test_an_order_pulled_and_imported_from_a_report_is_one_order(self, db, setup):
        sh, _, amazon = setup
        (n,) = amazon.add_orders(1, skus=["SKU-A"], statuses=("Unshipped",))
        item = amazon.orders_state.items[n][0]
        report = ("amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tsku\tquantity\tcurrency\titem-price\n"
                  f"{n}\t2026-12-01T10:00:00+00:00\t2026-12-01T10:00:00+00:00\tUnshipped\tSKU-A\t"
                  f"{item['QuantityOrdered']}\tUSD\t{item['ItemPrice']['Amount']}\n")
        import_file(db, sh.account_id, sh.seller.channel["name"], report.encode(), "orders.txt")
        taken = stock(db)
        done = pull(db, sh)
        assert done.added == 0 and list(orders_of(db, sh.channel_id)) == [n]
        assert stock(db) == taken and sales(db) == 1

    def test_random_throttling_and_failures_lose_nothing(self, db, tmp_path):
        with FakeSpApi(products=0, seed=9, rate_scale=SCALE, fault_rate=0.15) as amazon:
            settings = settings_for(tmp_path, amazon).model_copy(update={"spapi_max_retries": 6})
            with make_client(db, settings) as client:
                budgets = Budgets(MemoryBudgets())
                sh = shop(db, new_seller(db, client), settings, budgets)
                amazon.seed_budgets(budgets, sh.account_id)
                numbers = amazon.add_orders(60, skus=SKUS)
                done = pull(db, sh)
            assert amazon.throttled + amazon.failed > 0
        assert done.added == 60 and sorted(orders_of(db, sh.channel_id)) == sorted(numbers)


class TestCrashSafety:
    def test_a_pull_killed_between_pages_resumes_without_loss_or_doubling(self, db, setup):
        sh, _, amazon = setup
        numbers = amazon.add_orders(250, skus=SKUS, statuses=("Unshipped",))

        def die(page):
            if page == 1:
                raise Killed("the worker was killed")

        with pytest.raises(Killed):
            pull(db, sh, on_page=die)
        with db.session() as s:
            row = s.execute(sa.select(OrderPull)).scalar_one()
            assert row.page_token is not None and row.window_end is not None and row.lease_until is None
            assert "Killed" in row.last_error
        assert 100 <= len(orders_of(db, sh.channel_id)) < 250
        done = pull(db, sh)
        assert done.done and sorted(orders_of(db, sh.channel_id)) == sorted(numbers)
        assert sum(pick for _, pick in stock(db).values()) == sum(ordered(amazon, n) for n in numbers)
        with db.session() as s:
            assert s.execute(sa.select(OrderPull.page_token, OrderPull.window_end)).one() == (None, None)

    def test_a_pull_that_fails_midway_keeps_its_window_and_resumes(self, db, setup):
        sh, _, amazon = setup
        numbers = amazon.add_orders(180, skus=SKUS, statuses=("Unshipped",))
        amazon.break_after("getOrderItems", 130)
        with pytest.raises(Exception, match="getOrderItems"):
            pull(db, sh)
        kept = len(orders_of(db, sh.channel_id))
        assert kept == 100  # the first page is in, the second never was
        amazon.repair()
        done = pull(db, sh)
        assert done.added == 80 and sorted(orders_of(db, sh.channel_id)) == sorted(numbers)
        assert sum(pick for _, pick in stock(db).values()) == sum(ordered(amazon, n) for n in numbers)

    def test_a_page_token_amazon_no_longer_takes_starts_the_window_again(self, db, setup):
        sh, _, amazon = setup
        numbers = amazon.add_orders(120, skus=SKUS, statuses=("Unshipped",))
        with pytest.raises(Killed):
            pull(db, sh, on_page=lambda page: (_ for _ in ()).throw(Killed()))
        with db.session(write=True) as s:
            s.execute(sa.update(OrderPull).values(page_token="expired-token"))
        done = pull(db, sh)
        assert done.done and sorted(orders_of(db, sh.channel_id)) == sorted(numbers)
        assert sum(pick for _, pick in stock(db).values()) == sum(ordered(amazon, n) for n in numbers)

    def test_a_second_pull_waits_while_one_holds_the_lease(self, db, setup):
        sh, _, amazon = setup
        amazon.add_orders(3, skus=SKUS)
        with db.session(write=True) as s:
            channel = channel_row(db, sh.channel_id)
            from sellerkit.commerce import orders_repository as repo

            repo.order_pull(s, channel).lease_until = datetime.now(UTC) + timedelta(minutes=5)
        done = pull(db, sh)
        assert done.added == 0 and "already running" in done.note and amazon.calls["getOrders"] == 0


class TestConfirmShipment:
    def ship(self, client, sh, db, number, tracking="1Z999AA10123456784", carrier="UPS"):
        from sellerkit.commerce.wire import codec_of

        order_id = orders_of(db, sh.channel_id)[number].id
        hex_id = codec_of(db).encode("order", order_id)
        r = sh.seller.put(f"/api/orders/{hex_id}", json={"order": {"tracking_number": tracking, "carrier_code": carrier}})
        assert r.status_code == 200, r.text
        return hex_id, r.json()["order"]

    def shipment(self, db) -> Shipment:
        with db.session() as s:
            return s.execute(sa.select(Shipment).order_by(Shipment.id.desc())).scalars().first()

    def test_tracking_is_confirmed_to_amazon(self, db, setup):
        sh, client, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh)
        hex_id, view = self.ship(client, sh, db, n)
        assert view["channel_shipment"]["status"] == "pending"
        assert shipments.attempt(db, sh.live, self.shipment(db).id) is None
        (sent,) = amazon.confirmations
        assert sent["orderId"] == n and sent["packageDetail"]["trackingNumber"] == "1Z999AA10123456784"
        assert {i["orderItemId"] for i in sent["packageDetail"]["orderItems"]} == \
            {i["OrderItemId"] for i in amazon.orders_state.items[n]}
        shown = sh.seller.get(f"/api/orders/{hex_id}").json()["order"]["channel_shipment"]
        assert shown["status"] == "sent" and shown["sent_at"]

    def test_the_shipment_is_enqueued_after_the_commit(self, db, setup, monkeypatch):
        sh, client, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh)
        queued = []
        monkeypatch.setattr(client.app.state.queue, "enqueue", lambda name, *args: queued.append((name, args)))
        self.ship(client, sh, db, n)
        assert queued == [("commerce.confirm_shipment", (self.shipment(db).id,))]

    def test_an_fba_order_is_not_sent(self, db, setup):
        sh, client, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, afn_every=1, statuses=("Unshipped",))
        pull(db, sh)
        _, view = self.ship(client, sh, db, n)
        assert view["channel_shipment"]["status"] == "recorded" and amazon.confirmations == []

    def test_a_refusal_is_shown_on_the_order_and_not_retried(self, db, setup):
        sh, client, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh)
        amazon.orders_state.items[n][0]["OrderItemId"] = "someone-elses-item"  # Amazon will not know ours
        hex_id, _ = self.ship(client, sh, db, n)
        assert shipments.attempt(db, sh.live, self.shipment(db).id) is None
        shown = sh.seller.get(f"/api/orders/{hex_id}").json()["order"]["channel_shipment"]
        assert shown["status"] == "failed" and "orderItemId" in shown["message"]

    def test_a_failing_confirmation_is_retried_until_it_is_sent(self, db, setup):
        sh, client, amazon = setup
        (n,) = amazon.add_orders(1, skus=SKUS, statuses=("Unshipped",))
        pull(db, sh)
        amazon.break_after("confirmShipment", 0)
        sh.live.settings = sh.live.settings.model_copy(update={"shipment_retry_base_seconds": 2.0})
        hex_id, _ = self.ship(client, sh, db, n)
        shipment_id = self.shipment(db).id
        delay = shipments.attempt(db, sh.live, shipment_id)
        assert delay is not None and delay > 0
        shown = sh.seller.get(f"/api/orders/{hex_id}").json()["order"]["channel_shipment"]
        assert shown["status"] == "pending" and "attempt 1 failed" in shown["message"]
        amazon.repair()
        assert shipments.overdue(db, grace=0) == []  # not yet due
        time.sleep(delay + 0.05)
        assert shipments.overdue(db, grace=0) == [shipment_id]  # the sweep would enqueue it
        assert shipments.attempt(db, sh.live, shipment_id) is None
        assert self.shipment(db).channel_status == "sent" and len(amazon.confirmations) == 1


class TestSchedule:
    def test_a_channel_pulled_lately_is_not_due(self, db, setup):
        sh, _, amazon = setup
        amazon.add_orders(2, skus=SKUS)
        assert order_pulls.due(db, timedelta(minutes=10)) == [sh.channel_id]
        pull(db, sh)
        assert order_pulls.due(db, timedelta(minutes=10)) == []
        assert order_pulls.due(db, timedelta(minutes=10), now=datetime.now(UTC) + timedelta(minutes=11)) == [sh.channel_id]

    def test_the_periodic_task_enqueues_the_due_pulls(self, db, setup, monkeypatch):
        from sellerkit.commerce.tasks import PULL, PULL_DUE

        sh, client, _ = setup
        queue = client.app.state.queue
        queued = []
        monkeypatch.setattr(queue, "enqueue", lambda name, *args: queued.append((name, args)))
        queue.tasks[PULL_DUE].call_local()
        assert queued == [(PULL, (sh.channel_id,))]

    def test_the_pull_task_tells_subscribed_users_of_new_orders(self, db, setup, monkeypatch):
        from sellerkit.commerce.tasks import PULL
        from sellerkit.kit.webhooks import DELIVER, WebhookDelivery

        sh, client, amazon = setup
        numbers = amazon.add_orders(3, skus=SKUS)
        me = sh.seller.get("/api/users").json()["users"][0]
        r = sh.seller.put(f"/api/users/{me['id']}", json={"user": {
            "webhook_url": "http://127.0.0.1:9/orders", "push_notifications": {"order_created": [sh.seller.channel["id"]]}}})
        assert r.status_code == 200, r.text
        queue = client.app.state.queue
        queued = []
        monkeypatch.setattr(queue, "enqueue", lambda name, *args: queued.append((name, args)))
        queue.tasks[PULL].call_local(sh.channel_id)
        with db.session() as s:
            payloads = [json.loads(d.payload) for d in s.execute(sa.select(WebhookDelivery)).scalars()]
        assert sorted(p["order"]["order_number"] for p in payloads) == sorted(numbers)
        assert [name for name, _ in queued] == [DELIVER] * 3


class TestKilledProcess:
    def test_sellerkit_orders_pull_killed_with_sigkill_resumes_without_loss_or_doubling(self, tmp_path):
        """The real CLI in its own process, killed (SIGKILL: no clean-up at all) once its first
        page is in; once the dead pull's lease has expired (two minutes: set back here), the next
        pull takes the rest."""
        import os
        import signal
        import subprocess
        import sys

        from sellerkit.kit.db import Database

        data = tmp_path / "data"
        with FakeSpApi(products=0, seed=11, rate_scale=25) as amazon:
            env = {**os.environ, "SELLERKIT_DATA_DIR": str(data), "SELLERKIT_DEMO": "0",
                   "SELLERKIT_SPAPI_REFRESH_TOKEN": "Atzr|seller-killed-pull", "SELLERKIT_SPAPI_CLIENT_ID": "app",
                   "SELLERKIT_SPAPI_CLIENT_SECRET": "s3cr3t", "SELLERKIT_SPAPI_ENDPOINT": amazon.url,
                   "SELLERKIT_SPAPI_LWA_URL": amazon.token_url}
            env.pop("SELLERKIT_DATABASE_URL", None)

            def cli(*args, **kw):
                return subprocess.run([sys.executable, "-m", "sellerkit.cli", *args], env=env, capture_output=True,
                                      text=True, timeout=120, **kw)

            cli("keys", "create", "--name", "shop")
            cli("accounts", "add-channel", "amazon", "--name", "Main", "--marketplace", "US")
            report = tmp_path / "listings.txt"
            report.write_text("item-name\tseller-sku\tprice\tquantity\tasin1\n" +
                              "".join(f"Title {sku}\t{sku}\t10.00\t{STOCK}\tB07G22S48Q\n" for sku in SKUS))
            assert "4 listings" in cli("orders", "import", str(report), "--channel", "Main").stderr
            numbers = amazon.add_orders(300, skus=SKUS, statuses=("Unshipped",))
            db = Database(f"sqlite:///{data / 'sellerkit.db'}")
            try:
                def entered() -> int:
                    with db.session() as s:
                        return s.scalar(sa.select(sa.func.count()).select_from(Order))

                proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "orders", "pull"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                deadline = time.monotonic() + 60
                while entered() < 100 and time.monotonic() < deadline and proc.poll() is None:
                    time.sleep(0.05)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                assert 100 <= entered() < 300
                with db.session() as s:
                    row = s.execute(sa.select(OrderPull)).scalar_one()
                    assert row.page_token and row.lease_until is not None  # it died holding its lease
                refused = cli("orders", "pull")
                assert "already running" in refused.stdout
                with db.session(write=True) as s:  # two minutes later: the dead pull's lease has expired
                    s.execute(sa.update(OrderPull).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
                done = cli("orders", "pull")
                assert done.returncode == 0, done.stderr
                assert entered() == 300
                with db.session() as s:
                    got = set(s.execute(sa.select(Order.order_number)).scalars())
                    assert got == set(numbers)
                    picked = s.scalar(sa.select(sa.func.sum(Product.awaiting_pick)))
                assert picked == sum(ordered(amazon, n) for n in numbers)
            finally:
                db.dispose()


class TestLease:
    def test_a_running_pull_renews_its_lease_between_page_writes(self, db, setup, monkeypatch):
        import threading

        from sellerkit.commerce import order_pulls as module

        sh, _, amazon = setup
        amazon.add_orders(150, skus=SKUS)  # two pages; the claim and the first page set the lease twice
        monkeypatch.setattr(module, "HEARTBEAT", 0.1)
        seen: set = set()
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                with db.session() as s:
                    seen.add(s.execute(sa.select(OrderPull.lease_until)).scalar_one_or_none())
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            pull(db, sh)
        finally:
            stop.set()
            watcher.join()
        assert len(seen - {None}) > 2
        with db.session() as s:
            assert s.execute(sa.select(OrderPull.lease_until)).scalar_one() is None  # released at the end
