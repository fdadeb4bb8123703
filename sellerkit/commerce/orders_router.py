"""SellerChamp's orders and users (`/api/orders`, `/api/users`), and product images
(`/api/products/{id}/product_images`). Every route also answers with `.json`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Path as FastPath
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from sellerkit.accounts.dependencies import CurrentPrincipal
from sellerkit.commerce import views
from sellerkit.commerce.images import images, render
from sellerkit.commerce import shipments
from sellerkit.commerce.models import Order, OrderItem, Shipment
from sellerkit.commerce.schemas import Deleted, _Open
from sellerkit.commerce.orders_service import orders, users_service
from sellerkit.commerce.wire import (Choice, HexId, Int, Money, Text, WireModel, codec, iso, loads, money, need,
                                     reply, router as make_router)
from sellerkit.domain.channel_files import ChannelOrder, ChannelOrderItem
from sellerkit.domain.commerce_ids import IdCodec
from sellerkit.domain.quoting import quote
from sellerkit.domain.timestamps import event_time
from sellerkit.errors import Invalid, NotFound
from sellerkit.kit import webhooks
from sellerkit.kit.blobs import blobs_for
from sellerkit.kit.http import EventTimestamp, database, takes_upload

router = make_router(["Commerce: orders and users"])
ORDERS_PAGE = 50  # the reference says 50 and 250; 50 is the default, 250 the most a page holds
MAX_PAGE = 250
MAX_BATCH = 1000
_REF_404 = {404: {"description": "An id given in the query or body names no object of your account."}}
STATUS = Choice(("awaiting_payment", "awaiting_shipment", "shipped", "cancelled"),
                {"unshipped": "awaiting_shipment", "pending": "awaiting_payment", "canceled": "cancelled",
                 "awaiting_paid": "awaiting_payment"})


# ---- bodies ------------------------------------------------------------------------------------


class OrderItemIn(WireModel):
    sku: Text = None
    variant_sku: Text = None
    quantity: Int = None
    unit_price: Money = None
    title: Text = None
    order_item_id: Text = None
    tax_amount: Money = None
    shipping_amount: Money = None


class OrderIn(WireModel):
    order_number: Text = None
    marketplace_account_id: Text = None
    order_status: STATUS = None
    purchased_at: EventTimestamp = None
    buyer_username: Text = None
    buyer_name: Text = None
    currency_code: Text = None
    total_amount: Money = None
    ship_to: dict[str, Any] | None = None
    items: list[OrderItemIn] = Field(default_factory=list)


class OrdersBody(WireModel):
    orders: list[OrderIn]
    timestamp: EventTimestamp = None


class OrderUpdateIn(WireModel):
    id: Text = None
    tracking_number: Text = None
    carrier_code: Text = None
    order_status: STATUS = None


class OrderUpdateBody(WireModel):
    order: OrderUpdateIn
    timestamp: EventTimestamp = None


class AcknowledgeBody(WireModel):
    timestamp: EventTimestamp = None


class UserIn(WireModel):
    name: Text = None
    push_notifications: dict[str, list[str] | str | None] | None = None
    webhook_url: Text = Field(None, description="Where this user's notifications are posted (sellerkit's own "
                              "field: the reference does not say how notifications reach the user).")


class UserBody(WireModel):
    user: UserIn


# ---- replies (for the OpenAPI document; replies are built as dicts) -----------------------------


class OrderItemOut(_Open):
    order_item_id: str
    sku: str
    quantity: int


class OrderOut(_Open):
    id: str
    order_number: str
    order_status: str
    marketplace_account_id: str
    items: list[OrderItemOut]


class OrderReply(BaseModel):
    order: OrderOut


class OrderList(BaseModel):
    orders: list[OrderOut]


class OrdersEntered(BaseModel):
    orders: list[OrderOut]
    created: list[str] = Field(description="Ids of the orders this request made (the others were known).")


class UserOut(_Open):
    id: str
    name: str
    push_notifications: dict[str, list[str]]


class UserReply(BaseModel):
    user: UserOut


class UserList(BaseModel):
    users: list[UserOut]


class ImageOut(_Open):
    id: str
    product_id: str
    original_image_url: str | None


class ImageReply(BaseModel):
    product_image: ImageOut


class ImageList(BaseModel):
    product_images: list[ImageOut]


# ---- views -------------------------------------------------------------------------------------


def order_view(ids: IdCodec, o: Order, items: list[OrderItem], shipment: Shipment | None = None) -> dict[str, Any]:
    """An order as the reference shows it, with `id` and the fields clients read beside it; one
    order's reply also says where its tracking went (`channel_shipment`)."""
    ship_to = loads(o.ship_to, {})
    extra = {} if shipment is None else {"channel_shipment": {
        "status": shipment.channel_status, "message": shipment.channel_message, "attempts": shipment.attempts,
        "tracking_number": shipment.tracking_number, "sent_at": iso(shipment.sent_at)}}
    return extra | {
        "id": ids.encode("order", o.id), "order_number": o.order_number,
        "marketplace_account_id": ids.encode("marketplace_account", o.marketplace_account_id),
        "created_at": iso(o.created_at), "updated_at": iso(o.updated_at), "purchased_at": iso(o.purchased_at),
        "ship_by_date": iso(o.ship_by_date), "delivery_min_date": iso(o.delivery_min_date),
        "delivery_max_date": iso(o.delivery_max_date), "order_status": o.status,
        "buyer_username": o.buyer_username, "buyer_name": o.buyer_name, "buyer_email": o.buyer_email,
        "is_prime": o.is_prime, "currency_code": o.currency_code,
        "ship_to": {k: ship_to.get(k) for k in ("name", "street1", "street2", "city", "state", "postal_code",
                                                 "country")},
        "items": [{
            "order_item_id": ids.encode("order_item", i.id), "sku": i.sku, "variant_sku": i.sku if i.variant_id else None,
            "created_at": iso(o.created_at), "ship_by_date": iso(o.ship_by_date),
            "delivery_min_date": iso(o.delivery_min_date), "delivery_max_date": iso(o.delivery_max_date),
            "title": i.title, "weight": {"value": 0, "units": "ounces"}, "updated_at": iso(o.updated_at),
            "quantity": i.quantity, "currency_code": o.currency_code, "tax_amount": money(i.tax_amount or 0),
            "unit_price": money(i.unit_price), "shipping_amount": money(i.shipping_amount or 0),
            "warehouse_location": i.warehouse_location,
            "product_id": ids.encode("product", i.product_id) if i.product_id else "",
            "variant_id": ids.encode("variant", i.variant_id) if i.variant_id else None,
            "fulfillment_sku": i.sku, "marketplace_fees": money(i.marketplace_fees or 0),
            "quantity_taken": i.taken, "quantity_shipped": i.shipped,
        } for i in items],
        "store_id": ids.encode("marketplace_account", o.marketplace_account_id), "items_count": len(items),
        "amount_paid": money(o.amount_paid), "total_amount": money(o.total_amount),
        "total_shipping": money(o.total_shipping), "total_tax": money(o.total_tax), "buyer_notes": o.buyer_notes,
        "paid": o.paid, "on_hold": o.on_hold, "fulfilled_by": o.fulfilled_by,
        "externally_fulfilled": o.fulfilled_by == "amazon", "externally_fulfilled_by": "amazon" if
        o.fulfilled_by == "amazon" else "", "tracking_number": o.tracking_number, "carrier_code": o.carrier_code,
        "shipped_at": iso(o.shipped_at), "cancelled_at": iso(o.cancelled_at), "acknowledged_at": iso(o.acknowledged_at),
    }


