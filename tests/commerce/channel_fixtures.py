"""What the channel-orders tests share: a seller with stock on an Amazon channel account, connected
to a fake SP-API (tests/fakes/spapi_server.py) or a fake eBay (tests/fakes/ebay_server.py)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sellerkit.catalog.providers.budget import Budgets, MemoryBudgets
from sellerkit.commerce.channels import Live
from sellerkit.commerce.models import InventoryMovement, MarketplaceAccount, Order, OrderItem, Product
from sellerkit.config import Settings

SKUS = ["SKU-A", "SKU-B", "SKU-C", "SKU-D"]
STOCK = 1000


@dataclass
class Shop:
    """A seller through the API (tests/commerce/conftest.Seller), its channel account's id, and
    what live channels need."""

    seller: object
    channel_id: int
    account_id: int
    live: Live


def channel_row(db, channel_id: int) -> MarketplaceAccount:
    with db.session() as s:
        return s.get(MarketplaceAccount, channel_id)


def shop(db, seller, settings: Settings, budgets: Budgets | None = None, stock: int = STOCK) -> Shop:
    for sku in SKUS:
        seller.product(sku, quantity=stock)
    with db.session() as s:
        channel = s.execute(sa.select(MarketplaceAccount).where(MarketplaceAccount.name == seller.channel["name"])
                            .order_by(MarketplaceAccount.id)).scalars().first()
    return Shop(seller, channel.id, channel.account_id, Live(db, settings, budgets or Budgets(MemoryBudgets())))


def orders_of(db, channel_id: int) -> dict[str, Order]:
    with db.session() as s:
        return {o.order_number: o for o in s.execute(sa.select(Order).where(
            Order.marketplace_account_id == channel_id)).scalars()}


def items_of(db, order_number: str) -> list[OrderItem]:
    with db.session() as s:
        return list(s.execute(sa.select(OrderItem).join(Order, Order.id == OrderItem.order_id)
                              .where(Order.order_number == order_number).order_by(OrderItem.id)).scalars())


def stock(db) -> dict[str, tuple[int, int]]:
    """SKU -> (quantity left in its locations, awaiting_pick)."""
    from sellerkit.commerce.models import InventoryLocation

    with db.session() as s:
        rows = s.execute(sa.select(Product.sku, sa.func.coalesce(sa.func.sum(InventoryLocation.quantity), 0),
                                   Product.awaiting_pick)
                         .join(InventoryLocation, InventoryLocation.product_id == Product.id, isouter=True)
                         .group_by(Product.sku, Product.awaiting_pick)).all()
    return {sku: (int(q), int(pick)) for sku, q, pick in rows}


def sales(db) -> int:
    """Stock movements of kind sale: one per item and location an order took from."""
    with db.session() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(InventoryMovement).where(InventoryMovement.kind == "sale"))


def new_seller(db, client, channel_type: str | None = None):
    """A seller through the API (its Amazon US channel account, or a new one of `channel_type`
    as the seller's channel)."""
    import dataclasses

    from sellerkit.accounts.service import keys
    from tests.commerce.conftest import make_seller

    def new_key(name, account=None):
        with db.session(write=True) as s:
            return keys.create(s, name=name, plan="pro", account=account)

    seller = make_seller(client, new_key)
    if channel_type is None:
        return seller
    channel = seller.post("/api/marketplace_accounts", json={"marketplace_account": {
        "name": "Store", "marketplace_account_type": channel_type}}).json()["marketplace_account"]
    return dataclasses.replace(seller, channel=channel)
