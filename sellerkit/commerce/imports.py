"""Channel files into sellerkit: eBay getOrders pages and Amazon order reports become orders
(through the same intake as `POST /api/orders`, so re-importing a file changes nothing), an
Amazon All Listings report becomes a submitted manifest of its listings (each SKU's quantity
replaced by the report's; FBA listings, which the report gives no quantity, keep theirs).
`sellerkit orders import FILE` calls `import_file`."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sellerkit.commerce.manifests import Refs, manifests
from sellerkit.commerce.models import MarketplaceAccount
from sellerkit.commerce.orders_service import orders
from sellerkit.commerce.schemas import ManifestIn
from sellerkit.domain import channel_files as files
from sellerkit.domain.money import dollars
from sellerkit.domain.quoting import quote
from sellerkit.domain.timestamps import event_time
from sellerkit.errors import Invalid, NotFound
from sellerkit.kit.db import Database


@dataclass
class Imported:
    format: str
    orders: int = 0
    created: int = 0
    listings: int = 0
    manifest_id: int | None = None

    def as_dict(self) -> dict:
        return {"format": self.format, "orders": self.orders, "created": self.created, "listings": self.listings,
                "manifest_id": self.manifest_id}


def channel_by_ref(session, account_id: int, ref: str) -> MarketplaceAccount:
    """The account's live channel account by its name or its number."""
    q = sa.select(MarketplaceAccount).where(MarketplaceAccount.account_id == account_id,
                                            MarketplaceAccount.deleted_at.is_(None))
    by = (MarketplaceAccount.id == int(ref)) if ref.isdigit() else (MarketplaceAccount.name == ref)
    found = session.execute(q.where(by)).scalars().first()
    if found is None:
        raise NotFound(f"--channel: no marketplace account {quote(ref)} in this account; "
                       "give its name as GET /api/marketplace_accounts shows it")
    return found


def import_file(db: Database, account_id: int, channel_ref: str, data: bytes, name: str) -> Imported:
    kind = files.detect(data)
    with db.session() as s:
        channel = channel_by_ref(s, account_id, channel_ref)
    try:
        if kind == "ebay-orders":
            parsed = files.parse_ebay_orders(data)
        elif kind == "amazon-order-report":
            parsed = files.parse_amazon_order_report(files.decode(data))
        else:
            return _listings(db, account_id, channel, files.parse_amazon_listings_report(files.decode(data)), name)
    except files.ChannelFileError as exc:
        raise Invalid(f"{name}: {exc}") from None
    with db.session(write=True) as s:
        result = orders.intake(s, account_id, [(channel.id, o) for o in parsed], event_time(None))
    return Imported(kind, orders=len(parsed), created=len(result.created))


def _listings(db: Database, account_id: int, channel: MarketplaceAccount, listings: list, name: str) -> Imported:
    body = ManifestIn.model_validate({
        "name": f"Channel import {name}"[:200], "item_present_option": "replace_quantity", "product_listings_attributes": [
            {"sku": x.sku, "asin": x.asin, "title": x.title, "quantity": x.quantity,
             "retail_price": dollars(x.price), "item_condition": x.item_condition,
             "upc": x.product_id if x.product_id_type in ("upc", "ean", "isbn") else None}
            for x in listings]})
    with db.session(write=True) as s:
        manifest = manifests.create(s, account_id, body, Refs(channel.id))
        manifests.claim(s, account_id, manifest.id)
    manifests.submit(db, manifest.id)
    return Imported("amazon-listings-report", listings=len(listings), manifest_id=manifest.id)
