"""Orders through the API: intake takes stock once by priority, the list's filters, shipping,
cancelling, acknowledging, tenant isolation and bad input."""

from __future__ import annotations

import pytest

from tests.commerce.conftest import make_seller


def stocked(seller, sku="S1", locations=((3, 2, False), (2, 1, True))):
    """A product whose stock is in `locations` (quantity, priority, delete_if_empty) only."""
    product = seller.product(sku=sku, quantity=0)
    for loc in product["inventory_locations"]:
        r = seller.delete(f"/api/products/{product['id']}/inventory_locations/{loc['id']}")
        assert r.status_code == 200, r.text
    for n, (qty, priority, flag) in enumerate(locations):
        r = seller.post(f"/api/products/{product['id']}/inventory_locations", json={"inventory_location": {
            "location": f"BIN-{n}", "quantity_available": str(qty), "priority": priority, "delete_if_empty": flag}})
        assert r.status_code in (200, 201), r.text
    return product


def order(seller, number="1001", sku="S1", quantity=1, status="awaiting_shipment", **fields):
    return {"order_number": number, "marketplace_account_id": seller.channel["id"], "order_status": status,
            "purchased_at": "2024-03-01T10:00:00Z", "buyer_username": "ellis driver", "currency_code": "USD",
            "items": [{"sku": sku, "quantity": str(quantity), "unit_price": "12.54"}], **fields}


def product_state(seller, product):
    p = seller.get(f"/api/products/{product['id']}").json()["product"]
    return p["quantity_available"], p["awaiting_pick"], {l["location"]: l["quantity_available"]
                                                         for l in p["inventory_locations"]}


