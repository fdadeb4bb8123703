"""users of an account (every API key belongs to one; existing keys get their account's first
user), webhook deliveries, the location's priority and flag on inventory movements

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 17:40:00
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('user_type', sa.String(length=20), nullable=False),
    sa.Column('webhook_url', sa.Text(), nullable=True),
    sa.Column('push_notifications', sa.Text(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_users_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_keys_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_api_keys_user_id_users'), 'users', ['user_id'], ['id'], ondelete='SET NULL')

    # Keys made before users existed belong to one user per account, named as the account.
    op.execute("INSERT INTO users (account_id, name, role, user_type, push_notifications, created_at) "
               "SELECT id, name, 'super_user', 'client', '{}', created_at FROM accounts")
    op.execute("UPDATE api_keys SET user_id = (SELECT MIN(users.id) FROM users WHERE users.account_id = api_keys.account_id)")

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=50), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_webhook_deliveries_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_webhook_deliveries_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_account', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_pending', ['status', 'next_attempt_at'], unique=False)


    with op.batch_alter_table('commerce_inventory_movements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delete_if_empty', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('commerce_inventory_movements', schema=None) as batch_op:
        batch_op.drop_column('delete_if_empty')
        batch_op.drop_column('priority')
    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_keys_user_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_keys_user_id'))
        batch_op.drop_column('user_id')
    op.drop_table('users')
