"""commerce: listings on live channels (Amazon Listings Items) and their pending work

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 20:30:00
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commerce_channel_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('marketplace_account_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('product_type', sa.String(length=100), nullable=True),
    sa.Column('fba', sa.Boolean(), nullable=False),
    sa.Column('pending', sa.String(length=10), nullable=True),
    sa.Column('due_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('changed_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_price', sa.BigInteger(), nullable=True),
    sa.Column('sent_quantity', sa.Integer(), nullable=True),
    sa.Column('sent_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submission_status', sa.String(length=20), nullable=True),
    sa.Column('list_status', sa.String(length=30), nullable=True),
    sa.Column('submission_id', sa.String(length=100), nullable=True),
    sa.Column('issues', sa.Text(), nullable=False),
    sa.Column('channel_status', sa.String(length=100), nullable=True),
    sa.Column('checked_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['manifest_id'], ['commerce_manifests.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['marketplace_account_id'], ['commerce_marketplace_accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['commerce_products.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('product_id', name='uq_commerce_channel_listings_product')
    )
    with op.batch_alter_table('commerce_channel_listings', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_channel_listings_due', ['pending', 'due_at'], unique=False)
        batch_op.create_index('ix_commerce_channel_listings_manifest', ['manifest_id', 'pending'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('commerce_channel_listings', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_channel_listings_manifest')
        batch_op.drop_index('ix_commerce_channel_listings_due')
    op.drop_table('commerce_channel_listings')
