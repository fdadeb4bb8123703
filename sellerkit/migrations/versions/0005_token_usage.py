"""token usage: persisted daily token counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('token_usage',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('used', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_token_usage_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'day', name=op.f('pk_token_usage'))
    )


def downgrade() -> None:
    op.drop_table('token_usage')