def webhook_view(db) -> Any:
    """The order_created payload's order for jobs (a pull), as the routes show it."""
    from sellerkit.commerce.wire import codec_of

    ids = codec_of(db)
    return lambda o, items: order_view(ids, o, items)


def user_view(ids: IdCodec, u, client_name: str | None) -> dict[str, Any]:
    push = {event: [ids.encode("marketplace_account", c) for c in channels]
            for event, channels in loads(u.push_notifications, {}).items()}
    return {"id": ids.encode("user", u.id), "name": u.name, "client_name": client_name, "user_type": u.user_type,
            "push_notifications": {"order_created": [], **push}, "role": u.role, "webhook_url": u.webhook_url}


# ---- orders ------------------------------------------------------------------------------------


def _channel_order(ids: IdCodec, o: OrderIn, n: int) -> tuple[int, ChannelOrder]:
    at = f"orders[{n}]"
    if not o.order_number or not o.order_number.strip():
        raise Invalid(f"{at}.order_number: required")
    if len(o.order_number) > 100:
        raise Invalid(f"{at}.order_number: at most 100 characters")
    channel_id = need(ids, "marketplace_account", o.marketplace_account_id, f"{at}.marketplace_account_id")
    if not o.items:
        raise Invalid(f"{at}.items: an order needs at least one item")
    items = []
    for m, it in enumerate(o.items):
        where = f"{at}.items[{m}]"
        sku = it.variant_sku or it.sku
        if not sku:
            raise Invalid(f"{where}.sku: required")
        if it.quantity is None or it.quantity < 1:
            raise Invalid(f"{where}.quantity: a whole number of at least 1; got {quote(it.quantity)}")
        unit = it.unit_price or 0
        items.append(ChannelOrderItem(sku=sku, quantity=it.quantity, unit_price=unit, line_total=unit * it.quantity,
                                      title=it.title, external_id=it.order_item_id, shipping=it.shipping_amount or 0,
                                      tax=it.tax_amount or 0))
    currency = (o.currency_code or "USD").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise Invalid(f"{at}.currency_code: a 3-letter ISO 4217 code such as USD; got {quote(o.currency_code)}")
    return channel_id, ChannelOrder(
        channel="api", order_number=o.order_number.strip(), status=o.order_status or "awaiting_shipment",
        purchased_at=o.purchased_at or event_time(None), updated_at=None, currency_code=currency,
        buyer_username=o.buyer_username, buyer_name=o.buyer_name or (o.ship_to or {}).get("name"),
        total=o.total_amount, items=tuple(items), ship_to={k: v for k, v in (o.ship_to or {}).items()
                                                           if isinstance(v, str | None)})


