"""Commerce tables (SellerChamp dialect): channel accounts, manifests and their listings, the
products and variants they become, inventory by location, orders and what they took.

Every table is `commerce_*` (the catalog already has `products`) and every row carries its
tenant's `account_id`. Money is integer cents, weights integer thousandths of a pound,
dimensions integer hundredths of an inch. Ids are plain integers inside; the wire shows them as
24-character hex (`domain.commerce_ids`). Fields the reference has but no rule reads are kept
in `attributes` (JSON text), so a write reads back as it was sent.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sellerkit.kit.db import Base, TimestampMixin, utcnow



def _account() -> sa.ForeignKey:
    return sa.ForeignKey("accounts.id", ondelete="CASCADE")

Cents = sa.BigInteger


def _live(table: str, *columns: str, name: str) -> sa.Index:
    """Unique among rows not deleted (soft-deleted rows keep their values for the 410)."""
    where = sa.text("deleted_at IS NULL")
    return sa.Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


class IdKey(Base):
    """The installation's key of the wire-id permutation (`domain.commerce_ids`): one row, made
    at random by the migration, shared by every replica, so ids are stable and not sequential."""

    __tablename__ = "commerce_id_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class MarketplaceAccount(TimestampMixin, Base):
    """A sales channel of the account: Amazon per marketplace, eBay, Shopify, Walmart, Google."""

    __tablename__ = "commerce_marketplace_accounts"
    __table_args__ = (sa.Index("ix_commerce_marketplace_accounts_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    name: Mapped[str] = mapped_column(sa.String(200))
    account_type: Mapped[str] = mapped_column(sa.String(30))  # AmazonAccount | EbayAccount | ...
    marketplace: Mapped[str] = mapped_column(sa.String(20))  # amazon | ebay | shopify | walmart | google
    marketplace_id: Mapped[str | None] = mapped_column(sa.String(2))  # Amazon's marketplace (US, UK ...)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class _Contact:
    """Postal address columns shared by ship-from addresses and suppliers."""

    name: Mapped[str] = mapped_column(sa.String(200))
    street1: Mapped[str | None] = mapped_column(sa.String(200))
    street2: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[str | None] = mapped_column(sa.String(100))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(200))


class ShipFromAddress(TimestampMixin, _Contact, Base):
    __tablename__ = "commerce_ship_from_addresses"
    __table_args__ = (sa.Index("ix_commerce_ship_from_addresses_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())


class Supplier(TimestampMixin, _Contact, Base):
    __tablename__ = "commerce_suppliers"
    __table_args__ = (sa.Index("ix_commerce_suppliers_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    website: Mapped[str | None] = mapped_column(sa.String(300))


class Template(TimestampMixin, Base):
    """Listing defaults for a channel (SellerChamp's EbayTemplate, AmazonTemplate ...)."""

    __tablename__ = "commerce_templates"
    __table_args__ = (sa.Index("ix_commerce_templates_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    name: Mapped[str] = mapped_column(sa.String(200))
    template_type: Mapped[str] = mapped_column(sa.String(30))
    attributes: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: the template's listing defaults


class Manifest(TimestampMixin, Base):
    """A batch of listings for one channel account. `status`: created -> submitting -> submitted
    (or failed); `folder` follows it (drafts, active, archived)."""

    __tablename__ = "commerce_manifests"
    __table_args__ = (sa.Index("ix_commerce_manifests_account", "account_id", "id"),
                      sa.Index("ix_commerce_manifests_channel", "marketplace_account_id", "folder"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    marketplace_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commerce_marketplace_accounts.id", ondelete="CASCADE"))
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_suppliers.id", ondelete="SET NULL"))
    ship_from_address_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("commerce_ship_from_addresses.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_templates.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(sa.String(200))
    number: Mapped[int] = mapped_column()  # the account's running manifest number
    status: Mapped[str] = mapped_column(sa.String(20), default="created")
    last_valid_status: Mapped[str] = mapped_column(sa.String(20), default="created")
    status_message: Mapped[str | None] = mapped_column(sa.Text)
    folder: Mapped[str] = mapped_column(sa.String(20), default="drafts")  # a manifest folder's internal_name
    seller_fulfilled: Mapped[bool] = mapped_column(default=True)
    auto_submit: Mapped[bool] = mapped_column(default=False)
    item_present_option: Mapped[str] = mapped_column(sa.String(20), default="inc_quantity")
    sku_prefix: Mapped[str] = mapped_column(sa.String(40), default="")
    submitting_since: Mapped[datetime | None] = mapped_column()  # set while a submission holds it (409)
    submitted_at: Mapped[datetime | None] = mapped_column()
    attributes: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: the reference's other manifest fields
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class _Prices:
    """The money of a listing or a product, integer cents."""

    retail_price: Mapped[int | None] = mapped_column(Cents)
    msrp: Mapped[int | None] = mapped_column(Cents)
    min_price: Mapped[int | None] = mapped_column(Cents)
    max_price: Mapped[int | None] = mapped_column(Cents)
    map_price: Mapped[int | None] = mapped_column(Cents)
    cost_price: Mapped[int | None] = mapped_column(Cents)
    handling_cost: Mapped[int | None] = mapped_column(Cents)
    shipping_cost: Mapped[int | None] = mapped_column(Cents)
    misc_cost: Mapped[int | None] = mapped_column(Cents)


class ProductListing(TimestampMixin, _Prices, Base):
    """A line of a manifest: what will become (or merge into) a product when it is submitted.
    `list_status` is the verdict of `domain.commerce.listing_checks`."""

    __tablename__ = "commerce_product_listings"
    __table_args__ = (sa.Index("ix_commerce_product_listings_manifest", "manifest_id", "id"),
                      sa.Index("ix_commerce_product_listings_sku", "manifest_id", "sku"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    manifest_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_manifests.id", ondelete="CASCADE"))
    marketplace_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commerce_marketplace_accounts.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="SET NULL"))
    sku: Mapped[str | None] = mapped_column(sa.String(100))
    asin: Mapped[str | None] = mapped_column(sa.String(10))
    upc: Mapped[str | None] = mapped_column(sa.String(14))
    title: Mapped[str | None] = mapped_column(sa.Text)
    brand: Mapped[str | None] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(default=0)
    quantity_listed: Mapped[int] = mapped_column(default=0)
    item_condition: Mapped[str | None] = mapped_column(sa.String(20))
    item_location: Mapped[str | None] = mapped_column(sa.String(200))
    list_status: Mapped[str] = mapped_column(sa.String(30), default="okay_to_ship")
    list_status_error_detail: Mapped[str | None] = mapped_column(sa.Text)
    list_status_error_detail_2: Mapped[str | None] = mapped_column(sa.Text)
    image_urls: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list, kept as given
    attributes: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: the reference's other fields
    updated_at: Mapped[datetime | None] = mapped_column()


class _Options:
    """A variant's options, up to four name/value pairs."""

    option1_name: Mapped[str | None] = mapped_column(sa.String(100))
    option1_value: Mapped[str | None] = mapped_column(sa.String(200))
    option2_name: Mapped[str | None] = mapped_column(sa.String(100))
    option2_value: Mapped[str | None] = mapped_column(sa.String(200))
    option3_name: Mapped[str | None] = mapped_column(sa.String(100))
    option3_value: Mapped[str | None] = mapped_column(sa.String(200))
    option4_name: Mapped[str | None] = mapped_column(sa.String(100))
    option4_value: Mapped[str | None] = mapped_column(sa.String(200))
    sku: Mapped[str | None] = mapped_column(sa.String(100))
    alt_sku: Mapped[str | None] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str | None] = mapped_column(sa.Text)
    upc: Mapped[str | None] = mapped_column(sa.String(14))
    asin: Mapped[str | None] = mapped_column(sa.String(10))
    item_location: Mapped[str | None] = mapped_column(sa.String(200))
    retail_price: Mapped[int | None] = mapped_column(Cents)
    weight: Mapped[int | None] = mapped_column()  # thousandths of a pound
    image_urls: Mapped[str] = mapped_column(sa.Text, default="[]")


class VariantListing(_Options, Base):
    __tablename__ = "commerce_variant_listings"
    __table_args__ = (sa.Index("ix_commerce_variant_listings_listing", "product_listing_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    product_listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commerce_product_listings.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_variants.id", ondelete="SET NULL"))
    quantity: Mapped[int | None] = mapped_column()


class Product(TimestampMixin, _Prices, Base):
    """A product of the account on one channel account: what sells. Its quantity available is
    the sum of its inventory locations (never stored twice); `awaiting_pick` and `awaiting_paid`
    are what orders took and have not shipped, and what is ordered but not paid."""

    __tablename__ = "commerce_products"
    __table_args__ = (
        sa.Index("ix_commerce_products_account", "account_id", "id"),
        sa.Index("ix_commerce_products_sku", "account_id", "sku"),
        sa.Index("ix_commerce_products_asin", "account_id", "asin"),
        sa.Index("ix_commerce_products_upc", "account_id", "upc_key"),
        sa.Index("ix_commerce_products_channel", "account_id", "marketplace_account_id", "id"),
        sa.Index("ix_commerce_products_marketplace_id", "account_id", "marketplace_id"),
        sa.Index("ix_commerce_products_created", "account_id", "created_at"),
        sa.Index("ix_commerce_products_updated", "account_id", "updated_at"),
        sa.Index("ix_commerce_products_tags", "account_id", "tags_key"),
        _live("commerce_products", "marketplace_account_id", "sku", name="uq_commerce_products_channel_sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    marketplace_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commerce_marketplace_accounts.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(sa.String(100))
    alt_sku: Mapped[str | None] = mapped_column(sa.String(100))
    asin: Mapped[str | None] = mapped_column(sa.String(10))
    fnsku: Mapped[str | None] = mapped_column(sa.String(20))
    upc: Mapped[str | None] = mapped_column(sa.String(14))  # as the seller wrote it (normalised digits)
    upc_key: Mapped[str | None] = mapped_column(sa.String(14))  # its GTIN-14: every spelling matches
    title: Mapped[str | None] = mapped_column(sa.Text)
    quantity_listed: Mapped[int] = mapped_column(default=0)
    awaiting_pick: Mapped[int] = mapped_column(default=0)
    awaiting_paid: Mapped[int] = mapped_column(default=0)
    marketplace_fee: Mapped[int | None] = mapped_column(Cents)
    marketplace_status: Mapped[str] = mapped_column(sa.String(20), default="inactive")
    marketplace_id: Mapped[str | None] = mapped_column(sa.String(40))  # the channel's item id
    item_condition: Mapped[str | None] = mapped_column(sa.String(20))
    ebay_item_condition_id: Mapped[int | None] = mapped_column()
    description: Mapped[str | None] = mapped_column(sa.Text)
    item_remarks: Mapped[str | None] = mapped_column(sa.Text)
    brand: Mapped[str | None] = mapped_column(sa.String(200))
    tags: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON list as given
    tags_key: Mapped[str] = mapped_column(sa.Text, default="")  # the set, sorted, \x1f-joined: `tags_array[]`
    attributes: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: the reference's other fields
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)


class ProductTag(Base):
    """One tag of a product, for the `tag` filter."""

    __tablename__ = "commerce_product_tags"
    __table_args__ = (sa.PrimaryKeyConstraint("account_id", "tag", "product_id"),
                      sa.Index("ix_commerce_product_tags_product", "product_id"))

    account_id: Mapped[int] = mapped_column(_account())
    tag: Mapped[str] = mapped_column(sa.String(200))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="CASCADE"))


class Variant(TimestampMixin, _Options, Base):
    __tablename__ = "commerce_variants"
    __table_args__ = (sa.Index("ix_commerce_variants_product", "product_id", "position"),
                      sa.Index("ix_commerce_variants_sku", "account_id", "sku"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="CASCADE"))
    awaiting_pick: Mapped[int] = mapped_column(default=0)
    awaiting_paid: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class ProductImage(TimestampMixin, Base):
    """An image of a product: either an outside URL kept as given (`original_url`), or an upload
    whose files live in the blob store (`kit.blobs`) under the `*_key` columns."""

    __tablename__ = "commerce_product_images"
    __table_args__ = (sa.Index("ix_commerce_product_images_product", "product_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_variants.id", ondelete="CASCADE"))
    group_name: Mapped[str] = mapped_column(sa.String(20), default="primary")  # primary | variant
    position: Mapped[int | None] = mapped_column()
    original_url: Mapped[str | None] = mapped_column(sa.Text)
    original_key: Mapped[str | None] = mapped_column(sa.String(300))
    small_key: Mapped[str | None] = mapped_column(sa.String(300))
    medium_key: Mapped[str | None] = mapped_column(sa.String(300))
    large_key: Mapped[str | None] = mapped_column(sa.String(300))
    content_type: Mapped[str | None] = mapped_column(sa.String(40))
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    size: Mapped[int | None] = mapped_column(sa.BigInteger)


class InventoryLocation(TimestampMixin, Base):
    """Stock of a product (or of one of its variants) at one place. Sales take from the lowest
    `priority` first; a `delete_if_empty` location goes when it reaches zero."""

    __tablename__ = "commerce_inventory_locations"
    __table_args__ = (sa.Index("ix_commerce_inventory_locations_product", "product_id", "priority"),
                      sa.Index("ix_commerce_inventory_locations_variant", "variant_id", "priority"),
                      sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
                      sa.CheckConstraint("awaiting_pick >= 0", name="awaiting_pick_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_variants.id", ondelete="CASCADE"))
    location: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(default=0)  # quantity_available on the wire
    awaiting_pick: Mapped[int] = mapped_column(default=0)
    priority: Mapped[int] = mapped_column(default=1)
    delete_if_empty: Mapped[bool | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column()


class Order(TimestampMixin, Base):
    """An order from a channel (or `POST /api/orders`): one per order number and channel account."""

    __tablename__ = "commerce_orders"
    __table_args__ = (
        sa.UniqueConstraint("marketplace_account_id", "order_number", name="uq_commerce_orders_channel_number"),
        sa.Index("ix_commerce_orders_account", "account_id", "id"),
        sa.Index("ix_commerce_orders_number", "account_id", "order_number"),
        sa.Index("ix_commerce_orders_status", "account_id", "status"),
        sa.Index("ix_commerce_orders_purchased", "account_id", "purchased_at"),
        sa.Index("ix_commerce_orders_updated", "account_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    marketplace_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commerce_marketplace_accounts.id", ondelete="CASCADE"))
    order_number: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(30))  # order_status on the wire
    buyer_username: Mapped[str | None] = mapped_column(sa.String(200))
    buyer_name: Mapped[str | None] = mapped_column(sa.String(200))
    buyer_email: Mapped[str | None] = mapped_column(sa.String(200))
    purchased_at: Mapped[datetime | None] = mapped_column()
    ship_by_date: Mapped[datetime | None] = mapped_column()
    delivery_min_date: Mapped[datetime | None] = mapped_column()
    delivery_max_date: Mapped[datetime | None] = mapped_column()
    currency_code: Mapped[str] = mapped_column(sa.String(3), default="USD")
    is_prime: Mapped[bool] = mapped_column(default=False)
    paid: Mapped[bool] = mapped_column(default=True)
    on_hold: Mapped[bool] = mapped_column(default=False)
    fulfilled_by: Mapped[str | None] = mapped_column(sa.String(20))
    total_amount: Mapped[int | None] = mapped_column(Cents)
    total_shipping: Mapped[int | None] = mapped_column(Cents)
    total_tax: Mapped[int | None] = mapped_column(Cents)
    amount_paid: Mapped[int | None] = mapped_column(Cents)
    ship_to: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON address
    buyer_notes: Mapped[str | None] = mapped_column(sa.Text)
    tracking_number: Mapped[str | None] = mapped_column(sa.String(100))
    carrier_code: Mapped[str | None] = mapped_column(sa.String(40))
    shipped_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(20), default="api")  # api | ebay | amazon
    attributes: Mapped[str] = mapped_column(sa.Text, default="{}")
    # when the channel last changed it (Amazon LastUpdateDate, eBay lastModifiedDate): a pull that
    # sees the same time again changes nothing
    channel_updated_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class OrderItem(Base):
    __tablename__ = "commerce_order_items"
    __table_args__ = (sa.Index("ix_commerce_order_items_order", "order_id"),
                      sa.Index("ix_commerce_order_items_product", "product_id"),
                      sa.CheckConstraint("quantity > 0", name="quantity_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_orders.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(sa.String(100))  # the channel's order item id
    sku: Mapped[str] = mapped_column(sa.String(100))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="SET NULL"))
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_variants.id", ondelete="SET NULL"))
    title: Mapped[str | None] = mapped_column(sa.Text)
    quantity: Mapped[int] = mapped_column()
    taken: Mapped[int] = mapped_column(default=0)  # units taken from locations (awaiting pick)
    shipped: Mapped[int] = mapped_column(default=0)
    unit_price: Mapped[int | None] = mapped_column(Cents)
    tax_amount: Mapped[int | None] = mapped_column(Cents)
    shipping_amount: Mapped[int | None] = mapped_column(Cents)
    marketplace_fees: Mapped[int | None] = mapped_column(Cents)
    warehouse_location: Mapped[str | None] = mapped_column(sa.String(200))


class InventoryMovement(Base):
    """The ledger of stock changes: what an order item took from which location (`sale`), gave
    back (`cancel`), shipped (`ship`), and manual `adjust`/`move`s. Cancelling reads it to give
    back exactly what was taken; an order already in it is not taken twice."""

    __tablename__ = "commerce_inventory_movements"
    __table_args__ = (sa.Index("ix_commerce_inventory_movements_item", "order_item_id"),
                      sa.Index("ix_commerce_inventory_movements_product", "product_id", "id"))

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_variants.id", ondelete="CASCADE"))
    location_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("commerce_inventory_locations.id", ondelete="SET NULL"))
    location: Mapped[str | None] = mapped_column(sa.String(200))  # its name then (the row may be gone)
    # the location's priority and flag then, so a cancellation can make a removed location again
    priority: Mapped[int | None] = mapped_column()
    delete_if_empty: Mapped[bool | None] = mapped_column()
    order_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_order_items.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(10))  # sale | cancel | ship | adjust | move
    quantity: Mapped[int] = mapped_column()  # signed: negative takes from the location
    at: Mapped[datetime] = mapped_column()  # the event's time (the request's `timestamp`)


class Shipment(TimestampMixin, Base):
    """A shipment recorded for the channel when an order gets its tracking number."""

    __tablename__ = "commerce_shipments"
    __table_args__ = (sa.Index("ix_commerce_shipments_order", "order_id"),
                      sa.Index("ix_commerce_shipments_pending", "channel_status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_orders.id", ondelete="CASCADE"))
    tracking_number: Mapped[str] = mapped_column(sa.String(100))
    carrier_code: Mapped[str | None] = mapped_column(sa.String(40))
    shipped_at: Mapped[datetime] = mapped_column()
    # recorded (no live channel: kept in sellerkit) | pending (to confirm to the channel) | sent |
    # failed (the channel refused it; channel_message says why)
    channel_status: Mapped[str] = mapped_column(sa.String(20), default="recorded")
    channel_message: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()


class OrderPull(TimestampMixin, Base):
    """Where a channel account's order pull stands: `cursor` (every change up to it is in), and
    while a pull runs, its window's end and the page token of the next page (a pull that dies
    resumes there; each page is written in the same transaction that moves the token on)."""

    __tablename__ = "commerce_order_pulls"
    __table_args__ = (sa.UniqueConstraint("marketplace_account_id", name="uq_commerce_order_pulls_channel"),
                      sa.Index("ix_commerce_order_pulls_account", "account_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    marketplace_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commerce_marketplace_accounts.id", ondelete="CASCADE"))
    cursor: Mapped[datetime | None] = mapped_column()  # LastUpdatedAfter of the next pull
    window_end: Mapped[datetime | None] = mapped_column()  # LastUpdatedBefore of the pull under way
    page_token: Mapped[str | None] = mapped_column(sa.Text)  # its next page (NextToken, eBay offset)
    lease_until: Mapped[datetime | None] = mapped_column()  # a pull runs until then (or died)
    pulled_at: Mapped[datetime | None] = mapped_column()
    added: Mapped[int] = mapped_column(default=0)  # by the last pull
    updated: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None] = mapped_column()


