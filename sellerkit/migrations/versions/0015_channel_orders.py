"""channel orders: pull cursors per channel account, shipment confirmations with retries, the
channel's last change of an order

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 20:30:00
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('commerce_order_pulls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('marketplace_account_id', sa.Integer(), nullable=False),
    sa.Column('cursor', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_end', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('page_token', sa.Text(), nullable=True),
    sa.Column('lease_until', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pulled_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_commerce_order_pulls_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marketplace_account_id'], ['commerce_marketplace_accounts.id'], name=op.f('fk_commerce_order_pulls_marketplace_account_id_commerce_marketplace_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commerce_order_pulls')),
    sa.UniqueConstraint('marketplace_account_id', name='uq_commerce_order_pulls_channel')
    )
    with op.batch_alter_table('commerce_order_pulls', schema=None) as batch_op:
        batch_op.create_index('ix_commerce_order_pulls_account', ['account_id'], unique=False)
    with op.batch_alter_table('commerce_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('commerce_shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_commerce_shipments_pending', ['channel_status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('commerce_shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_shipments_pending')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
    with op.batch_alter_table('commerce_orders', schema=None) as batch_op:
        batch_op.drop_column('channel_updated_at')
    with op.batch_alter_table('commerce_order_pulls', schema=None) as batch_op:
        batch_op.drop_index('ix_commerce_order_pulls_account')
    op.drop_table('commerce_order_pulls')