def enter_orders(request: Request, account_id: int, batch: list[tuple[int, ChannelOrder]], at: datetime):
    """Intake in one transaction, then the webhook jobs (after the commit, ids only)."""
    ids = codec(request)
    view = lambda o, items: orjson.loads(orjson.dumps(order_view(ids, o, items)))  # noqa: E731
    with database(request).session(write=True) as s:
        for channel_id in {c for c, _ in batch}:
            orders.channel(s, account_id, channel_id, "marketplace_account_id")
        result = orders.intake(s, account_id, batch, at, view=view)
        items = orders.items(s, [o.id for o in result.orders])
        body = [order_view(ids, o, items[o.id]) for o in result.orders]
    webhooks.enqueue(request.app.state.queue, result.deliveries)
    return body, result


@router.post("/api/orders", summary="Enter a batch of orders (each takes its stock once)", status_code=201,
             response_model=OrdersEntered, responses={200: {"model": OrdersEntered, "description": "No order of "
                                                            "the batch was new: nothing changed."},
                                                      410: {"description": "A marketplace account given was removed."},
                                                      **_REF_404})
async def create_orders(request: Request, who: CurrentPrincipal, body: OrdersBody):
    """Orders in the reference's shape. An order number already entered on the same channel
    account changes nothing (re-sending a batch is safe); `order_status` cancelled cancels it.
    Each order waiting to ship takes its items' quantity from their locations by priority into
    `awaiting_pick`; an order awaiting payment counts in `awaiting_paid`. 201 when the batch made
    an order, else 200; `created` lists the new orders' ids."""
    if len(body.orders) > MAX_BATCH:
        raise Invalid(f"orders: at most {MAX_BATCH:,} orders a request; got {len(body.orders):,}")
    ids = codec(request)
    batch = [_channel_order(ids, o, n) for n, o in enumerate(body.orders)]
    at = event_time(body.timestamp)
    out, result = await asyncio.to_thread(enter_orders, request, who.account_id, batch, at)
    created = {ids.encode("order", i) for i in result.created}
    return reply({"orders": out, "created": [o["id"] for o in out if o["id"] in created]},
                 201 if created else 200, body)


