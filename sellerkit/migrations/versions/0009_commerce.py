"""commerce (SellerChamp dialect): channel accounts, ship-from addresses, suppliers, templates, manifests,
product and variant listings, products, variants, tags, images, inventory locations and movements, orders,
order items, shipments; and the installation's random key of the wire-id permutation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 16:57:52.153136
"""
import os

from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commerce_id_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_id_key'))
    )
    # The installation's key of the wire-id permutation: random, made once, shared by every replica.
    op.bulk_insert(sa.table('commerce_id_key', sa.column('id', sa.Integer), sa.column('key', sa.LargeBinary)),
                   [{'id': 1, 'key': os.urandom(32)}])
    op.create_table('commerce_marketplace_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('account_type', sa.String(length=30), nullable=False),
    sa.Column('marketplace', sa.String(length=20), nullable=False),
    sa.Column('marketplace_id', sa.String(length=2), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_marketplace_accounts_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_marketplace_accounts'))
    )
    with op.batch_alter_table('commerce_marketplace_accounts', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_marketplace_accounts_account', ['account_id', 'id'], unique=False)

    op.create_table('commerce_ship_from_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street1', sa.String(length=200), nullable=True),
    sa.Column('street2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_ship_from_addresses_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_ship_from_addresses'))
    )
    with op.batch_alter_table('commerce_ship_from_addresses', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_ship_from_addresses_account', ['account_id', 'id'], unique=False)

    op.create_table('commerce_suppliers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street1', sa.String(length=200), nullable=True),
    sa.Column('street2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('state', sa.String(length=100), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_suppliers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_suppliers'))
    )
    with op.batch_alter_table('commerce_suppliers', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_suppliers_account', ['account_id', 'id'], unique=False)

    op.create_table('commerce_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('template_type', sa.String(length=30), nullable=False),
    sa.Column('attributes', sa.Text(), nullable=False),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_templates_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_templates'))
    )
    with op.batch_alter_table('commerce_templates', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_templates_account', ['account_id', 'id'], unique=False)

    op.create_table('commerce_manifests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('marketplace_account_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('ship_from_address_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('last_valid_status', sa.String(length=20), nullable=False),
    sa.Column('status_message', sa.Text(), nullable=True),
    sa.Column('folder', sa.String(length=20), nullable=False),
    sa.Column('seller_fulfilled', sa.Boolean(), nullable=False),
    sa.Column('auto_submit', sa.Boolean(), nullable=False),
    sa.Column('item_present_option', sa.String(length=20), nullable=False),
    sa.Column('sku_prefix', sa.String(length=40), nullable=False),
    sa.Column('submitting_since', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attributes', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_manifests_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marketplace_account_id'], ['commerce_marketplace_accounts.id'], name=op.f('fk_commerce_manifests_marketplace_account_id_commerce_marketplace_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ship_from_address_id'], ['commerce_ship_from_addresses.id'], name=op.f('fk_commerce_manifests_ship_from_address_id_commerce_ship_from_addresses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['commerce_suppliers.id'], name=op.f('fk_commerce_manifests_supplier_id_commerce_suppliers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['commerce_templates.id'], name=op.f('fk_commerce_manifests_template_id_commerce_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_manifests'))
    )
    with op.batch_alter_table('commerce_manifests', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_manifests_account', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_commerce_manifests_channel', ['marketplace_account_id', 'folder'], unique=False)

    op.create_table('commerce_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('marketplace_account_id', sa.Integer(), nullable=False),
    sa.Column('order_number', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('buyer_username', sa.String(length=200), nullable=True),
    sa.Column('buyer_name', sa.String(length=200), nullable=True),
    sa.Column('buyer_email', sa.String(length=200), nullable=True),
    sa.Column('purchased_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ship_by_date', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivery_min_date', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivery_max_date', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('currency_code', sa.String(length=3), nullable=False),
    sa.Column('is_prime', sa.Boolean(), nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=False),
    sa.Column('on_hold', sa.Boolean(), nullable=False),
    sa.Column('fulfilled_by', sa.String(length=20), nullable=True),
    sa.Column('total_amount', sa.BigInteger(), nullable=True),
    sa.Column('total_shipping', sa.BigInteger(), nullable=True),
    sa.Column('total_tax', sa.BigInteger(), nullable=True),
    sa.Column('amount_paid', sa.BigInteger(), nullable=True),
    sa.Column('ship_to', sa.Text(), nullable=False),
    sa.Column('buyer_notes', sa.Text(), nullable=True),
    sa.Column('tracking_number', sa.String(length=100), nullable=True),
    sa.Column('carrier_code', sa.String(length=40), nullable=True),
    sa.Column('shipped_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('attributes', sa.Text(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_orders_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marketplace_account_id'], ['commerce_marketplace_accounts.id'], name=op.f('fk_commerce_orders_marketplace_account_id_commerce_marketplace_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_orders')),
    sa.UniqueConstraint('marketplace_account_id', 'order_number', name='uq_commerce_orders_channel_number')
    )
    with op.batch_alter_table('commerce_orders', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_orders_account', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_commerce_orders_number', ['account_id', 'order_number'], unique=False)
        batch_op.create_index('ix_commerce_orders_purchased', ['account_id', 'purchased_at'], unique=False)
        batch_op.create_index('ix_commerce_orders_status', ['account_id', 'status'], unique=False)
        batch_op.create_index('ix_commerce_orders_updated', ['account_id', 'updated_at'], unique=False)

    op.create_table('commerce_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('marketplace_account_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('alt_sku', sa.String(length=100), nullable=True),
    sa.Column('asin', sa.String(length=10), nullable=True),
    sa.Column('fnsku', sa.String(length=20), nullable=True),
    sa.Column('upc', sa.String(length=14), nullable=True),
    sa.Column('upc_key', sa.String(length=14), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('quantity_listed', sa.Integer(), nullable=False),
    sa.Column('awaiting_pick', sa.Integer(), nullable=False),
    sa.Column('awaiting_paid', sa.Integer(), nullable=False),
    sa.Column('marketplace_fee', sa.BigInteger(), nullable=True),
    sa.Column('marketplace_status', sa.String(length=20), nullable=False),
    sa.Column('marketplace_id', sa.String(length=40), nullable=True),
    sa.Column('item_condition', sa.String(length=20), nullable=True),
    sa.Column('ebay_item_condition_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('item_remarks', sa.Text(), nullable=True),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.Text(), nullable=False),
    sa.Column('tags_key', sa.Text(), nullable=False),
    sa.Column('attributes', sa.Text(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retail_price', sa.BigInteger(), nullable=True),
    sa.Column('msrp', sa.BigInteger(), nullable=True),
    sa.Column('min_price', sa.BigInteger(), nullable=True),
    sa.Column('max_price', sa.BigInteger(), nullable=True),
    sa.Column('map_price', sa.BigInteger(), nullable=True),
    sa.Column('cost_price', sa.BigInteger(), nullable=True),
    sa.Column('handling_cost', sa.BigInteger(), nullable=True),
    sa.Column('shipping_cost', sa.BigInteger(), nullable=True),
    sa.Column('misc_cost', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_products_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marketplace_account_id'], ['commerce_marketplace_accounts.id'], name=op.f('fk_commerce_products_marketplace_account_id_commerce_marketplace_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_products'))
    )
    with op.batch_alter_table('commerce_products', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_products_account', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_commerce_products_asin', ['account_id', 'asin'], unique=False)
        batch_op.create_index('ix_commerce_products_channel', ['account_id', 'marketplace_account_id', 'id'], unique=False)
        batch_op.create_index('ix_commerce_products_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_commerce_products_marketplace_id', ['account_id', 'marketplace_id'], unique=False)
        batch_op.create_index('ix_commerce_products_sku', ['account_id', 'sku'], unique=False)
        batch_op.create_index('ix_commerce_products_tags', ['account_id', 'tags_key'], unique=False)
        batch_op.create_index('ix_commerce_products_upc', ['account_id', 'upc_key'], unique=False)
        batch_op.create_index('ix_commerce_products_updated', ['account_id', 'updated_at'], unique=False)
        batch_op.create_index('uq_commerce_products_channel_sku', ['marketplace_account_id', 'sku'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))

    op.create_table('commerce_product_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=False),
    sa.Column('marketplace_account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('asin', sa.String(length=10), nullable=True),
    sa.Column('upc', sa.String(length=14), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('quantity_listed', sa.Integer(), nullable=False),
    sa.Column('item_condition', sa.String(length=20), nullable=True),
    sa.Column('item_location', sa.String(length=200), nullable=True),
    sa.Column('list_status', sa.String(length=30), nullable=False),
    sa.Column('list_status_error_detail', sa.Text(), nullable=True),
    sa.Column('list_status_error_detail_2', sa.Text(), nullable=True),
    sa.Column('image_urls', sa.Text(), nullable=False),
    sa.Column('attributes', sa.Text(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retail_price', sa.BigInteger(), nullable=True),
    sa.Column('msrp', sa.BigInteger(), nullable=True),
    sa.Column('min_price', sa.BigInteger(), nullable=True),
    sa.Column('max_price', sa.BigInteger(), nullable=True),
    sa.Column('map_price', sa.BigInteger(), nullable=True),
    sa.Column('cost_price', sa.BigInteger(), nullable=True),
    sa.Column('handling_cost', sa.BigInteger(), nullable=True),
    sa.Column('shipping_cost', sa.BigInteger(), nullable=True),
    sa.Column('misc_cost', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_product_listings_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['manifest_id'], ['commerce_manifests.id'], name=op.f('fk_commerce_product_listings_manifest_id_commerce_manifests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marketplace_account_id'], ['commerce_marketplace_accounts.id'], name=op.f('fk_commerce_product_listings_marketplace_account_id_commerce_marketplace_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], name=op.f('fk_commerce_product_listings_product_id_commerce_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_product_listings'))
    )
    with op.batch_alter_table('commerce_product_listings', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_product_listings_manifest', ['manifest_id', 'id'], unique=False)
        batch_op.create_index('ix_commerce_product_listings_sku', ['manifest_id', 'sku'], unique=False)

    op.create_table('commerce_product_tags',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=200), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_product_tags_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], name=op.f('fk_commerce_product_tags_product_id_commerce_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'tag', 'product_id', name=op.f('pk_commerce_product_tags'))
    )
    with op.batch_alter_table('commerce_product_tags', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_product_tags_product', ['product_id'], unique=False)

    op.create_table('commerce_shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('carrier_code', sa.String(length=40), nullable=True),
    sa.Column('shipped_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel_status', sa.String(length=20), nullable=False),
    sa.Column('channel_message', sa.Text(), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_shipments_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['commerce_orders.id'], name=op.f('fk_commerce_shipments_order_id_commerce_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_shipments'))
    )
    with op.batch_alter_table('commerce_shipments', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_shipments_order', ['order_id'], unique=False)

    op.create_table('commerce_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('awaiting_pick', sa.Integer(), nullable=False),
    sa.Column('awaiting_paid', sa.Integer(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('option1_name', sa.String(length=100), nullable=True),
    sa.Column('option1_value', sa.String(length=200), nullable=True),
    sa.Column('option2_name', sa.String(length=100), nullable=True),
    sa.Column('option2_value', sa.String(length=200), nullable=True),
    sa.Column('option3_name', sa.String(length=100), nullable=True),
    sa.Column('option3_value', sa.String(length=200), nullable=True),
    sa.Column('option4_name', sa.String(length=100), nullable=True),
    sa.Column('option4_value', sa.String(length=200), nullable=True),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('alt_sku', sa.String(length=100), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('upc', sa.String(length=14), nullable=True),
    sa.Column('asin', sa.String(length=10), nullable=True),
    sa.Column('item_location', sa.String(length=200), nullable=True),
    sa.Column('retail_price', sa.BigInteger(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=True),
    sa.Column('image_urls', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_variants_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], name=op.f('fk_commerce_variants_product_id_commerce_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_variants'))
    )
    with op.batch_alter_table('commerce_variants', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_variants_product', ['product_id', 'position'], unique=False)
        batch_op.create_index('ix_commerce_variants_sku', ['account_id', 'sku'], unique=False)

    op.create_table('commerce_inventory_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('awaiting_pick', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('delete_if_empty', sa.Boolean(), nullable=True),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('awaiting_pick >= 0', name=op.f('ck_commerce_inventory_locations_awaiting_pick_not_negative')),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_commerce_inventory_locations_quantity_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_inventory_locations_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], name=op.f('fk_commerce_inventory_locations_product_id_commerce_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['commerce_variants.id'], name=op.f('fk_commerce_inventory_locations_variant_id_commerce_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_inventory_locations'))
    )
    with op.batch_alter_table('commerce_inventory_locations', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_inventory_locations_product', ['product_id', 'priority'], unique=False)
        batch_op.create_index('ix_commerce_inventory_locations_variant', ['variant_id', 'priority'], unique=False)

    op.create_table('commerce_order_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=True),
    sa.Column('tax_amount', sa.BigInteger(), nullable=True),
    sa.Column('shipping_amount', sa.BigInteger(), nullable=True),
    sa.Column('marketplace_fees', sa.BigInteger(), nullable=True),
    sa.Column('warehouse_location', sa.String(length=200), nullable=True),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_commerce_order_items_quantity_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_order_items_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['commerce_orders.id'], name=op.f('fk_commerce_order_items_order_id_commerce_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], name=op.f('fk_commerce_order_items_product_id_commerce_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['variant_id'], ['commerce_variants.id'], name=op.f('fk_commerce_order_items_variant_id_commerce_variants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_order_items'))
    )
    with op.batch_alter_table('commerce_order_items', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_order_items_order', ['order_id'], unique=False)
        batch_op.create_index('ix_commerce_order_items_product', ['product_id'], unique=False)

    op.create_table('commerce_product_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('group_name', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('original_url', sa.Text(), nullable=True),
    sa.Column('original_key', sa.String(length=300), nullable=True),
    sa.Column('small_key', sa.String(length=300), nullable=True),
    sa.Column('medium_key', sa.String(length=300), nullable=True),
    sa.Column('large_key', sa.String(length=300), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_product_images_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], name=op.f('fk_commerce_product_images_product_id_commerce_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['commerce_variants.id'], name=op.f('fk_commerce_product_images_variant_id_commerce_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_product_images'))
    )
    with op.batch_alter_table('commerce_product_images', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_product_images_product', ['product_id', 'position'], unique=False)

    op.create_table('commerce_variant_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_listing_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('option1_name', sa.String(length=100), nullable=True),
    sa.Column('option1_value', sa.String(length=200), nullable=True),
    sa.Column('option2_name', sa.String(length=100), nullable=True),
    sa.Column('option2_value', sa.String(length=200), nullable=True),
    sa.Column('option3_name', sa.String(length=100), nullable=True),
    sa.Column('option3_value', sa.String(length=200), nullable=True),
    sa.Column('option4_name', sa.String(length=100), nullable=True),
    sa.Column('option4_value', sa.String(length=200), nullable=True),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('alt_sku', sa.String(length=100), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('upc', sa.String(length=14), nullable=True),
    sa.Column('asin', sa.String(length=10), nullable=True),
    sa.Column('item_location', sa.String(length=200), nullable=True),
    sa.Column('retail_price', sa.BigInteger(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=True),
    sa.Column('image_urls', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_variant_listings_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_listing_id'], ['commerce_product_listings.id'], name=op.f('fk_commerce_variant_listings_product_listing_id_commerce_product_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['commerce_variants.id'], name=op.f('fk_commerce_variant_listings_variant_id_commerce_variants'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_variant_listings'))
    )
    with op.batch_alter_table('commerce_variant_listings', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_variant_listings_listing', ['product_listing_id', 'position'], unique=False)

    op.create_table('commerce_inventory_movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('order_item_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_inventory_movements_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['commerce_inventory_locations.id'], name=op.f('fk_commerce_inventory_movements_location_id_commerce_inventory_locations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_item_id'], ['commerce_order_items.id'], name=op.f('fk_commerce_inventory_movements_order_item_id_commerce_order_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], name=op.f('fk_commerce_inventory_movements_product_id_commerce_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['commerce_variants.id'], name=op.f('fk_commerce_inventory_movements_variant_id_commerce_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_inventory_movements'))
    )
    with op.batch_alter_table('commerce_inventory_movements', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_inventory_movements_item', ['order_item_id'], unique=False)
        batch_op.create_index('ix_commerce_inventory_movements_product', ['product_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('commerce_inventory_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_inventory_movements_product')
        batch_op.drop_index('ix_commerce_inventory_movements_item')

    op.drop_table('commerce_inventory_movements')
    with op.batch_alter_table('commerce_variant_listings', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_variant_listings_listing')

    op.drop_table('commerce_variant_listings')
    with op.batch_alter_table('commerce_product_images', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_product_images_product')

    op.drop_table('commerce_product_images')
    with op.batch_alter_table('commerce_order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_order_items_product')
        batch_op.drop_index('ix_commerce_order_items_order')

    op.drop_table('commerce_order_items')
    with op.batch_alter_table('commerce_inventory_locations', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_inventory_locations_variant')
        batch_op.drop_index('ix_commerce_inventory_locations_product')

    op.drop_table('commerce_inventory_locations')
    with op.batch_alter_table('commerce_variants', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_variants_sku')
        batch_op.drop_index('ix_commerce_variants_product')

    op.drop_table('commerce_variants')
    with op.batch_alter_table('commerce_shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_shipments_order')

    op.drop_table('commerce_shipments')
    with op.batch_alter_table('commerce_product_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_product_tags_product')

    op.drop_table('commerce_product_tags')
    with op.batch_alter_table('commerce_product_listings', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_product_listings_sku')
        batch_op.drop_index('ix_commerce_product_listings_manifest')

    op.drop_table('commerce_product_listings')
    with op.batch_alter_table('commerce_products', schema=None) as batch_op:
        batch_op.drop_index('uq_commerce_products_channel_sku', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_commerce_products_updated')
        batch_op.drop_index('ix_commerce_products_upc')
        batch_op.drop_index('ix_commerce_products_tags')
        batch_op.drop_index('ix_commerce_products_sku')
        batch_op.drop_index('ix_commerce_products_marketplace_id')
        batch_op.drop_index('ix_commerce_products_created')
        batch_op.drop_index('ix_commerce_products_channel')
        batch_op.drop_index('ix_commerce_products_asin')
        batch_op.drop_index('ix_commerce_products_account')

    op.drop_table('commerce_products')
    with op.batch_alter_table('commerce_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_orders_updated')
        batch_op.drop_index('ix_commerce_orders_status')
        batch_op.drop_index('ix_commerce_orders_purchased')
        batch_op.drop_index('ix_commerce_orders_number')
        batch_op.drop_index('ix_commerce_orders_account')

    op.drop_table('commerce_orders')
    with op.batch_alter_table('commerce_manifests', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_manifests_channel')
        batch_op.drop_index('ix_commerce_manifests_account')

    op.drop_table('commerce_manifests')
    with op.batch_alter_table('commerce_templates', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_templates_account')

    op.drop_table('commerce_templates')
    with op.batch_alter_table('commerce_suppliers', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_suppliers_account')

    op.drop_table('commerce_suppliers')
    with op.batch_alter_table('commerce_ship_from_addresses', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_ship_from_addresses_account')

    op.drop_table('commerce_ship_from_addresses')
    with op.batch_alter_table('commerce_marketplace_accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_marketplace_accounts_account')

    op.drop_table('commerce_marketplace_accounts')
    op.drop_table('commerce_id_key')
