"""Channel files read into orders and listings: the real eBay getOrders pages and Amazon All
Listings report in ../shared (read in place), and Amazon's flat-file order report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sellerkit.domain.channel_files import (
    ChannelFileError,
    decode,
    detect,
    parse_amazon_api_order,
    parse_amazon_listings_report,
    parse_amazon_order_report,
    parse_ebay_orders,
    report_date,
)
from sellerkit.domain.commerce import confirms_shipment
from tests.conftest import FIXTURES

SAMPLES = FIXTURES / "orders-listings"
EBAY = SAMPLES / "ebay"
LISTINGS = SAMPLES / "amazon" / "merchant_listings_all_data_de_sample.tsv"
shared = [pytest.mark.shared, pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"orders-listings samples not found at {SAMPLES}")]

# No public order report with rows exists (SOURCES.md, "Not found"); these rows follow the
# 32-column header Amazon documents, with the traps real ones have: several rows of one order,
# a cancelled item without a price, an FBA order, an order quantity over one.
ORDER_HEADER = ("amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\t"
                "fulfillment-channel\tsales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\t"
                "asin\titem-status\tquantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\t"
                "gift-wrap-price\tgift-wrap-tax\titem-promotion-discount\tship-promotion-discount\tship-city\t"
                "ship-state\tship-postal-code\tship-country\tpromotion-ids\tis-business-order\t"
                "purchase-order-number\tprice-designation")


def order_row(order, status, channel, sku, asin, item_status, qty, price, tax="", ship=""):
    cells = [order, "", "2024-03-01T10:15:00+00:00", "2024-03-02T08:00:00+00:00", status, channel, "Amazon.com",
             "", "", "Standard", f"Title {sku}", sku, asin, item_status, qty, "USD", price, tax, ship, "", "", "",
             "", "", "SEATTLE", "WA", "98101", "US", "", "false", "", ""]
    return "\t".join(cells)


ORDER_REPORT = "\n".join([
    ORDER_HEADER,
    order_row("111-0000001-0000001", "Unshipped", "Merchant", "SKU-A", "B000000001", "Unshipped", "2", "25.98", "2.08", "4.99"),
    order_row("111-0000001-0000001", "Unshipped", "Merchant", "SKU-B", "B000000002", "Unshipped", "1", "5.00"),
    order_row("111-0000002-0000002", "Shipped", "Amazon", "SKU-C", "B000000003", "Shipped", "3", "10.00"),
    order_row("111-0000003-0000003", "Cancelled", "Merchant", "SKU-A", "B000000001", "Cancelled", "0", ""),
    "",
])


@pytest.mark.parametrize("name", ["01_ebay-new-order-single-item-of-consumer.json"])
class TestEbayOrders:
    pytestmark = shared

    def test_reads_a_paid_order_waiting_to_ship(self, name):
        (order,) = parse_ebay_orders((EBAY / name).read_bytes())
        assert (order.channel, order.order_number, order.status) == ("ebay", "07-07160-2343", "awaiting_shipment")
        assert order.purchased_at == datetime(2021, 6, 4, 8, 51, 6, tzinfo=UTC)
        assert (order.currency_code, order.total, order.buyer_username) == ("USD", 1080, "nfc21-consumer-01")
        assert order.buyer_name == "Carl Consumer" and order.ship_to["city"] == "Mülheim"
        (item,) = order.items
        assert (item.sku, item.quantity, item.unit_price, item.line_total) == ("34324", 1, 1080, 1080)


class TestEbayOrderStates:
    pytestmark = shared

    def test_multiple_items_each_with_sku_and_exact_cents(self):
        (order,) = parse_ebay_orders((EBAY / "01_ebay-new-order-mutiple-items-consumer.json").read_bytes())
        assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [("68423407", 1, 466), ("68324508", 1, 466)]
        assert order.total == 931  # 9.31, not 930 or 932: read from the text, never a float

    def test_fulfilled_order_is_shipped(self):
        (order,) = parse_ebay_orders((EBAY / "02_ebay-order-multiple-items-fulfilled.json").read_bytes())
        assert order.status == "shipped"

    def test_cancelled_order_is_cancelled_even_when_fulfilled(self):
        (order,) = parse_ebay_orders((EBAY / "03_ebay-order-cancelled.json").read_bytes())
        assert (order.status, order.total) == ("cancelled", 1063)

    def test_documentation_page_line_cost_is_the_line_total(self):
        orders = parse_ebay_orders((EBAY / "ebay-order-sample-full.json").read_bytes())
        assert len(orders) == 5
        first = orders[0]
        assert [(i.quantity, i.unit_price, i.line_total, i.shipping) for i in first.items] == \
            [(1, 100, 100, 100), (2, 100, 200, 200), (3, 100, 300, 300)]
        big = orders[4]
        assert [(i.quantity, i.unit_price) for i in big.items] == [(1, 3000), (3, 4000), (2, 4000)]

    def test_items_without_sku_keep_none_and_the_line_item_id(self):
        orders = parse_ebay_orders((EBAY / "ebay-order-sample-full.json").read_bytes())
        item = orders[1].items[0]
        assert item.sku is None and item.external_id

    def test_detected_as_ebay(self):
        assert detect((EBAY / "ebay-order-sample-full.json").read_bytes()) == "ebay-orders"


class TestEbayErrors:
    def test_json_without_orders_is_refused_naming_the_order(self):
        with pytest.raises(ChannelFileError, match=r"orders\[0\]: not an eBay order"):
            parse_ebay_orders({"orders": [{"id": 1}]})

    def test_amount_with_more_than_two_decimals_is_refused(self):
        order = {"orderId": "1", "creationDate": "2024-01-01T00:00:00Z",
                 "lineItems": [{"quantity": 1, "lineItemCost": {"value": "1.005", "currency": "USD"}}]}
        with pytest.raises(ChannelFileError, match=r"lineItems\[0\].lineItemCost.*two decimals"):
            parse_ebay_orders({"orders": [order]})

    def test_zero_quantity_is_refused(self):
        order = {"orderId": "1", "creationDate": "2024-01-01T00:00:00Z",
                 "lineItems": [{"quantity": 0, "lineItemCost": {"value": "1", "currency": "USD"}}]}
        with pytest.raises(ChannelFileError, match=r"quantity: expected a whole number of at least 1"):
            parse_ebay_orders({"orders": [order]})


class TestAmazonOrderReport:
    def test_rows_are_grouped_into_orders(self):
        orders = parse_amazon_order_report(ORDER_REPORT)
        assert [o.order_number for o in orders] == ["111-0000001-0000001", "111-0000002-0000002", "111-0000003-0000003"]
        first = orders[0]
        assert first.status == "awaiting_shipment" and not first.externally_fulfilled
        assert [(i.sku, i.quantity, i.unit_price, i.line_total) for i in first.items] == \
            [("SKU-A", 2, 1299, 2598), ("SKU-B", 1, 500, 500)]
        assert first.total == 2598 + 208 + 499 + 500
        assert first.ship_to == {"city": "SEATTLE", "state": "WA", "postal_code": "98101", "country": "US"}

    def test_fba_order_is_externally_fulfilled(self):
        fba = parse_amazon_order_report(ORDER_REPORT)[1]
        assert (fba.status, fba.externally_fulfilled) == ("shipped", True)

    def test_cancelled_item_has_no_price_and_is_cancelled(self):
        cancelled = parse_amazon_order_report(ORDER_REPORT)[2]
        assert cancelled.status == "cancelled" and cancelled.items[0].cancelled and cancelled.items[0].line_total == 0

    def test_unknown_status_names_the_line(self):
        bad = ORDER_REPORT.replace("\tShipped\tAmazon", "\tLost\tAmazon", 1)
        with pytest.raises(ChannelFileError, match=r'line 4: order-status "Lost"'):
            parse_amazon_order_report(bad)

    def test_missing_column_is_named(self):
        with pytest.raises(ChannelFileError, match=r"header lacks item-price"):
            parse_amazon_order_report(ORDER_HEADER.replace("\titem-price", "") + "\n")

    def test_detected_as_an_order_report(self):
        assert detect(ORDER_REPORT.encode()) == "amazon-order-report"


class TestAmazonListingsReport:
    pytestmark = shared

    def listings(self):
        return parse_amazon_listings_report(decode(LISTINGS.read_bytes()))

    def test_reads_every_listing_and_skips_the_blank_line(self):
        listings = self.listings()
        assert len(listings) == 40 and len({x.sku for x in listings}) == 40

    def test_first_listing_field_by_field(self):
        first = self.listings()[0]
        assert (first.sku, first.asin, first.price, first.quantity) == ("0J-3QVQ-PCR5", "B005X64OA8", 14500, 7)
        assert (first.item_condition, first.condition_code, first.product_id_type) == ("like_new", "1", "asin")
        assert (first.listing_id, first.active, first.fulfilled_by_amazon) == ("0502XUAPBL9", True, False)
        assert first.title.startswith("Intel Core i7-2700K") and "Kühler" in first.note

    def test_german_dates_are_day_first_in_their_zone(self):
        by_sku = {x.sku: x for x in self.listings()}
        # 02/05/2020 05:18:00 MEST is 2 May (summer time), 31/12/2019 02:53:37 MET is New Year's Eve
        assert by_sku["0J-3QVQ-PCR5"].opened_at == datetime(2020, 5, 2, 3, 18, tzinfo=UTC)
        assert by_sku["6C-FN23-5KEO"].opened_at == datetime(2019, 12, 31, 1, 53, 37, tzinfo=UTC)

    def test_new_condition_and_decimal_prices(self):
        by_sku = {x.sku: x for x in self.listings()}
        assert by_sku["TC-ZP47-SUZH"].item_condition == "new"
        assert by_sku["3B-XU8B-4Y4I"].price == 4496 and by_sku["W5-WR9Z-S3V7"].price == 3450

    def test_fba_listing_has_no_quantity_and_inactive_listing_is_inactive(self):
        by_sku = {x.sku: x for x in self.listings()}
        fba = by_sku["77-DM2C-P4XL"]
        assert (fba.quantity, fba.fulfilled_by_amazon, fba.active) == (None, True, False)
        assert by_sku["FJ-SGKW-RW17"].quantity == 0

    def test_detected_as_a_listings_report(self):
        assert detect(LISTINGS.read_bytes()) == "amazon-listings-report"


class TestReportDates:
    def test_us_zone_is_month_first(self):
        assert report_date("01/07/2013 07:35:42 PST", "d") == datetime(2013, 1, 7, 15, 35, 42, tzinfo=UTC)

    def test_iso_date_with_zone_abbreviation(self):
        assert report_date("2013-01-07 07:35:42 PST", "d") == datetime(2013, 1, 7, 15, 35, 42, tzinfo=UTC)

    def test_a_first_number_over_12_is_the_day_anywhere(self):
        assert report_date("13/01/2020 10:00:00 PST", "d").day == 13

    def test_unknown_zone_is_named(self):
        with pytest.raises(ChannelFileError, match=r'open-date: unknown time zone "XYZ"'):
            report_date("01/02/2020 10:00:00 XYZ", "open-date")

    def test_impossible_date_is_refused(self):
        with pytest.raises(ChannelFileError, match=r"not a valid date"):
            report_date("31/02/2020 10:00:00 MET", "d")


class TestDetect:
    def test_unknown_file_says_what_was_expected(self):
        with pytest.raises(ChannelFileError, match=r"expected an eBay getOrders JSON page"):
            detect(b"a,b,c\n1,2,3\n")

    def test_json_that_is_not_ebay(self):
        with pytest.raises(ChannelFileError, match=r"not an eBay getOrders page"):
            detect(b'{"payload": {"Orders": []}}')


ORDERS_V0 = FIXTURES / "sp-api-models" / "examples" / "ordersV0"


class TestAmazonApiOrder:
    """getOrders' and getOrderItems' model examples, mapped as the order report is."""

    pytestmark = [pytest.mark.shared, pytest.mark.skipif(not ORDERS_V0.is_dir(), reason=f"not found: {ORDERS_V0}")]

    @staticmethod
    def example():
        import json

        order = json.loads((ORDERS_V0 / "getOrders.200.example.json").read_text())["payload"]["Orders"][0]
        items = json.loads((ORDERS_V0 / "getOrderItems.200.example.json").read_text())["payload"]["OrderItems"]
        return order, items

    def test_reads_the_order_and_its_items(self):
        o = parse_amazon_api_order(*self.example())
        assert (o.channel, o.order_number, o.status, o.externally_fulfilled) == (
            "amazon", "902-3159896-1390916", "awaiting_payment", False)
        assert o.updated_at == datetime(2017, 1, 20, 19, 49, 35, tzinfo=UTC)
        assert (o.buyer_name, o.ship_to["city"], o.ship_to["postal_code"]) == ("John Doe", "Canton", "48817")
        first, second = o.items
        assert (first.sku, first.quantity, first.line_total, first.shipping, first.external_id) == (
            "CBA_OTF_1", 1, 2599, 126, "68828574383266")
        assert (second.sku, second.quantity, second.unit_price, second.line_total) == ("CBA_OTF_5", 2, 898, 1795)

    def test_afn_is_fulfilled_by_amazon(self):
        order, items = self.example()
        assert parse_amazon_api_order({**order, "FulfillmentChannel": "AFN"}, items).externally_fulfilled

    def test_an_item_of_quantity_zero_is_cancelled(self):
        order, items = self.example()
        o = parse_amazon_api_order({**order, "OrderStatus": "Canceled"}, [{**items[0], "QuantityOrdered": 0}])
        assert o.status == "cancelled" and o.items[0].cancelled

    def test_an_unknown_status_names_the_order(self):
        order, items = self.example()
        with pytest.raises(ChannelFileError, match='order 902-3159896-1390916: OrderStatus "Lost"'):
            parse_amazon_api_order({**order, "OrderStatus": "Lost"}, items)


class TestConfirmsShipment:
    def test_ebay_and_amazon_merchant_fulfilled_orders_are_confirmed(self):
        assert confirms_shipment("ebay", "merchant") and confirms_shipment("amazon", "merchant")

    def test_fba_orders_and_local_channels_are_not(self):
        assert not confirms_shipment("amazon", "amazon")
        assert not any(confirms_shipment(m, "merchant") for m in ("walmart", "shopify", "google"))