def _range(name: str, value: str | None) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1)
    try:
        at = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        raise Invalid(f"{name}: {quote(value)} is not a date (2015-01-01) or date and time "
                      "(2015-01-01T00:00:00, UTC unless an offset is given)") from None
    return event_time(at if at.tzinfo else at.replace(tzinfo=UTC))


@router.get("/api/orders", summary="Orders, filtered, sorted and paged (50 a page by default, at most 250)",
            response_model=OrderList, responses=_REF_404)
async def list_orders(
        request: Request, who: CurrentPrincipal,
        buyer_name: str | None = Query(None, max_length=200, description="Part of the buyer's name or username, any case."),
        order_number: str | None = Query(None, max_length=100, description="Order numbers that start with this."),
        order_status: str | None = Query(None, max_length=40),
        marketplace_account_id: str | None = Query(None, max_length=40),
        created_at_start: str | None = Query(None, max_length=40), created_at_end: str | None = Query(None, max_length=40),
        updated_at_start: str | None = Query(None, max_length=40), updated_at_end: str | None = Query(None, max_length=40),
        purchased_at_start: str | None = Query(None, max_length=40),
        purchased_at_end: str | None = Query(None, max_length=40),
        sort: str | None = Query(None, max_length=40, description="created_at, updated_at, purchased_at, "
                                 "order_status or order_number; default: the order's id (oldest first)."),
        direction: str | None = Query(None, max_length=4, description="ASC (default) or DESC."),
        page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(ORDERS_PAGE, ge=1, le=MAX_PAGE)):
    ids = codec(request)
    filters: dict[str, Any] = {"buyer_name": buyer_name or None, "order_number": order_number or None}
    if order_status:
        try:
            filters["order_status"] = STATUS.__metadata__[0].func(order_status)
        except ValueError as exc:
            raise Invalid(f"order_status: {exc}") from None
    if marketplace_account_id:
        filters["marketplace_account_id"] = need(ids, "marketplace_account", marketplace_account_id,
                                                 "marketplace_account_id")
    for name, value in (("created_at_start", created_at_start), ("created_at_end", created_at_end),
                        ("updated_at_start", updated_at_start), ("updated_at_end", updated_at_end),
                        ("purchased_at_start", purchased_at_start), ("purchased_at_end", purchased_at_end)):
        filters[name] = _range(name, value)
    key = (sort or "").strip().lower() or None
    if key in ("order_date", "date"):
        key = "purchased_at"
    if key not in (None, "created_at", "updated_at", "purchased_at", "order_status", "order_number"):
        raise Invalid(f"sort: one of created_at, updated_at, purchased_at, order_status, order_number; got {quote(sort)}")
    way = (direction or "ASC").strip().upper()
    if way not in ("ASC", "DESC"):
        raise Invalid(f"direction: ASC or DESC; got {quote(direction)}")
    with database(request).session() as s:
        rows, items = orders.page(s, who.account_id, filters, key, way == "DESC", page, page_size)
    return reply({"orders": [order_view(ids, o, items[o.id]) for o in rows]})


@router.get("/api/orders/{order_id}", summary="One order", response_model=OrderReply,
            responses={410: {"description": "The order was deleted."}})
async def get_order(request: Request, who: CurrentPrincipal, order_id: HexId):
    ids = codec(request)
    with database(request).session() as s:
        row = orders.get(s, who.account_id, need(ids, "order", order_id))
        items = orders.items(s, [row.id])[row.id]
        view = order_view(ids, row, items, orders.shipment(s, row.id))
    return reply({"order": view})


@router.put("/api/orders/{order_id}", summary="Ship an order (tracking_number, carrier_code) or cancel it",
            response_model=OrderReply, responses={409: {"description": "The order is cancelled (cannot ship), shipped (cannot cancel) or "
                                            "awaiting payment."}})