class ChannelListing(TimestampMixin, Base):
    """A product's listing on a live channel (Amazon Listings Items): what was last sent and
    what the channel said, and the work still to do (`pending`: put, patch or delete, due at
    `due_at`). Pending work is a row, not a queued job, so a restart loses none: the sweep
    sends whatever is due. A patch is debounced: changes within the window after the first one
    (`changed_at`) go out as one patch of the latest price and quantity."""

    __tablename__ = "commerce_channel_listings"
    __table_args__ = (sa.UniqueConstraint("product_id", name="uq_commerce_channel_listings_product"),
                      sa.Index("ix_commerce_channel_listings_due", "pending", "due_at"),
                      sa.Index("ix_commerce_channel_listings_manifest", "manifest_id", "pending"))

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(_account())
    marketplace_account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commerce_marketplace_accounts.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("commerce_products.id", ondelete="CASCADE"))
    manifest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commerce_manifests.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(sa.String(100))
    product_type: Mapped[str | None] = mapped_column(sa.String(100))
    fba: Mapped[bool] = mapped_column(default=False)
    pending: Mapped[str | None] = mapped_column(sa.String(10))  # put | patch | delete | None (nothing to send)
    due_at: Mapped[datetime | None] = mapped_column()
    changed_at: Mapped[datetime | None] = mapped_column()  # first change of the pending patch
    sent_price: Mapped[int | None] = mapped_column(Cents)  # what the channel has (minor units)
    sent_quantity: Mapped[int | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    submission_status: Mapped[str | None] = mapped_column(sa.String(20))  # ACCEPTED | INVALID | NOT_SENT ...
    list_status: Mapped[str | None] = mapped_column(sa.String(30))  # the verdict of its last answer
    submission_id: Mapped[str | None] = mapped_column(sa.String(100))
    issues: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON: the channel's last issues
    channel_status: Mapped[str | None] = mapped_column(sa.String(100))  # getListingsItem summary status
    checked_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime | None] = mapped_column()
