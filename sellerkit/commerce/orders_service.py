"""Use cases of orders: intake (the API's batch and the channel files), shipment, cancellation,
acknowledgement, the list; and the users whose webhooks hear of new orders.

Stock follows `domain.inventory`: an order waiting to ship takes its items' quantity from their
locations by priority into `awaiting_pick` once, when it is first entered (an order number seen
before on the same channel account changes nothing, except that a cancellation is applied);
shipping moves it out of `awaiting_pick`; cancelling gives it back. An order awaiting payment
takes nothing and counts in `awaiting_paid`; an FBA order (fulfilled by Amazon from its own
stock) takes nothing. Ids here are integers; the routers translate the wire's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy.orm import Session

from sellerkit.accounts.models import User
from sellerkit.commerce import orders_repository as repo
from sellerkit.commerce import repository as core_repo
from sellerkit.commerce.channel_listings import channel_listings
from sellerkit.commerce.models import InventoryLocation, InventoryMovement, MarketplaceAccount, Order, OrderItem, Shipment
from sellerkit.domain import commerce as rules
from sellerkit.domain import inventory
from sellerkit.domain.channel_files import ChannelOrder
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Gone, Invalid, NotFound
from sellerkit.kit import webhooks
from sellerkit.kit.db import utcnow

TAKES_STOCK = ("awaiting_shipment", "shipped")
EVENTS = ("order_created",)


@dataclass
class Intake:
    orders: list[Order]  # in the batch's order, new and known alike
    created: list[int]  # ids of the orders this intake made
    deliveries: list[int]  # webhook deliveries to enqueue after the commit


@dataclass
class Synced:
    added: list[int] = field(default_factory=list)  # ids of the orders entered
    updated: list[int] = field(default_factory=list)  # ids of known orders the channel changed
    deliveries: list[int] = field(default_factory=list)  # webhook deliveries to enqueue after the commit
    notes: list[str] = field(default_factory=list)  # what could not be applied, and why


class Orders:
    # ---- intake --------------------------------------------------------------------------------

    def channel(self, session: Session, account_id: int, channel_id: int, field: str) -> MarketplaceAccount:
        row = core_repo.owned(session, MarketplaceAccount, account_id, channel_id, with_deleted=True)
        if row is None:
            raise NotFound(f"{field}: marketplace account not found")
        if row.deleted_at is not None:
            raise Gone(f"{field}: the marketplace account was removed")
        return row

    def intake(self, session: Session, account_id: int, batch: list[tuple[int, ChannelOrder]], at: datetime,
               view=None) -> Intake:
        """Enter `(channel id, order)` pairs; `view(order, items)` shapes the order_created
        payload (the router's reply shape). The whole batch is written in a few statements:
        its orders and items in bulk, the stock of every SKU it sells locked once and
        allocated in memory order by order (domain.inventory.sell), then the locations, the
        ledger and the counts written back."""
        result = Intake([], [], [])
        by_channel: dict[int, list[ChannelOrder]] = {}
        for channel_id, order in batch:
            by_channel.setdefault(channel_id, []).append(order)
        known = {cid: repo.existing_orders(session, cid, [o.order_number for o in orders])
                 for cid, orders in by_channel.items()}
        skus = {cid: repo.sellables(session, cid, sorted({i.sku for o in orders for i in o.items if i.sku}))
                for cid, orders in by_channel.items()}
        fresh: list[tuple[int, ChannelOrder]] = []
        seen: set[tuple[int, str]] = set()
        for channel_id, incoming in batch:
            row = known[channel_id].get(incoming.order_number)
            if row is not None:
                if incoming.status == "cancelled" and row.status != "cancelled":
                    self._cancel(session, row, repo.items_of(session, [row.id])[row.id], at)
            elif (channel_id, incoming.order_number) not in seen:  # the same order twice in one batch
                seen.add((channel_id, incoming.order_number))
                fresh.append((channel_id, incoming))
        made = self._enter(session, account_id, fresh, skus, at)
        for channel_id, incoming in batch:
            row = known[channel_id].get(incoming.order_number) or made[(channel_id, incoming.order_number)]
            result.orders.append(row)
        result.created = [made[(c, o.order_number)].id for c, o in fresh]
        if result.created and view is not None:
            result.deliveries = self._notify(session, account_id, [made[(c, o.order_number)] for c, o in fresh],
                                             view, at)
        return result

    def _enter(self, session: Session, account_id: int, fresh: list[tuple[int, ChannelOrder]],
               skus: dict[int, dict[str, tuple[int, int | None]]], at: datetime) -> dict[tuple[int, str], Order]:
        if not fresh:
            return {}
        order_ids = repo.insert_orders(session, [self._order_row(account_id, c, o, at) for c, o in fresh])
        lines = []  # (order index, channel item, product id, variant id)
        for n, (channel_id, o) in enumerate(fresh):
            for it in o.items:
                if it.quantity == 0:  # Amazon reports a cancelled item with quantity 0: nothing to keep
                    continue
                pid, vid = skus[channel_id].get(it.sku, (None, None)) if it.sku else (None, None)
                lines.append((n, it, pid, vid))
        # stock: every location this batch may take from, locked once, allocated in memory
        takers = [index for index, (n, it, pid, vid) in enumerate(lines) if pid is not None and not it.cancelled
                  and not fresh[n][1].externally_fulfilled and fresh[n][1].status in TAKES_STOCK]
        locations = repo.locations_for_update_many(session, {lines[i][2:] for i in takers})
        slots = {key: [inventory.Slot(r.id, r.location, r.quantity, r.priority, bool(r.delete_if_empty))
                       for r in rows] for key, rows in locations.items()}
        meta = {r.id: r for rows in locations.values() for r in rows}
        taken: dict[int, list[inventory.Take]] = {}
        for index in takers:
            _, it, pid, vid = lines[index]
            sale = inventory.sell(slots.get((pid, vid), []), it.quantity)
            slots[(pid, vid)] = list(sale.slots)
            taken[index] = list(sale.takes)
        item_ids = repo.insert_items(session, [{
            "account_id": account_id, "order_id": order_ids[n], "external_id": it.external_id, "sku": it.sku or "",
            "product_id": pid, "variant_id": vid, "title": it.title, "quantity": it.quantity,
            "unit_price": it.unit_price, "tax_amount": it.tax, "shipping_amount": it.shipping,
            "taken": sum(t.quantity for t in taken.get(index, [])), "shipped": 0}
            for index, (n, it, pid, vid) in enumerate(lines)])
        # write back: the ledger first (a removed location's rows then lose their link, not their name)
        movements, per_location, counts = [], {}, {}
        for index, takes in taken.items():
            _, _, pid, vid = lines[index]
            for t in takes:
                movements.append({"account_id": account_id, "product_id": pid, "variant_id": vid,
                                  "location_id": t.location_id, "location": t.name, "priority": t.priority,
                                  "delete_if_empty": meta[t.location_id].delete_if_empty,
                                  "order_item_id": item_ids[index], "kind": "sale", "quantity": -t.quantity, "at": at})
                per_location[t.location_id] = per_location.get(t.location_id, 0) + t.quantity
            key = (pid, vid)
            counts[key] = counts.get(key, (0, 0))
            counts[key] = (counts[key][0] + sum(t.quantity for t in takes), counts[key][1])
        for n, it, pid, vid in lines:
            if pid is not None and fresh[n][1].status == "awaiting_payment" and not it.cancelled:
                counts[(pid, vid)] = (counts.get((pid, vid), (0, 0))[0], counts.get((pid, vid), (0, 0))[1] + it.quantity)
        repo.insert_movements(session, movements)
        remaining = {s.id for rows in slots.values() for s in rows}
        repo.apply_takes(session, {i: q for i, q in per_location.items() if i in remaining},
                         [i for i in per_location if i not in remaining], at)
        repo.add_counts_many(session, counts, at)
        channel_listings.changed(session, [pid for pid, _ in counts], at)  # live channels' quantity
        rows = repo.orders_by_ids(session, order_ids)
        made = {(c, o.order_number): rows[order_ids[n]] for n, (c, o) in enumerate(fresh)}
        shipped = [made[(c, o.order_number)] for c, o in fresh if o.status == "shipped"]
        if shipped:
            items = repo.items_of(session, [o.id for o in shipped])
            for row in shipped:
                self._ship(session, row, items[row.id], at)
        return made

    @staticmethod
    def _order_row(account_id: int, channel_id: int, o: ChannelOrder, at: datetime) -> dict:
        shipping = sum(i.shipping for i in o.items)
        tax = sum(i.tax for i in o.items)
        return {"account_id": account_id, "marketplace_account_id": channel_id, "order_number": o.order_number,
                "status": "awaiting_shipment" if o.status == "shipped" else o.status,
                "buyer_username": o.buyer_username, "buyer_name": o.buyer_name, "purchased_at": o.purchased_at,
                "currency_code": o.currency_code, "paid": o.status != "awaiting_payment", "is_prime": False,
                "on_hold": False, "fulfilled_by": "amazon" if o.externally_fulfilled else "merchant",
                "total_amount": o.total if o.total is not None else sum(i.line_total for i in o.items) + shipping + tax,
                "total_shipping": shipping, "total_tax": tax,
                "amount_paid": None if o.status == "awaiting_payment" else o.total,
                "ship_to": orjson.dumps(o.ship_to).decode(), "source": o.channel, "attributes": "{}",
                "channel_updated_at": o.updated_at,
                "cancelled_at": at if o.status == "cancelled" else None, "created_at": at, "updated_at": at}

    # ---- pulled from a live channel ------------------------------------------------------------

    def sync(self, session: Session, account_id: int, channel_id: int, batch: list[ChannelOrder], at: datetime,
             view=None) -> Synced:
        """Orders pulled from a channel account. New ones are entered as `intake` enters them
        (stock taken once); one already here (pulled, imported from a file or sent to the API) is
        brought to the channel's state: paid, shipped or cancelled there, its buyer, address and
        total. An order the channel has not changed since it was last seen (the same
        `updated_at`) changes nothing, so pulling a page twice is harmless."""
        known = repo.existing_orders(session, channel_id, sorted({o.order_number for o in batch}))
        latest: dict[str, ChannelOrder] = {}
        for o in batch:  # the same order twice in a batch: its latest state wins
            seen = latest.get(o.order_number)
            if seen is None or (o.updated_at or at) >= (seen.updated_at or at):
                latest[o.order_number] = o
        fresh = [(channel_id, o) for number, o in latest.items() if number not in known]
        entered = self.intake(session, account_id, fresh, at, view=view)
        result = Synced(added=entered.created, deliveries=entered.deliveries)
        stale = [known[n] for n in latest if n in known]
        items = repo.items_of(session, [r.id for r in stale]) if stale else {}
        for row in stale:
            if self._refresh(session, row, items[row.id], latest[row.order_number], at, result):
                result.updated.append(row.id)
        return result

    def _refresh(self, session: Session, row: Order, items: list[OrderItem], o: ChannelOrder, at: datetime,
                 result: Synced) -> bool:
        """Bring a known order to the channel's state; True when anything a seller sees changed."""
        if o.updated_at is not None and row.channel_updated_at is not None and o.updated_at <= row.channel_updated_at:
            return False
        changed = False
        if o.status == "cancelled" and row.status != "cancelled":
            if row.status == "shipped":
                result.notes.append(f"order {row.order_number}: cancelled on the channel after it shipped here; "
                                    "kept as shipped")
            else:
                self._cancel(session, row, items, at)
                changed = True
        elif o.status in ("awaiting_shipment", "shipped") and row.status == "awaiting_payment":
            self._pay(session, row, items, o, at)
            changed = True
        if o.status == "shipped" and row.status == "awaiting_shipment":
            self._ship(session, row, items, at)
            changed = True
        ship_to = orjson.dumps(o.ship_to).decode() if o.ship_to else row.ship_to
        for name, value in (("buyer_name", o.buyer_name or row.buyer_name),
                            ("buyer_username", o.buyer_username or row.buyer_username),
                            ("ship_to", ship_to), ("total_amount", o.total if o.total is not None else row.total_amount)):
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if o.updated_at is not None:
            row.channel_updated_at = o.updated_at
        if changed:
            row.updated_at = at
        return changed

    def _pay(self, session: Session, row: Order, items: list[OrderItem], o: ChannelOrder, at: datetime) -> None:
        """An order awaiting payment was paid on the channel: it leaves `awaiting_paid` and, unless
        the channel ships it from its own stock, takes its items' stock as a new order would."""
        for item in items:
            if item.product_id is not None:
                repo.add_counts(session, item.product_id, item.variant_id, paid=-item.quantity)
        if not o.externally_fulfilled and row.fulfilled_by != "amazon":
            for item in items:
                if item.product_id is not None and item.taken == 0:
                    self._take(session, row.account_id, item, at)
        row.status, row.paid = "awaiting_shipment", True
        row.amount_paid = o.total if o.total is not None else row.total_amount

    def _take(self, session: Session, account_id: int, item: OrderItem, at: datetime) -> None:
        """One item's quantity from its stock by priority into awaiting_pick (domain.inventory.sell)."""
        rows = repo.locations_for_update(session, item.product_id, item.variant_id)
        sale = inventory.sell([inventory.Slot(r.id, r.location, r.quantity, r.priority, bool(r.delete_if_empty))
                               for r in rows], item.quantity)
        by_id = {r.id: r for r in rows}
        for t in sale.takes:
            loc = by_id[t.location_id]
            session.add(InventoryMovement(account_id=account_id, product_id=item.product_id,
                                          variant_id=item.variant_id, location_id=loc.id, location=loc.location,
                                          priority=loc.priority, delete_if_empty=loc.delete_if_empty,
                                          order_item_id=item.id, kind="sale", quantity=-t.quantity, at=at))
        session.flush()
        repo.apply_takes(session, {t.location_id: t.quantity for t in sale.takes if t.location_id not in sale.removed},
                         list(sale.removed), at)
        taken = sum(t.quantity for t in sale.takes)
        item.taken += taken
        repo.add_counts(session, item.product_id, item.variant_id, pick=taken)

    # ---- shipping, cancelling, acknowledging ---------------------------------------------------

    def get(self, session: Session, account_id: int, order_id: int, lock: bool = False) -> Order:
        row = (repo.order_for_update(session, account_id, order_id) if lock
               else core_repo.owned(session, Order, account_id, order_id, with_deleted=True))
        if row is None:
            raise NotFound("order not found")
        if row.deleted_at is not None:
            raise Gone("the order was deleted")
        return row

    def update(self, session: Session, account_id: int, order_id: int, tracking_number: str | None,
               carrier_code: str | None, status: str | None, at: datetime) -> Order:
        """Tracking and carrier mark the order shipped (a shipment recorded for the channel,
        picked quantity leaving awaiting_pick); `order_status` cancelled cancels it."""
        row = self.get(session, account_id, order_id, lock=True)
        items = repo.items_of(session, [row.id])[row.id]
        if status == "cancelled":
            if tracking_number:
                raise Invalid("order: send either tracking_number (ship) or order_status cancelled, not both")
            self._cancel(session, row, items, at)
            return row
        if status not in (None, "shipped") and status != row.status:
            raise Invalid(f"order.order_status: only cancelled (or shipped, with tracking_number) can be set; "
                          f"got {quote(status)}")
        tracking_number, carrier_code = (tracking_number or "").strip(), (carrier_code or "").strip() or None
        if not tracking_number:
            raise Invalid("order.tracking_number: required to ship the order (with carrier_code)")
        if len(tracking_number) > 100:
            raise Invalid(f"order.tracking_number: at most 100 characters, got {len(tracking_number):,}")
        if carrier_code is not None and len(carrier_code) > 40:
            raise Invalid(f"order.carrier_code: at most 40 characters, got {len(carrier_code):,}")
        if row.status == "cancelled":
            raise Conflict(f"order {quote(row.order_number)} is cancelled: it cannot be shipped")
        if row.status == "awaiting_payment":
            raise Conflict(f"order {quote(row.order_number)} is awaiting payment: ship it once it is paid")
        row.tracking_number, row.carrier_code = tracking_number, carrier_code
        self._ship(session, row, items, at)
        return row

    def _ship(self, session: Session, row: Order, items: list[OrderItem], at: datetime) -> None:
        takes = repo.sale_movements(session, [i.id for i in items if i.taken > i.shipped])
        for move in takes:
            loc = session.get(InventoryLocation, move.location_id) if move.location_id else None
            if loc is not None:
                loc.awaiting_pick = max(0, loc.awaiting_pick + move.quantity)
            session.add(InventoryMovement(account_id=row.account_id, product_id=move.product_id,
                                          variant_id=move.variant_id, location_id=move.location_id,
                                          location=move.location, order_item_id=move.order_item_id, kind="ship",
                                          quantity=-move.quantity, at=at))
        for item in items:
            if item.taken > item.shipped:
                repo.add_counts(session, item.product_id, item.variant_id, pick=-(item.taken - item.shipped))
                item.shipped = item.taken
        row.status, row.shipped_at, row.updated_at = "shipped", at, at
        if row.tracking_number:
            # an order of a channel that takes tracking back (Amazon's merchant-fulfilled, eBay) is
            # confirmed to it by a job enqueued after the commit (`shipments.enqueue_pending`)
            channel = session.get(MarketplaceAccount, row.marketplace_account_id)
            confirm = channel is not None and rules.confirms_shipment(channel.marketplace, row.fulfilled_by)
            repo.add_shipment(session, Shipment(account_id=row.account_id, order_id=row.id,
                                                tracking_number=row.tracking_number, carrier_code=row.carrier_code,
                                                shipped_at=at, channel_status="pending" if confirm else "recorded",
                                                next_attempt_at=at if confirm else None, attempts=0))

    def _cancel(self, session: Session, row: Order, items: list[OrderItem], at: datetime) -> None:
        if row.status == "cancelled":
            return
        if row.status == "shipped":
            raise Conflict(f"order {quote(row.order_number)} has shipped: it cannot be cancelled")
        for move in repo.sale_movements(session, [i.id for i in items if i.taken > i.shipped]):
            self._give_back(session, row.account_id, move, at)
        for item in items:
            if item.taken:
                repo.add_counts(session, item.product_id, item.variant_id, pick=-(item.taken - item.shipped))
                item.taken = item.shipped
            if row.status == "awaiting_payment" and item.product_id is not None:
                repo.add_counts(session, item.product_id, item.variant_id, paid=-item.quantity)
        row.status, row.cancelled_at, row.updated_at = "cancelled", at, at

    def _give_back(self, session: Session, account_id: int, move: InventoryMovement, at: datetime) -> None:
        """Return a sale's take to its location, or to one of the same name, or to the location
        made again (domain.inventory.give_back, with the database's own ids)."""
        n = -move.quantity
        loc = session.get(InventoryLocation, move.location_id) if move.location_id else None
        if loc is None:
            loc = next((x for x in repo.locations_for_update(session, move.product_id, move.variant_id)
                        if x.location == move.location), None)
        if loc is None:
            loc = InventoryLocation(account_id=account_id, product_id=move.product_id, variant_id=move.variant_id,
                                    location=move.location or "", quantity=0, awaiting_pick=0,
                                    priority=move.priority if move.priority is not None else 1,
                                    delete_if_empty=move.delete_if_empty, created_at=at)
            session.add(loc)
            session.flush()
        elif loc.id == move.location_id:
            loc.awaiting_pick = max(0, loc.awaiting_pick - n)
        loc.quantity += n
        loc.updated_at = at
        session.add(InventoryMovement(account_id=account_id, product_id=move.product_id, variant_id=move.variant_id,
                                      location_id=loc.id, location=loc.location, priority=loc.priority,
                                      delete_if_empty=loc.delete_if_empty, order_item_id=move.order_item_id,
                                      kind="cancel", quantity=n, at=at))
        core_repo.touch_product(session, move.product_id, at)
        channel_listings.changed(session, [move.product_id], at)

    def acknowledge(self, session: Session, account_id: int, order_id: int, at: datetime) -> Order:
        """Google and Walmart orders awaiting shipment; anything else is a 409 that says why."""
        row = self.get(session, account_id, order_id, lock=True)
        channel = session.get(MarketplaceAccount, row.marketplace_account_id)
        if channel.account_type not in rules.ACKNOWLEDGING:
            raise Conflict(f"order {quote(row.order_number)} is from a {channel.account_type}: only Google and "
                           "Walmart orders are acknowledged (the other channels need no acknowledgement)")
        if row.status != "awaiting_shipment":
            raise Conflict(f"order {quote(row.order_number)} is {row.status}: only an order awaiting shipment "
                           "can be acknowledged")
        if row.acknowledged_at is None:
            row.acknowledged_at, row.updated_at = at, at
        return row

    # ---- reading -------------------------------------------------------------------------------

    def page(self, session: Session, account_id: int, filters: dict, sort: str | None, descending: bool,
             page: int, page_size: int) -> tuple[list[Order], dict[int, list[OrderItem]]]:
        rows = repo.orders_page(session, account_id, filters, sort, descending, (page - 1) * page_size, page_size)
        return rows, repo.items_of(session, [r.id for r in rows])

    def items(self, session: Session, order_ids: list[int]) -> dict[int, list[OrderItem]]:
        return repo.items_of(session, order_ids)

    def shipment(self, session: Session, order_id: int) -> Shipment | None:
        """The order's latest shipment: its tracking and whether the channel has it."""
        return repo.latest_shipment(session, order_id)

    # ---- notifications -------------------------------------------------------------------------

    def _notify(self, session: Session, account_id: int, created: list[Order], view, at: datetime) -> list[int]:
        """A pending order_created delivery per new order and user whose push_notifications list
        its channel account and who has a webhook URL."""
        users = [(u, set(users_service.channels(u, "order_created"))) for u in repo.subscribers(session, account_id)]
        users = [(u, ch) for u, ch in users if ch]
        if not users:
            return []
        items = repo.items_of(session, [o.id for o in created])
        ids = []
        for order in created:
            payload = None
            for user, channels in users:
                if order.marketplace_account_id in channels:
                    payload = payload or {"event": "order_created", "timestamp": at.isoformat(),
                                          "order": view(order, items[order.id])}
                    ids.append(webhooks.add(session, account_id=account_id, user_id=user.id, event="order_created",
                                            url=user.webhook_url, payload=payload))
        return ids


class Users:
    def get(self, session: Session, account_id: int, user_id: int) -> User:
        row = session.get(User, user_id)
        if row is None or row.account_id != account_id:
            raise NotFound("user not found")
        return row

    def of_key(self, session: Session, account_id: int, key_id: int) -> User:
        user_id = repo.user_of_key(session, key_id)
        if user_id is None:
            raise NotFound("this key belongs to no user; make a key with `sellerkit keys create`")
        return self.get(session, account_id, user_id)

    @staticmethod
    def channels(user: User, event: str) -> list[int]:
        return list(orjson.loads(user.push_notifications or "{}").get(event, []))

    def update(self, session: Session, account_id: int, user_id: int, name: str | None,
               push: dict[str, list[int]] | None, webhook_url: str | None, given: set[str]) -> User:
        """Only the fields given change. `push` maps an event to channel account ids; the router
        has turned the reference's `[""]` into [] (cleared)."""
        row = self.get(session, account_id, user_id)
        if "name" in given:
            if not name or not name.strip() or len(name) > 200:
                raise Invalid("user.name: 1 to 200 characters")
            row.name = name.strip()
        if "webhook_url" in given:
            row.webhook_url = check_url(webhook_url) if webhook_url else None
        if "push_notifications" in given and push is not None:
            current = orjson.loads(row.push_notifications or "{}")
            for event, channel_ids in push.items():
                if event not in EVENTS:
                    raise Invalid(f"user.push_notifications: unknown notification {quote(event)}; "
                                  f"one of {', '.join(EVENTS)}")
                for cid in channel_ids:
                    orders.channel(session, account_id, cid, f"user.push_notifications.{event}")
                current[event] = sorted(set(channel_ids))
            row.push_notifications = orjson.dumps(current).decode()
        row.updated_at = utcnow()
        return row


def check_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise Invalid(f"user.webhook_url: an http or https URL of at most 2,000 characters; got {quote(url)}")
    return url.strip()


orders = Orders()
users_service = Users()