async def update_order(request: Request, who: CurrentPrincipal, order_id: HexId, body: OrderUpdateBody):
    """With `tracking_number` and `carrier_code` the order becomes shipped: a shipment is
    recorded for the channel and the picked quantity leaves `awaiting_pick`; an Amazon
    merchant-fulfilled or eBay order's tracking is then confirmed to the channel by a job, and
    `channel_shipment` says how that went (pending, sent, failed with the channel's reason, or
    recorded in sellerkit only, saying why). With
    `order_status` cancelled, what the order took goes back to its locations."""
    ids = codec(request)
    n = need(ids, "order", order_id)
    if body.order.id and ids.decode("order", body.order.id.lower()) != n:
        raise Invalid(f"order.id: {quote(body.order.id)} is not the order of the URL")
    at = event_time(body.timestamp)

    def run():
        db = database(request)
        with db.session(write=True) as s:
            row = orders.update(s, who.account_id, n, body.order.tracking_number, body.order.carrier_code,
                                body.order.order_status, at)
            view = order_view(ids, row, orders.items(s, [row.id])[row.id], orders.shipment(s, row.id))
        # after the commit: the channel hears of the tracking from a job (commerce/shipments.py)
        shipments.enqueue_pending(request.app.state.queue, db, n)
        return view

    return reply({"order": await asyncio.to_thread(run)}, body=body)


@router.post("/api/orders/{order_id}/acknowledge", summary="Acknowledge a Google or Walmart order awaiting shipment",
             response_model=OrderReply, responses={409: {"description": "Not a Google or Walmart order, or not awaiting shipment."}})
async def acknowledge_order(request: Request, who: CurrentPrincipal, order_id: HexId):
    ids = codec(request)
    n = need(ids, "order", order_id)
    with database(request).session(write=True) as s:
        row = orders.acknowledge(s, who.account_id, n, event_time(None))
        view = order_view(ids, row, orders.items(s, [row.id])[row.id])
    return reply({"order": view})


# ---- users -------------------------------------------------------------------------------------


@router.get("/api/users/{user_id}", summary="A user of your account", response_model=UserReply)
async def get_user(request: Request, who: CurrentPrincipal, user_id: HexId):
    ids = codec(request)
    with database(request).session() as s:
        row = users_service.get(s, who.account_id, need(ids, "user", user_id))
        return reply({"user": user_view(ids, row, _client(s, who.account_id))})


@router.get("/api/users", summary="The users of your account (the calling key's user first)",
            response_model=UserList)
async def list_users(request: Request, who: CurrentPrincipal):
    """sellerkit's own route: the reference reads a user by id and never says where the id comes
    from; this lists them."""
    from sellerkit.accounts.models import User
    import sqlalchemy as sa

    ids = codec(request)
    with database(request).session() as s:
        mine = users_service.of_key(s, who.account_id, who.key_id)
        rows = s.execute(sa.select(User).where(User.account_id == who.account_id).order_by(User.id)).scalars()
        client = _client(s, who.account_id)
        out = [user_view(ids, mine, client)] + [user_view(ids, u, client) for u in rows if u.id != mine.id]
    return reply({"users": out})


def _client(session, account_id: int) -> str | None:
    from sellerkit.accounts.models import Account

    acct = session.get(Account, account_id)
    return acct.name if acct else None


async def _update_user(request: Request, who, user_id: str, body: UserBody):
    ids = codec(request)
    n = need(ids, "user", user_id)
    fields = body.user
    push = None
    if fields.push_notifications is not None:
        push = {}
        for event, values in fields.push_notifications.items():
            values = [values] if isinstance(values, str) or values is None else values
            # the reference's clearing rule: [""] (or "") empties the list
            push[event] = [need(ids, "marketplace_account", v, f"user.push_notifications.{event}")
                           for v in values if v not in ("", None)]
    with database(request).session(write=True) as s:
        row = users_service.update(s, who.account_id, n, fields.name, push, fields.webhook_url,
                                   set(fields.model_fields_set))
        return reply({"user": user_view(ids, row, _client(s, who.account_id))}, body=body)


@router.put("/api/users/{user_id}", summary="Update a user (name, push_notifications, webhook_url)",
            response_model=UserReply, responses={**_REF_404, 410: {"description": "A marketplace account given in "
                                                                              "push_notifications was removed."}})
