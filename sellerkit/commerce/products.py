"""Products, variants and inventory locations: list with the reference's filters, get, update
(one and in bulk), delete with its four flags, and stock by location.

A product's (or variant's) `quantity_available` is the sum of its locations; setting it moves the
difference through the locations (added to the first, taken in priority order), and every
change is written to the movement ledger as an `adjust` at the request's `timestamp`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from sellerkit.commerce import repository as repo
from sellerkit.commerce.channel_listings import channel_listings
from sellerkit.commerce.channels import channel_for
from sellerkit.commerce.models import InventoryLocation, InventoryMovement, MarketplaceAccount, Product, Variant
from sellerkit.commerce.schemas import InventoryLocationIn, ProductIn, VariantIn
from sellerkit.domain import commerce as rules
from sellerkit.domain.quoting import quote
from sellerkit.errors import Conflict, Gone, Invalid, NotFound, SellerkitError
from sellerkit.kit.db import utcnow

MAX_BULK = 1_000
MAX_QUANTITY = 10_000_000
_PRICES = {"retail_price": "retail_price", "min_price": "min_price", "max_price": "max_price",
           "cost_price": "cost_price", "handling_cost": "handling_cost", "shipping_cost": "shipping_cost",
           "misc_cost": "misc_cost", "msrp_price": "msrp", "map_price": "map_price"}
_TEXTS = {"alt_sku": 100, "asin": 10, "upc": 14, "fnsku": 20, "title": 2000, "description": 100_000,
          "item_remarks": 10_000, "brand": 200}
_ATTRS = ("fulfillment_provider_account_id", "fulfillment_provider_sku")


@dataclass
class Shown:
    """Products with what their views need, loaded in a few queries for a whole page."""

    products: list[Product]
    variants: dict[int, list[Variant]] = field(default_factory=dict)
    locations: dict[int, list[InventoryLocation]] = field(default_factory=dict)
    images: dict[int, list] = field(default_factory=dict)


def _quantity(value: int | None, where: str) -> int | None:
    if value is not None and not 0 <= value <= MAX_QUANTITY:
        raise Invalid(f"{where}: must be from 0 to {MAX_QUANTITY:,}, got {value:,}")
    return value


class Products:
    def get(self, session: Session, account_id: int, product_id: int, lock: bool = False) -> Product:
        row = (repo.owned_for_update(session, Product, account_id, product_id) if lock
               else repo.owned(session, Product, account_id, product_id, with_deleted=True))
        if row is None:
            raise NotFound("product not found")
        if row.deleted_at is not None:
            raise Gone(f"product {quote(row.sku)} was deleted")
        return row

    def shown(self, session: Session, products: list[Product]) -> Shown:
        ids = [p.id for p in products]
        return Shown(products, repo.variants_of(session, ids), repo.locations_of(session, ids),
                     repo.images_of(session, ids))

    def page(self, session: Session, account_id: int, filters: dict[str, Any], page: int, page_size: int) -> Shown:
        if (code := filters.pop("upc", None)) is not None:
            key = rules.upc_key(code)
            filters["upc"] = key if key is not None else code.strip()
        if (tags := filters.pop("tags_array", None)) is not None:
            filters["tags_key"] = rules.tags_key(tags)
        ids = repo.product_ids_page(session, account_id, filters, (page - 1) * page_size, page_size)
        return self.shown(session, repo.products_by_ids(session, ids))

    # ---- updates -----------------------------------------------------------------------------

    def update(self, session: Session, account_id: int, product_id: int, body: ProductIn, relist: bool,
               at: datetime, where: str = "product") -> Product:
        product = self.get(session, account_id, product_id, lock=True)
        given = body.given()
        for name, column in _PRICES.items():
            if name in given:
                setattr(product, column, given[name])
        for name, limit in _TEXTS.items():
            if name in given:
                value = given[name]
                if value is not None and len(value) > limit:
                    raise Invalid(f"{where}.{name}: at most {limit:,} characters, got {len(value):,}")
                value = value.strip() if value else None
                if name == "asin" and value:
                    value = value.upper()
                setattr(product, name, value)
                if name == "upc":
                    product.upc_key = rules.upc_key(value)
        if "ebay_item_condition_id" in given:
            product.ebay_item_condition_id = given["ebay_item_condition_id"]
        if "item_condition" in given:
            product.item_condition = given["item_condition"]
        if any(a in given for a in _ATTRS):
            attrs = orjson.loads(product.attributes or "{}")
            attrs.update({a: given[a] for a in _ATTRS if a in given})
            product.attributes = orjson.dumps(attrs).decode()
        if "tags_array" in given:
            tags = [t.strip() for t in (given["tags_array"] or []) if t and t.strip()]
            if any(len(t) > 200 for t in tags):
                raise Invalid(f"{where}.tags_array: a tag is at most 200 characters")
            product.tags = orjson.dumps(list(dict.fromkeys(tags))).decode()
            product.tags_key = rules.tags_key(tags)
            repo.replace_tags(session, account_id, product.id, tags)
        if "quantity_available" in given and given["quantity_available"] is not None:
            _quantity(given["quantity_available"], f"{where}.quantity_available")
            inventory.set_total(session, product, None, given["quantity_available"], at)
        if {"retail_price", "quantity_available"} & given.keys():
            channel_listings.changed(session, [product.id])
        if relist and product.marketplace_status != "active" and not channel_listings.relist(session, product,
                                                                                             utcnow()):
            channel = session.get(MarketplaceAccount, product.marketplace_account_id)
            product.marketplace_status = channel_for(channel).publish(channel, [product]).marketplace_status
        product.updated_at = utcnow()
        product.version += 1
        session.flush()
        return product

    def bulk_update(self, session: Session, account_id: int, items: list[tuple[int | None, ProductIn, str]],
                    relist: bool, at: datetime) -> tuple[list[Product], list[dict[str, Any]]]:
        """Each item on its own savepoint: an item that fails (unknown id, bad value) is listed
        with why, the others are applied."""
        if len(items) > MAX_BULK:
            raise Invalid(f"products: at most {MAX_BULK:,} a request, got {len(items):,}")
        done, errors = [], []
        for index, (product_id, body, raw_id) in enumerate(items):
            where = f"products[{index}]"
            try:
                if product_id is None:
                    raise NotFound(f"{where}.id: product {quote(raw_id)} not found")
                with session.begin_nested():
                    done.append(self.update(session, account_id, product_id, body, relist, at, where))
            except SellerkitError as exc:
                message = exc.message if exc.message.startswith(where) else f"{where}: {exc.message}"
                errors.append({"index": index, "id": raw_id, "status": exc.status_code, "message": message})
        return done, errors

    def delete(self, session: Session, account_id: int, product_id: int, delete_product: bool, end_listing: bool,
               delete_listing: bool, delete_linked: bool) -> list[Product]:
        """The four flags of the reference: end the listing on the marketplace (`ended`), remove
        it there (`deleted`), delete the product here (410 from then on), and do the same to the
        linked products (the account's products of the same SKU on its other channel accounts)."""
        product = self.get(session, account_id, product_id, lock=True)
        targets = [product]
        if delete_linked:
            targets += repo.linked_products(session, account_id, product)
        now = utcnow()
        if delete_listing or end_listing:  # a live channel's listing is ended there too (deleteListingsItem)
            channel_listings.end(session, targets, now)
        for p in targets:
            if delete_listing:
                p.marketplace_status = "deleted"
            elif end_listing:
                p.marketplace_status = "ended"
            if delete_product:
                p.deleted_at = now
            p.updated_at, p.version = now, p.version + 1
        session.flush()
        return targets

    # ---- variants ----------------------------------------------------------------------------

    def variant(self, session: Session, account_id: int, variant_id: int, product_id: int | None) -> Variant:
        row = repo.owned(session, Variant, account_id, variant_id)
        if row is None or (product_id is not None and row.product_id != product_id):
            raise NotFound("variant not found")
        self.get(session, account_id, row.product_id)
        return row

    def update_variant(self, session: Session, account_id: int, variant_id: int, product_id: int | None,
                       body: VariantIn, at: datetime) -> Variant:
        row = self.variant(session, account_id, variant_id, product_id)
        product = self.get(session, account_id, row.product_id, lock=True)
        given = body.given()
        for name in ("option1_value", "option2_value", "option3_value", "option4_value", "sku", "alt_sku", "title",
                     "item_location"):
            if name in given:
                value = given[name]
                if value is not None and len(value) > 200:
                    raise Invalid(f"variant.{name}: at most 200 characters, got {len(value):,}")
                setattr(row, name, value)
        if "upc" in given:
            row.upc = (given["upc"] or "").strip()[:14] or None
        if "asin" in given:
            row.asin = (given["asin"] or "").strip().upper()[:10] or None
        if "retail_price" in given:
            row.retail_price = given["retail_price"]
        if "weight_in_pounds" in given:
            row.weight = given["weight_in_pounds"]
        total = given.get("quantity_available", given.get("quantity"))
        if total is not None:
            _quantity(total, "variant.quantity_available")
            inventory.set_total(session, product, row.id, total, at)
            channel_listings.changed(session, [product.id])
        row.updated_at = product.updated_at = utcnow()
        product.version += 1
        session.flush()
        return row


class Inventory:
    """Stock by location. Sales, cancellations and shipments (orders) move it too, through the
    same ledger."""

    def _move(self, session: Session, loc: InventoryLocation, delta: int, at: datetime, kind: str = "adjust") -> None:
        if delta:
            session.add(InventoryMovement(account_id=loc.account_id, product_id=loc.product_id,
                                          variant_id=loc.variant_id, location_id=loc.id, location=loc.location,
                                          kind=kind, quantity=delta, at=at))

    def locations(self, session: Session, account_id: int, product_id: int) -> list[InventoryLocation]:
        products.get(session, account_id, product_id)
        return repo.locations_of(session, [product_id])[product_id]

    def get(self, session: Session, account_id: int, product_id: int, location_id: int) -> InventoryLocation:
        loc = repo.owned(session, InventoryLocation, account_id, location_id)
        if loc is None or loc.product_id != product_id:
            raise NotFound("inventory location not found")
        return loc

    def create(self, session: Session, account_id: int, product_id: int, variant_id: int | None,
               body: InventoryLocationIn, at: datetime) -> InventoryLocation:
        products.get(session, account_id, product_id, lock=True)
        if variant_id is not None:
            products.variant(session, account_id, variant_id, product_id)
        name = (body.location or "").strip()
        if not name:
            raise Invalid("inventory_location.location: required")
        if len(name) > 200:
            raise Invalid(f"inventory_location.location: at most 200 characters, got {len(name):,}")
        existing = repo.locations_of(session, [product_id])[product_id]
        if any(loc.location == name and loc.variant_id == variant_id for loc in existing):
            raise Conflict(f"inventory_location.location: {quote(name)} is already a location of this "
                           f"{'variant' if variant_id else 'product'}; update it instead")
        quantity = _quantity(body.quantity_available, "inventory_location.quantity_available") or 0
        priority = body.priority if body.priority is not None else max((loc.priority for loc in existing), default=0) + 1
        now = utcnow()
        loc = repo.add(session, InventoryLocation(account_id=account_id, product_id=product_id, variant_id=variant_id,
                                                  location=name, quantity=quantity, priority=priority,
                                                  delete_if_empty=body.delete_if_empty, created_at=now,
                                                  updated_at=now))
        self._move(session, loc, quantity, at)
        repo.touch_product(session, product_id, now)
        channel_listings.changed(session, [product_id], now)
        return loc

    def update(self, session: Session, account_id: int, product_id: int, location_id: int,
               body: InventoryLocationIn, at: datetime) -> tuple[InventoryLocation, bool]:
        """Returns the location and whether it was removed (quantity 0 with delete_if_empty)."""
        products.get(session, account_id, product_id, lock=True)
        loc = self.get(session, account_id, product_id, location_id)
        given = body.given()
        if "location" in given:
            name = (given["location"] or "").strip()
            if not name or len(name) > 200:
                raise Invalid("inventory_location.location: 1 to 200 characters")
            loc.location = name
        if "priority" in given and given["priority"] is not None:
            loc.priority = given["priority"]
        if "delete_if_empty" in given:
            loc.delete_if_empty = given["delete_if_empty"]
        if given.get("quantity_available") is not None:
            quantity = _quantity(given["quantity_available"], "inventory_location.quantity_available")
            self._move(session, loc, quantity - loc.quantity, at)
            loc.quantity = quantity
        now = utcnow()
        loc.updated_at = now
        repo.touch_product(session, product_id, now)
        channel_listings.changed(session, [product_id], now)
        removed = loc.quantity == 0 and loc.awaiting_pick == 0 and bool(loc.delete_if_empty)
        if removed:
            session.delete(loc)
        session.flush()
        return loc, removed

    def delete(self, session: Session, account_id: int, product_id: int, location_id: int, at: datetime) -> None:
        products.get(session, account_id, product_id, lock=True)
        loc = self.get(session, account_id, product_id, location_id)
        if loc.awaiting_pick:
            raise Conflict(f"inventory location {quote(loc.location)} holds {loc.awaiting_pick} units awaiting pick; "
                           "ship or cancel those orders first")
        self._move(session, loc, -loc.quantity, at)
        session.delete(loc)
        repo.touch_product(session, product_id)
        channel_listings.changed(session, [product_id])
        session.flush()

    def set_total(self, session: Session, product: Product, variant_id: int | None, target: int, at: datetime) -> None:
        """Make the quantity available of a product's own locations (or a variant's) `target`."""
        own = [loc for loc in repo.locations_of(session, [product.id])[product.id] if loc.variant_id == variant_id]
        if not own:
            if target:
                now = utcnow()
                loc = repo.add(session, InventoryLocation(
                    account_id=product.account_id, product_id=product.id, variant_id=variant_id,
                    location="Default", quantity=0, priority=1, delete_if_empty=False, created_at=now, updated_at=now))
                own = [loc]
            else:
                return
        new = rules.spread_total([loc.quantity for loc in own], target)
        for loc, quantity in zip(own, new, strict=True):
            self._move(session, loc, quantity - loc.quantity, at)
            loc.quantity = quantity


products = Products()
inventory = Inventory()