class TestIntake:
    def test_takes_stock_by_priority_into_awaiting_pick(self, seller):
        product = stocked(seller)
        r = seller.post("/api/orders", json={"orders": [order(seller, quantity=3)]})
        assert r.status_code == 201, r.text
        (o,) = r.json()["orders"]
        assert len(o["id"]) == 24 and o["order_status"] == "awaiting_shipment"
        assert o["items"][0]["unit_price"] == 12.54 and '"unit_price":12.54' in r.text
        # BIN-1 (priority 1, delete_if_empty) is emptied and removed, then 1 from BIN-0
        assert product_state(seller, product) == (2, 3, {"BIN-0": 2})

    def test_re_sending_the_batch_changes_nothing(self, seller):
        product = stocked(seller)
        body = {"orders": [order(seller, quantity=2)]}
        first = seller.post("/api/orders", json=body)
        again = seller.post("/api/orders", json=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["created"] == [] and again.json()["orders"][0]["id"] == first.json()["orders"][0]["id"]
        assert product_state(seller, product) == (3, 2, {"BIN-0": 3})
        assert len(seller.get("/api/orders").json()["orders"]) == 1

    def test_more_than_the_stock_takes_what_there_is(self, seller):
        product = stocked(seller, locations=((1, 1, False),))
        (o,) = seller.post("/api/orders", json={"orders": [order(seller, quantity=3)]}).json()["orders"]
        assert o["items"][0]["quantity_taken"] == 1
        assert product_state(seller, product) == (0, 1, {"BIN-0": 0})

    def test_an_order_awaiting_payment_counts_in_awaiting_paid_and_takes_nothing(self, seller):
        product = stocked(seller)
        seller.post("/api/orders", json={"orders": [order(seller, quantity=2, status="awaiting_payment")]})
        p = seller.get(f"/api/products/{product['id']}").json()["product"]
        assert (p["quantity_available"], p["awaiting_pick"], p["awaiting_paid"]) == (5, 0, 2)

    def test_unknown_sku_is_kept_without_taking_stock(self, seller):
        (o,) = seller.post("/api/orders", json={"orders": [order(seller, sku="NOPE")]}).json()["orders"]
        assert o["items"][0]["product_id"] == "" and o["items"][0]["quantity_taken"] == 0


class TestShipAndCancel:
    def test_tracking_ships_the_order_and_empties_awaiting_pick(self, seller):
        product = stocked(seller)
        (o,) = seller.post("/api/orders", json={"orders": [order(seller, quantity=3)]}).json()["orders"]
        r = seller.put(f"/api/orders/{o['id']}", json={"order": {"id": o["id"], "tracking_number": "1Z999",
                                                                 "carrier_code": "UPS"}})
        assert r.status_code == 200, r.text
        shipped = r.json()["order"]
        assert (shipped["order_status"], shipped["tracking_number"], shipped["carrier_code"]) == ("shipped", "1Z999", "UPS")
        assert shipped["shipped_at"] is not None
        assert product_state(seller, product) == (2, 0, {"BIN-0": 2})

    def test_cancelling_gives_stock_back_and_remakes_a_removed_location(self, seller):
        product = stocked(seller)
        (o,) = seller.post("/api/orders", json={"orders": [order(seller, quantity=3)]}).json()["orders"]
        r = seller.put(f"/api/orders/{o['id']}", json={"order": {"order_status": "cancelled"}})
        assert r.status_code == 200 and r.json()["order"]["order_status"] == "cancelled"
        assert product_state(seller, product) == (5, 0, {"BIN-0": 3, "BIN-1": 2})
        locations = seller.get(f"/api/products/{product['id']}/inventory_locations").json()["inventory_locations"]
        remade = next(l for l in locations if l["location"] == "BIN-1")
        assert (remade["priority"], remade["delete_if_empty"]) == (1, True)

    def test_cancelling_remakes_every_location_the_order_emptied(self, seller):
        product = stocked(seller, locations=((1, 1, True), (1, 2, True)))
        (o,) = seller.post("/api/orders", json={"orders": [order(seller, quantity=2)]}).json()["orders"]
        assert product_state(seller, product) == (0, 2, {})
        seller.put(f"/api/orders/{o['id']}", json={"order": {"order_status": "cancelled"}})
        assert product_state(seller, product) == (2, 0, {"BIN-0": 1, "BIN-1": 1})

    def test_a_cancelled_order_re_imported_as_cancelled_gives_back_once(self, seller):
        product = stocked(seller)
        seller.post("/api/orders", json={"orders": [order(seller, quantity=2)]})
        for _ in range(2):
            seller.post("/api/orders", json={"orders": [order(seller, quantity=2, status="cancelled")]})
        assert product_state(seller, product)[:2] == (5, 0)

    def test_a_shipped_order_cannot_be_cancelled(self, seller):
        stocked(seller)
        (o,) = seller.post("/api/orders", json={"orders": [order(seller)]}).json()["orders"]
        seller.put(f"/api/orders/{o['id']}", json={"order": {"tracking_number": "T", "carrier_code": "USPS"}})
        r = seller.put(f"/api/orders/{o['id']}", json={"order": {"order_status": "cancelled"}})
        assert r.status_code == 409 and "has shipped" in r.json()["message"]

    def test_a_tracking_number_longer_than_its_column_is_a_400_naming_it(self, seller):
        stocked(seller)
        (o,) = seller.post("/api/orders", json={"orders": [order(seller)]}).json()["orders"]
        r = seller.put(f"/api/orders/{o['id']}", json={"order": {"tracking_number": "T" * 101, "carrier_code": "UPS"}})
        assert r.status_code == 400 and "order.tracking_number: at most 100" in r.json()["message"]

    def test_a_cancelled_order_cannot_ship(self, seller):
        stocked(seller)
        (o,) = seller.post("/api/orders", json={"orders": [order(seller, status="cancelled")]}).json()["orders"]
        r = seller.put(f"/api/orders/{o['id']}", json={"order": {"tracking_number": "T"}})
        assert r.status_code == 409 and "cancelled" in r.json()["message"]


class TestAcknowledge:
    def test_an_amazon_order_is_a_409_saying_why(self, seller):
        (o,) = seller.post("/api/orders", json={"orders": [order(seller)]}).json()["orders"]
        r = seller.post(f"/api/orders/{o['id']}/acknowledge")
        assert r.status_code == 409 and "only Google and Walmart" in r.json()["message"]

    @pytest.mark.parametrize("kind", ["WalmartAccount", "GoogleAccount"])
    def test_walmart_and_google_orders_awaiting_shipment_are_acknowledged(self, seller, kind):
        channel = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": kind, "marketplace_account_type": kind}}).json()["marketplace_account"]
        body = order(seller, marketplace_account_id=channel["id"])
        (o,) = seller.post("/api/orders", json={"orders": [body]}).json()["orders"]
        r = seller.post(f"/api/orders/{o['id']}.json/acknowledge".replace(".json/", "/"))
        assert r.status_code == 200 and r.json()["order"]["acknowledged_at"]

    def test_a_walmart_order_already_shipped_is_a_409(self, seller):
        channel = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
            "name": "W", "marketplace_account_type": "WalmartAccount"}}).json()["marketplace_account"]
        body = order(seller, marketplace_account_id=channel["id"], status="shipped")
        (o,) = seller.post("/api/orders", json={"orders": [body]}).json()["orders"]
        r = seller.post(f"/api/orders/{o['id']}/acknowledge")
        assert r.status_code == 409 and "is shipped" in r.json()["message"]


