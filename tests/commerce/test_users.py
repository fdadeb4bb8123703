"""Users: read and update (PUT and PATCH, the `[""]` clearing rule), tenancy, and the
order_created webhook delivered by the background job without holding up the order."""

from __future__ import annotations

import time

import pytest

from sellerkit.kit.webhooks import WebhookDelivery
from tests.commerce.conftest import make_seller
from tests.commerce.test_orders import order
from tests.conftest import make_client
from tests.kit.test_webhooks import Receiver, wait_for


def me(seller) -> dict:
    r = seller.get("/api/users")
    assert r.status_code == 200, r.text
    return r.json()["users"][0]


class TestUsers:
    def test_get_has_the_reference_fields(self, seller):
        user = me(seller)
        r = seller.get(f"/api/users/{user['id']}.json")
        assert r.status_code == 200
        got = r.json()["user"]
        assert set(got) >= {"id", "name", "client_name", "user_type", "push_notifications", "role"}
        assert len(got["id"]) == 24 and got["push_notifications"] == {"order_created": []}
        assert (got["user_type"], got["role"], got["client_name"]) == ("client", "super_user", "seller")

    def test_put_sets_name_and_push_notifications(self, seller):
        user = me(seller)
        r = seller.put(f"/api/users/{user['id']}", json={"user": {"name": "Nizar", "push_notifications": {
            "order_created": [seller.channel["id"]]}}})
        assert r.status_code == 200, r.text
        assert r.json()["user"]["name"] == "Nizar"
        assert r.json()["user"]["push_notifications"] == {"order_created": [seller.channel["id"]]}

    def test_patch_with_empty_string_clears_and_keeps_the_name(self, seller):
        user = me(seller)
        seller.put(f"/api/users/{user['id']}", json={"user": {"name": "Kept", "push_notifications": {
            "order_created": [seller.channel["id"]]}}})
        r = seller.client.patch(f"/api/users/{user['id']}", headers=seller.headers,
                                json={"user": {"push_notifications": {"order_created": [""]}}})
        assert r.status_code == 200 and r.json()["user"]["push_notifications"] == {"order_created": []}
        assert r.json()["user"]["name"] == "Kept"

    def test_unknown_notification_names_the_allowed(self, seller):
        user = me(seller)
        r = seller.put(f"/api/users/{user['id']}", json={"user": {"push_notifications": {"order_shipped": [""]}}})
        assert r.status_code == 400 and "order_created" in r.json()["message"]

    def test_another_accounts_channel_in_push_notifications_is_a_404(self, client, new_key, seller):
        other = make_seller(client, new_key, "other", account="other-account")
        user = me(seller)
        r = seller.put(f"/api/users/{user['id']}", json={"user": {"push_notifications": {
            "order_created": [other.channel["id"]]}}})
        assert r.status_code == 404 and "push_notifications.order_created" in r.json()["message"]

    def test_webhook_url_must_be_http(self, seller):
        user = me(seller)
        r = seller.put(f"/api/users/{user['id']}", json={"user": {"webhook_url": "file:///etc/passwd"}})
        assert r.status_code == 400 and "webhook_url" in r.json()["message"]

    def test_another_accounts_user_is_a_404(self, client, new_key, seller):
        other = make_seller(client, new_key, "other", account="other-account")
        user = me(seller)
        assert other.get(f"/api/users/{user['id']}").status_code == 404
        assert other.put(f"/api/users/{user['id']}", json={"user": {"name": "x"}}).status_code == 404


@pytest.fixture
def worker_client(db, worker_settings):
    worker_settings.webhook_retry_base_seconds = 0.3
    with make_client(db, worker_settings) as c:
        yield c


class TestOrderCreatedWebhook:
    def test_delivered_with_retries_without_holding_up_the_order(self, worker_client, new_key, db):
        seller = make_seller(worker_client, new_key)
        hook = Receiver(fail=1)
        try:
            user = me(seller)
            seller.put(f"/api/users/{user['id']}", json={"user": {"webhook_url": hook.url, "push_notifications": {
                "order_created": [seller.channel["id"]]}}})
            started = time.monotonic()
            r = seller.post("/api/orders", json={"orders": [order(seller, "HOOK-1")]})
            assert r.status_code == 201 and time.monotonic() - started < 2
            deadline = time.monotonic() + 15
            while len(hook.posts) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(hook.posts) == 2
            payload = __import__("orjson").loads(hook.posts[-1][2])
            assert payload["event"] == "order_created" and payload["order"]["order_number"] == "HOOK-1"
            assert payload["order"]["id"] == r.json()["orders"][0]["id"]
            with db.session() as s:
                (delivery_id,) = [row.id for row in s.query(WebhookDelivery)]
            row = wait_for(db, delivery_id, "delivered")
            assert (row.attempts, row.event) == (2, "order_created")
            # the same batch again is no new order: no new notification
            seller.post("/api/orders", json={"orders": [order(seller, "HOOK-1")]})
            with db.session() as s:
                assert s.query(WebhookDelivery).count() == 1
        finally:
            hook.close()

    def test_not_sent_for_a_channel_not_listed(self, client, new_key, db):
        seller = make_seller(client, new_key)
        user = me(seller)
        seller.put(f"/api/users/{user['id']}", json={"user": {"webhook_url": "http://127.0.0.1:9/x"}})
        seller.post("/api/orders", json={"orders": [order(seller)]})
        with db.session() as s:
            assert s.query(WebhookDelivery).count() == 0
