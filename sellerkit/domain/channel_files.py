"""Orders and listings as the channels export them, read into plain records (no I/O).

Four real formats, each read by its own parser into the same dataclasses:
- eBay Sell Fulfillment `getOrders` JSON (a page: `orders[]` with `lineItems[]`; the eBay
  channel's pull reads the same pages with the same parser),
- Amazon Orders v0 JSON (`getOrders` orders with their `getOrderItems`; the Amazon channel's pull),
- Amazon's flat-file order report (`GET_FLAT_FILE_ALL_ORDERS_DATA_BY_*`, tab separated, one row
  per order item, grouped here by `amazon-order-id`),
- Amazon's "All Listings" report (`GET_MERCHANT_LISTINGS_ALL_DATA`, tab separated), a listings
  import.

Money is integer cents of the amount's own currency, read exactly from the decimal text. eBay's
`lineItemCost` and Amazon's `item-price` are the line's total (unit price x quantity); the unit
price is that total divided by the quantity, rounded half away from zero when it does not divide
(the line total is kept as given). Order statuses are mapped to the SellerChamp dialect's:
`awaiting_payment`, `awaiting_shipment`, `shipped`, `cancelled` (see `ORDER_STATUSES`).
`detect` names a file's format from its content, never from its name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from sellerkit.domain.money import div_round
from sellerkit.domain.quoting import quote

ORDER_STATUSES = ("awaiting_payment", "awaiting_shipment", "shipped", "cancelled")
# Amazon's item-condition codes (All Listings report) as the dialect's item_condition; the
# collectible grades have no value of their own there and keep their grade.
AMAZON_CONDITIONS = {
    "1": "like_new", "2": "very_good", "3": "good", "4": "acceptable",
    "5": "like_new", "6": "very_good", "7": "good", "8": "acceptable",
    "10": "refurbished", "11": "new",
}
AMAZON_PRODUCT_ID_TYPES = {"1": "asin", "2": "isbn", "3": "upc", "4": "ean"}


class ChannelFileError(ValueError):
    """A file that is not what its parser reads; the message names the row and field."""


@dataclass(frozen=True, slots=True)
class ChannelOrderItem:
    sku: str | None  # None when the channel has none (eBay items listed without a SKU)
    quantity: int
    unit_price: int  # cents
    line_total: int  # cents, as the channel gave it
    title: str | None = None
    external_id: str | None = None  # eBay lineItemId, Amazon ASIN of the row
    asin: str | None = None
    shipping: int = 0  # cents
    tax: int = 0  # cents
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class ChannelOrder:
    channel: str  # "ebay" or "amazon"
    order_number: str
    status: str  # one of ORDER_STATUSES
    purchased_at: datetime
    updated_at: datetime | None
    currency_code: str
    buyer_username: str | None
    buyer_name: str | None
    total: int | None  # cents
    items: tuple[ChannelOrderItem, ...]
    externally_fulfilled: bool = False  # Amazon FBA: Amazon ships from its own stock
    ship_to: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChannelListing:
    sku: str
    asin: str | None
    title: str | None
    price: int | None  # cents in the marketplace's currency
    quantity: int | None  # None for listings Amazon fulfils (FBA): the report leaves it empty
    item_condition: str | None
    condition_code: str | None
    product_id: str | None
    product_id_type: str | None
    listing_id: str | None
    opened_at: datetime | None
    active: bool
    fulfilled_by_amazon: bool
    note: str | None = None


# ---- values -------------------------------------------------------------------------------------


def amount_cents(value: object, where: str) -> int:
    """A decimal amount (`"9.31"`, `"145"`, 12.5) as exact integer cents."""
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise ChannelFileError(f"{where}: {quote(value)} is not an amount") from None
    if not d.is_finite():
        raise ChannelFileError(f"{where}: {quote(value)} is not an amount")
    cents = d * 100
    if cents != cents.to_integral_value():
        raise ChannelFileError(f"{where}: {quote(value)} has more than two decimals")
    return int(cents)


def _whole(value: object, where: str, minimum: int = 0) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]+", text) or int(text) < minimum:
        raise ChannelFileError(f"{where}: expected a whole number of at least {minimum}, got {quote(value)}")
    return int(text)


def _iso(value: object, where: str) -> datetime:
    text = str(value or "").strip()
    try:
        at = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        raise ChannelFileError(f"{where}: {quote(value)} is not an ISO 8601 date and time") from None
    if at.tzinfo is None:
        raise ChannelFileError(f"{where}: {quote(value)} has no UTC offset")
    return at.astimezone(UTC)


def _unit(line_total: int, quantity: int) -> int:
    return div_round(line_total, quantity) if quantity else line_total


# ---- eBay getOrders -----------------------------------------------------------------------------


def _ebay_status(order: dict) -> str:
    if (order.get("cancelStatus") or {}).get("cancelState") == "CANCELED":
        return "cancelled"
    if order.get("orderFulfillmentStatus") == "FULFILLED":
        return "shipped"
    if order.get("orderPaymentStatus") in ("PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED"):
        return "awaiting_shipment"
    return "awaiting_payment"  # PENDING, FAILED


def _ebay_money(node: dict | None, where: str, currency: str | None) -> int:
    if not node:
        return 0
    if currency and node.get("currency") and node["currency"] != currency:
        raise ChannelFileError(f"{where}: currency {quote(node['currency'])} differs from the order's {currency}")
    return amount_cents(node.get("value"), where)


def parse_ebay_orders(data: bytes | str | dict) -> list[ChannelOrder]:
    """A getOrders page (or a single order object) as orders. Amounts are the `value`/`currency`
    eBay charged in (the seller's currency); `convertedFrom*` is the buyer's and is not used."""
    page = json.loads(data) if isinstance(data, (bytes, str)) else data
    raw = page.get("orders") if isinstance(page, dict) and "orders" in page else [page]
    if not isinstance(raw, list):
        raise ChannelFileError("orders: expected a list of eBay orders")
    orders = []
    for n, o in enumerate(raw):
        where = f"orders[{n}]"
        if not isinstance(o, dict) or "orderId" not in o or "lineItems" not in o:
            raise ChannelFileError(f"{where}: not an eBay order (no orderId or lineItems)")
        total_node = (o.get("pricingSummary") or {}).get("total") or {}
        currency = total_node.get("currency") or next(
            (li.get("lineItemCost", {}).get("currency") for li in o["lineItems"]), None) or "USD"
        items = []
        for m, li in enumerate(o["lineItems"]):
            at = f"{where}.lineItems[{m}]"
            quantity = _whole(li.get("quantity"), f"{at}.quantity", 1)
            line_total = _ebay_money(li.get("lineItemCost"), f"{at}.lineItemCost", currency)
            items.append(ChannelOrderItem(
                sku=(li.get("sku") or None), quantity=quantity, unit_price=_unit(line_total, quantity),
                line_total=line_total, title=li.get("title"), external_id=li.get("lineItemId"),
                shipping=_ebay_money((li.get("deliveryCost") or {}).get("shippingCost"),
                                     f"{at}.deliveryCost.shippingCost", currency),
                tax=sum(_ebay_money(t.get("amount"), f"{at}.taxes", currency) for t in li.get("taxes") or []),
                cancelled=li.get("lineItemFulfillmentStatus") == "CANCELED"))
        ship_to = {}
        for instruction in o.get("fulfillmentStartInstructions") or []:
            to = (instruction.get("shippingStep") or {}).get("shipTo") or {}
            if to:
                address = to.get("contactAddress") or {}
                ship_to = {"name": to.get("fullName"), "street1": address.get("addressLine1"),
                           "street2": address.get("addressLine2"), "city": address.get("city"),
                           "state": address.get("stateOrProvince"), "postal_code": address.get("postalCode"),
                           "country": address.get("countryCode")}
                break
        orders.append(ChannelOrder(
            channel="ebay", order_number=str(o["orderId"]), status=_ebay_status(o),
            purchased_at=_iso(o.get("creationDate"), f"{where}.creationDate"),
            updated_at=_iso(o["lastModifiedDate"], f"{where}.lastModifiedDate") if o.get("lastModifiedDate") else None,
            currency_code=currency, buyer_username=(o.get("buyer") or {}).get("username"),
            buyer_name=ship_to.get("name"),
            total=_ebay_money(total_node, f"{where}.pricingSummary.total", currency) if total_node else None,
            items=tuple(items), ship_to=ship_to))
    return orders


# ---- Amazon flat files --------------------------------------------------------------------------


_BLANK = "".join(map(chr, range(33)))  # spaces and control characters


def _tsv(text: str, required: tuple[str, ...], what: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of a tab-separated report with its header, each with its line number; blank lines
    are skipped, and so is a last line of control characters: a report document decrypted
    without removing its AES padding ends in 1 to 16 copies of the padding byte (the real
    sample ends in fifteen 0x0F). The header must hold `required`."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if not header:
        raise ChannelFileError(f"{what}: the file is empty")
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise ChannelFileError(f"{what}: the header lacks {', '.join(missing)} (found {quote(' '.join(header))})")
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip(_BLANK) for c in cells):
            continue
        rows.append((line, {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}))
    return rows


ORDER_REPORT_COLUMNS = ("amazon-order-id", "purchase-date", "order-status", "sku", "quantity", "currency", "item-price")
_AMAZON_STATUS = {"pending": "awaiting_payment", "pendingavailability": "awaiting_payment",
                  "unshipped": "awaiting_shipment", "partiallyshipped": "awaiting_shipment",
                  "shipping": "awaiting_shipment", "shipped": "shipped", "canceled": "cancelled",
                  "cancelled": "cancelled", "invoiceunconfirmed": "awaiting_shipment",
                  "unfulfillable": "awaiting_shipment"}


def parse_amazon_order_report(text: str) -> list[ChannelOrder]:
    """The flat-file order report: one row per order item, grouped by `amazon-order-id` in the
    file's order. An item whose `item-status` is Cancelled is kept, marked cancelled, and its
    quantity takes no stock; a row with an empty `item-price` (cancelled and pending items
    have none) is 0. FBA orders (`fulfillment-channel` Amazon/AFN) are externally fulfilled."""
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for line, row in _tsv(text, ORDER_REPORT_COLUMNS, "order report"):
        if not row["amazon-order-id"]:
            raise ChannelFileError(f"order report line {line}: amazon-order-id is empty")
        grouped.setdefault(row["amazon-order-id"], []).append((line, row))
    orders = []
    for number, rows in grouped.items():
        line, first = rows[0]
        status_text = first["order-status"].replace(" ", "").lower()
        if status_text not in _AMAZON_STATUS:
            raise ChannelFileError(f"order report line {line}: order-status {quote(first['order-status'])} is not "
                                   f"one of Pending, Unshipped, PartiallyShipped, Shipped, Shipping, Canceled")
        items = []
        currency = first["currency"] or None
        for line, row in rows:
            at = f"order report line {line}"
            if row["currency"] and currency and row["currency"] != currency:
                raise ChannelFileError(f"{at}: currency {quote(row['currency'])} differs from the order's {currency}")
            quantity = _whole(row["quantity"], f"{at}: quantity")
            line_total = amount_cents(row["item-price"], f"{at}: item-price") if row["item-price"] else 0
            items.append(ChannelOrderItem(
                sku=row["sku"] or None, quantity=quantity, unit_price=_unit(line_total, quantity),
                line_total=line_total, title=row.get("product-name") or None, asin=row.get("asin") or None,
                external_id=row.get("asin") or None,
                shipping=amount_cents(row["shipping-price"], f"{at}: shipping-price") if row.get("shipping-price") else 0,
                tax=amount_cents(row["item-tax"], f"{at}: item-tax") if row.get("item-tax") else 0,
                cancelled=row.get("item-status", "").lower() in ("cancelled", "canceled") or quantity == 0))
        ship_to = {k: first.get(f"ship-{c}") or None for k, c in
                   (("city", "city"), ("state", "state"), ("postal_code", "postal-code"), ("country", "country"))}
        orders.append(ChannelOrder(
            channel="amazon", order_number=number, status=_AMAZON_STATUS[status_text],
            purchased_at=_iso(first["purchase-date"], f"order report line {rows[0][0]}: purchase-date"),
            updated_at=_iso(first["last-updated-date"], f"order report line {rows[0][0]}: last-updated-date")
            if first.get("last-updated-date") else None,
            currency_code=currency or "USD", buyer_username=first.get("buyer-name") or None,
            buyer_name=first.get("buyer-name") or first.get("recipient-name") or None,
            total=sum(i.line_total + i.shipping + i.tax for i in items), items=tuple(items),
            externally_fulfilled=first.get("fulfillment-channel", "").lower() in ("amazon", "afn"),
            ship_to={k: v for k, v in ship_to.items() if v}))
    return orders


# ---- Amazon Orders API (Orders v0 getOrders + getOrderItems) -------------------------------------


def _amazon_money(node: object, where: str) -> int:
    if not isinstance(node, dict) or node.get("Amount") in (None, ""):
        return 0
    return amount_cents(node["Amount"], where)


def parse_amazon_api_order(order: dict, items: list[dict]) -> ChannelOrder:
    """One `Order` of getOrders with its `OrderItem`s from getOrderItems, mapped as the order
    report is (`parse_amazon_order_report`): `ItemPrice` is the line's total (price x quantity),
    `ShippingPrice` and `ItemTax` are the line's; an item with `QuantityOrdered` 0 is cancelled;
    FulfillmentChannel AFN is fulfilled by Amazon. The buyer's name and address are there only
    when the app has the roles for buyer data (a restricted data token); otherwise they are empty."""
    number = str(order.get("AmazonOrderId") or "").strip()
    if not number:
        raise ChannelFileError("Orders: an order without AmazonOrderId")
    where = f"order {number}"
    status_text = str(order.get("OrderStatus") or "").replace(" ", "").lower()
    if status_text not in _AMAZON_STATUS:
        raise ChannelFileError(f"{where}: OrderStatus {quote(order.get('OrderStatus'))} is not one Amazon documents")
    total = order.get("OrderTotal")
    currency = (total or {}).get("CurrencyCode") if isinstance(total, dict) else None
    lines = []
    for n, it in enumerate(items):
        at = f"{where}: OrderItems[{n}]"
        quantity = _whole(it.get("QuantityOrdered"), f"{at}.QuantityOrdered")
        line_total = _amazon_money(it.get("ItemPrice"), f"{at}.ItemPrice")
        currency = currency or (it.get("ItemPrice") or {}).get("CurrencyCode")
        lines.append(ChannelOrderItem(
            sku=(it.get("SellerSKU") or None), quantity=quantity, unit_price=_unit(line_total, quantity),
            line_total=line_total, title=it.get("Title"), external_id=str(it.get("OrderItemId") or "") or None,
            asin=it.get("ASIN"), shipping=_amazon_money(it.get("ShippingPrice"), f"{at}.ShippingPrice"),
            tax=_amazon_money(it.get("ItemTax"), f"{at}.ItemTax"), cancelled=quantity == 0))
    address = order.get("ShippingAddress") if isinstance(order.get("ShippingAddress"), dict) else {}
    ship_to = {"name": address.get("Name"), "street1": address.get("AddressLine1"),
               "street2": address.get("AddressLine2"), "city": address.get("City"),
               "state": address.get("StateOrRegion"), "postal_code": address.get("PostalCode"),
               "country": address.get("CountryCode")}
    buyer = order.get("BuyerInfo") if isinstance(order.get("BuyerInfo"), dict) else {}
    return ChannelOrder(
        channel="amazon", order_number=number, status=_AMAZON_STATUS[status_text],
        purchased_at=_iso(order.get("PurchaseDate"), f"{where}: PurchaseDate"),
        updated_at=_iso(order["LastUpdateDate"], f"{where}: LastUpdateDate") if order.get("LastUpdateDate") else None,
        currency_code=currency or "USD", buyer_username=buyer.get("BuyerEmail") or None,
        buyer_name=buyer.get("BuyerName") or address.get("Name") or None,
        total=_amazon_money(total, f"{where}: OrderTotal") if isinstance(total, dict) else None,
        items=tuple(lines), externally_fulfilled=order.get("FulfillmentChannel") == "AFN",
        ship_to={k: v for k, v in ship_to.items() if v})


LISTINGS_REPORT_COLUMNS = ("seller-sku", "price", "quantity", "asin1")
# Zone abbreviations Amazon writes in report dates, with their offsets and the order of day and
# month in that marketplace's dates (the European marketplaces write 31/12/2019).
_ZONES: dict[str, tuple[int, bool]] = {
    "PST": (-8, False), "PDT": (-7, False), "MST": (-7, False), "MDT": (-6, False), "CST": (-6, False),
    "CDT": (-5, False), "EST": (-5, False), "EDT": (-4, False), "UTC": (0, True), "GMT": (0, True),
    "BST": (1, True), "MET": (1, True), "MEST": (2, True), "CET": (1, True), "CEST": (2, True),
    "WET": (0, True), "WEST": (1, True), "EET": (2, True), "EEST": (3, True), "JST": (9, False),
}
_REPORT_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([A-Z]{2,5})?$")


def report_date(value: str, where: str) -> datetime | None:
    """A report date: ISO 8601, or `02/05/2020 05:18:00 MEST` / `2013-01-07 07:35:42 PST`.
    The zone's marketplace decides day-first (Europe) or month-first (America); a date that
    only reads one way (a first number over 12) is read that way."""
    text = value.strip()
    if not text:
        return None
    m = _REPORT_DATE.match(text)
    if m is None:
        try:
            return _iso(text, where)
        except ChannelFileError:
            raise ChannelFileError(f"{where}: {quote(value)} is not a date such as 31/12/2019 02:53:37 MET "
                                   "or 2019-12-31T02:53:37+01:00") from None
    a, b, c, hh, mm, ss, zone = m.groups()
    if zone is not None and zone not in _ZONES:
        raise ChannelFileError(f"{where}: unknown time zone {quote(zone)} in {quote(value)}")
    hours, day_first = _ZONES.get(zone or "UTC")
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    else:
        first, second, year = int(a), int(b), int(c)
        if first > 12 or (day_first and second <= 12):
            day, month = first, second
        else:
            month, day = first, second
    try:
        local = datetime(year, month, day, int(hh), int(mm), int(ss or 0), tzinfo=timezone(timedelta(hours=hours)))
    except ValueError as exc:
        raise ChannelFileError(f"{where}: {quote(value)} is not a valid date ({exc})") from None
    return local.astimezone(UTC)


def parse_amazon_listings_report(text: str) -> list[ChannelListing]:
    """The All Listings report as listings, one per `seller-sku`."""
    listings = []
    for line, row in _tsv(text, LISTINGS_REPORT_COLUMNS, "listings report"):
        at = f"listings report line {line}"
        if not row["seller-sku"]:
            raise ChannelFileError(f"{at}: seller-sku is empty")
        code = row.get("item-condition") or None
        id_type = row.get("product-id-type") or None
        fba = row.get("fulfillment-channel", "DEFAULT").upper() not in ("", "DEFAULT")
        listings.append(ChannelListing(
            sku=row["seller-sku"], asin=row["asin1"] or None, title=row.get("item-name") or None,
            price=amount_cents(row["price"], f"{at}: price") if row["price"] else None,
            quantity=_whole(row["quantity"], f"{at}: quantity") if row["quantity"] else None,
            item_condition=AMAZON_CONDITIONS.get(code) if code else None, condition_code=code,
            product_id=row.get("product-id") or None,
            product_id_type=AMAZON_PRODUCT_ID_TYPES.get(id_type, id_type) if id_type else None,
            listing_id=row.get("listing-id") or None,
            opened_at=report_date(row.get("open-date", ""), f"{at}: open-date"),
            active=row.get("status", "Active").lower() == "active", fulfilled_by_amazon=fba,
            note=row.get("item-note") or None))
    return listings


# ---- which format -------------------------------------------------------------------------------

FORMATS = ("ebay-orders", "amazon-order-report", "amazon-listings-report")


def detect(data: bytes) -> str:
    """The format of a channel file from its first bytes: eBay JSON, or an Amazon report by its
    header. ChannelFileError saying what was expected otherwise."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if head[:1] in (b"{", b"["):
        if b'"lineItems"' in data or b'"orderId"' in data:
            return "ebay-orders"
        raise ChannelFileError("a JSON file that is not an eBay getOrders page (no orders with lineItems)")
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r").split("\t")
    if "amazon-order-id" in first:
        return "amazon-order-report"
    if "seller-sku" in first and "asin1" in first:
        return "amazon-listings-report"
    raise ChannelFileError("not a known channel file: expected an eBay getOrders JSON page, an Amazon order "
                           "report (header with amazon-order-id) or an All Listings report (seller-sku, asin1)")


def decode(data: bytes) -> str:
    """Report text: UTF-8 (Amazon's current reports), else Windows-1252 (older EU ones)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