async def put_user(request: Request, who: CurrentPrincipal, user_id: HexId, body: UserBody):
    """Only the fields sent change. `push_notifications` maps `order_created` to the marketplace
    account ids whose new orders are posted to the user's `webhook_url`; `[""]` clears it."""
    return await _update_user(request, who, user_id, body)


@router.patch("/api/users/{user_id}", summary="Update a user (as PUT)", response_model=UserReply,
              responses={**_REF_404, 410: {"description": "A marketplace account given in push_notifications "
                                                          "was removed."}})
async def patch_user(request: Request, who: CurrentPrincipal, user_id: HexId, body: UserBody):
    return await _update_user(request, who, user_id, body)


# ---- product images ----------------------------------------------------------------------------

IMAGE_SIZES = ("original", "large", "medium", "small")


@router.get("/api/products/{product_id}/product_images", summary="A product's images", response_model=ImageList)
async def list_product_images(request: Request, who: CurrentPrincipal, product_id: HexId):
    ids = codec(request)
    with database(request).session() as s:
        product, rows = images.list(s, who.account_id, need(ids, "product", product_id))
    return reply({"product_images": [views.image(ids, r, product.title) for r in rows]})


@router.post("/api/products/{product_id}/product_images", summary="Upload an image (JPEG, PNG, WebP or GIF)",
             status_code=201, response_model=ImageReply, openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["product_image[attachment]"], "properties": {
                     "product_image[attachment]": {"type": "string", "format": "binary"},
                     "product_image[group_name]": {"type": "string", "enum": ["primary", "variant"]}}}}}}},
             responses={413: {"description": "Over SELLERKIT_IMAGE_LIMIT_MB, or more pixels than "
                                             "SELLERKIT_IMAGE_MAX_PIXELS."}})
@takes_upload  # the key is checked before the form is read
async def upload_product_image(request: Request, who: CurrentPrincipal, product_id: HexId):
    """The image is checked by its content, re-encoded as JPEG and kept in four sizes
    (original, large, medium, small), each served at its `*_image_url`."""
    ids = codec(request)
    pid = need(ids, "product", product_id)
    settings = request.app.state.settings
    limit = settings.image_limit_mb * 1_000_000
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("product_image[attachment]")
    if not isinstance(upload, UploadFile):
        raise Invalid("product_image[attachment]: required, a file sent as multipart/form-data")
    data = await upload.read(limit + 1)
    group = form.get("product_image[group_name]")
    group = group if isinstance(group, str) else None
    blobs = blobs_for(settings)

    def store():
        rendered = render(data, max_bytes=limit, max_pixels=settings.image_max_pixels)
        with database(request).session(write=True) as s:
            product, row = images.add(s, blobs, who.account_id, pid, group, rendered, len(data))
        return views.image(ids, row, product.title)

    return reply({"product_image": await asyncio.to_thread(store)}, 201)


@router.delete("/api/products/{product_id}/product_images/{image_id}", summary="Remove an image",
               response_model=Deleted)
async def delete_product_image(request: Request, who: CurrentPrincipal, product_id: HexId, image_id: HexId):
    ids = codec(request)
    blobs = blobs_for(request.app.state.settings)
    with database(request).session(write=True) as s:
        images.delete(s, blobs, who.account_id, need(ids, "product", product_id), need(ids, "product_image", image_id))
    return reply({"deleted": True, "id": image_id.lower()})


@router.get("/api/products/{product_id}/product_images/{image_id}/{size}", summary="An uploaded image's file",
            response_class=Response, responses={200: {"content": {"image/jpeg": {}}, "description": "JPEG"}})
async def get_product_image_file(request: Request, who: CurrentPrincipal, product_id: HexId, image_id: HexId,
                                 size: str = FastPath(..., pattern="^(original|large|medium|small)$")):
    ids = codec(request)
    with database(request).session() as s:
        _, row = images.get(s, who.account_id, need(ids, "product", product_id), need(ids, "product_image", image_id))
    key = getattr(row, f"{size}_key")
    if key is None:
        raise NotFound(f"image {image_id.lower()} has no {size} file (an outside URL is served by its own host)")
    data = await asyncio.to_thread(blobs_for(request.app.state.settings).read_bytes, key)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