class TestList:
    @pytest.fixture
    def orders(self, seller):
        batch = [order(seller, "A-100", buyer_name="Anna Smith", purchased_at="2024-01-05T00:00:00Z"),
                 order(seller, "A-200", buyer_name="Bob SMITHERS", purchased_at="2024-02-05T00:00:00Z",
                       status="shipped"),
                 order(seller, "B-100", buyer_name="Carl Jones", purchased_at="2024-03-05T00:00:00Z")]
        return seller.post("/api/orders", json={"orders": batch}).json()["orders"]

    def numbers(self, seller, **params):
        r = seller.get("/api/orders", params=params)
        assert r.status_code == 200, r.text
        return [o["order_number"] for o in r.json()["orders"]]

    def test_buyer_name_matches_part_of_the_name_in_any_case(self, seller, orders):
        assert self.numbers(seller, buyer_name="smith") == ["A-100", "A-200"]

    def test_order_number_is_a_prefix(self, seller, orders):
        assert self.numbers(seller, order_number="A-") == ["A-100", "A-200"]
        assert self.numbers(seller, order_number="100") == []

    def test_order_number_prefix_treats_wildcards_literally(self, seller, orders):
        assert self.numbers(seller, order_number="%") == []

    def test_status_and_its_alias(self, seller, orders):
        assert self.numbers(seller, order_status="shipped") == ["A-200"]
        assert self.numbers(seller, order_status="unshipped") == ["A-100", "B-100"]

    def test_purchased_range_and_sort_direction(self, seller, orders):
        assert self.numbers(seller, purchased_at_start="2024-02-01", purchased_at_end="2024-03-31",
                            sort="purchased_at", direction="DESC") == ["B-100", "A-200"]

    def test_paging(self, seller, orders):
        assert self.numbers(seller, page=2, page_size=2) == ["B-100"]

    def test_marketplace_account_filter(self, seller, orders):
        assert len(self.numbers(seller, marketplace_account_id=seller.channel["id"])) == 3

    def test_bad_sort_names_the_choices(self, seller, orders):
        r = seller.get("/api/orders", params={"sort": "price"})
        assert r.status_code == 400 and "sort: one of created_at" in r.json()["message"]

    def test_bad_date_names_the_field(self, seller, orders):
        r = seller.get("/api/orders", params={"created_at_start": "yesterday"})
        assert r.status_code == 400 and r.json()["message"].startswith("created_at_start:")

    def test_page_size_past_250_is_refused(self, seller, orders):
        assert seller.get("/api/orders", params={"page_size": 251}).status_code in (400, 422)

    def test_json_suffix(self, seller, orders):
        assert len(seller.get("/api/orders.json").json()["orders"]) == 3


class TestTenancy:
    def test_another_accounts_order_is_a_404(self, client, new_key, seller):
        (o,) = seller.post("/api/orders", json={"orders": [order(seller)]}).json()["orders"]
        other = make_seller(client, new_key, "other", account="other-account")
        assert other.get(f"/api/orders/{o['id']}").status_code == 404
        assert other.put(f"/api/orders/{o['id']}", json={"order": {"tracking_number": "T"}}).status_code == 404
        assert other.post(f"/api/orders/{o['id']}/acknowledge").status_code == 404
        assert other.get("/api/orders").json()["orders"] == []

    def test_orders_into_another_accounts_channel_are_a_404(self, client, new_key, seller):
        other = make_seller(client, new_key, "other", account="other-account")
        r = other.post("/api/orders", json={"orders": [order(seller)]})
        assert r.status_code == 404 and "marketplace_account_id" in r.json()["message"]


class TestBadInput:
    def test_not_json_is_a_400(self, seller):
        r = seller.client.post("/api/orders", headers={**seller.headers, "Content-Type": "application/json"},
                               content=b'{"orders"=>[]}')
        assert r.status_code == 400

    def test_negative_quantity_names_the_item(self, seller):
        r = seller.post("/api/orders", json={"orders": [order(seller, quantity=-1)]})
        assert r.status_code == 400 and "orders[0].items[0].quantity" in r.json()["message"]

    def test_unknown_status_lists_the_allowed(self, seller):
        r = seller.post("/api/orders", json={"orders": [order(seller, status="lost")]})
        assert r.status_code == 400 and "awaiting_shipment" in r.json()["message"]

    def test_a_bad_order_writes_nothing(self, seller):
        stocked(seller)
        r = seller.post("/api/orders", json={"orders": [order(seller, "ok"), order(seller, "bad", quantity=0)]})
        assert r.status_code == 400
        assert seller.get("/api/orders").json()["orders"] == []

    def test_timestamp_without_offset_is_a_400(self, seller):
        r = seller.post("/api/orders", json={"orders": [order(seller)], "timestamp": "2024-01-01T00:00:00"})
        assert r.status_code == 400 and "timestamp" in r.json()["message"]
