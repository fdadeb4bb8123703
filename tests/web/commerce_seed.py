"""Data for the dashboard's listings, inventory, orders and tracking pages, made through the
services as a seller's requests make it (no table is poked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sellerkit.commerce.manifests import Refs, manifests
from sellerkit.commerce.orders_service import orders
from sellerkit.commerce.schemas import InventoryLocationIn, ManifestIn, MarketplaceAccountIn, ProductListingIn
from sellerkit.commerce.products import inventory
from sellerkit.commerce.service import channel_accounts
from sellerkit.domain.channel_files import ChannelOrder, ChannelOrderItem
from sellerkit.kit.db import Database, utcnow
from sellerkit.tracking import repository as tracking_repo
from sellerkit.tracking.service import tracking


@dataclass
class Commerce:
    channel_id: int
    manifest_id: int  # listings: `okay` of them ready, one missing its title
    order_ids: list[int]  # awaiting shipment, newest last


def seed_commerce(db: Database, account_id: int, okay: int = 3, orders_count: int = 3,
                  name: str = "Spring restock") -> Commerce:
    """A channel account, a manifest of `okay` listings ready to submit and one held back (no
    title), and orders awaiting shipment of the first SKU."""
    with db.session(write=True) as s:
        channel = channel_accounts.create(s, account_id, MarketplaceAccountIn(
            name="Amazon US", marketplace_account_type="AmazonAccount", marketplace_id="US"))
        listings = [ProductListingIn(sku=f"SK-{n}", asin=f"B0{n:08d}", title=f"Garden hose {n}", quantity=5,
                                     retail_price=f"19.{90 + n}") for n in range(1, okay + 1)]
        listings.append(ProductListingIn(sku="SK-HELD", asin="B0HELD0001", quantity=1))
        m = manifests.create(s, account_id, ManifestIn(name=name, product_listings_attributes=listings),
                             Refs(channel.id))
        at = utcnow()
        batch = [(channel.id, ChannelOrder(
            channel="amazon", order_number=f"111-{n:07d}-0000001", status="awaiting_shipment",
            purchased_at=at - timedelta(hours=orders_count - n), updated_at=None, currency_code="USD",
            buyer_username=f"buyer{n}", buyer_name=f"Buyer {n}", total=2599,
            items=(ChannelOrderItem(sku="SK-1", quantity=1, unit_price=2599, line_total=2599,
                                    title="Garden hose 1"),)))
            for n in range(orders_count)]
        made = orders.intake(s, account_id, batch, at)
        return Commerce(channel.id, m.id, [o.id for o in made.orders])


def stock(db: Database, account_id: int, product_id: int, location: str, quantity: int) -> None:
    with db.session(write=True) as s:
        inventory.create(s, account_id, product_id, None, InventoryLocationIn(location=location,
                                                                              quantity_available=quantity), utcnow())


@dataclass
class Tracked:
    collection_id: int
    item_ids: list[int]


def seed_tracking(db: Database, account_id: int, asins: list[str], name: str = "Hoses to watch") -> Tracked:
    """A manual collection of `asins` on amazon.com with an active postcode and credits."""
    with db.session(write=True) as s:
        z = tracking.create_zipcode(s, account_id, 2, "10001")
        z.status = "active"  # the location cookie is the fetcher's business, not these pages'
        c = tracking.create_collection(s, account_id, {"name": name, "request_type": "amazon", "schedule": "Manual"})
        tracking.set_credits(s, account_id, 1000)
        added = tracking.create_items(s, account_id, {"collection": c.id, "domain": "amazon.com",
                                                      "customer_postcode": "10001", "asins": ",".join(asins)})
        assert not added["error_rows"], added["error_rows"][:3]
        return Tracked(c.id, tracking_repo.item_ids(s, c.id))
