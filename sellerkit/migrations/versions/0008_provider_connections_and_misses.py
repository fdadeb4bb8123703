"""provider connections (encrypted credentials per account), provider misses (codes no provider knows), scan enrichment state

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:07:54.473064
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provider_misses',
    sa.Column('marketplace', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=14), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('observed_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('marketplace', 'kind', 'code', name=op.f('pk_provider_misses'))
    )
    op.create_table('provider_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('seller_id', sa.String(length=40), nullable=True),
    sa.Column('marketplaces', sa.Text(), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_provider_connections_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_connections')),
    sa.UniqueConstraint('account_id', 'provider', name=op.f('uq_provider_connections_account_id'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrichment', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_column('enrichment')

    op.drop_table('provider_connections')
    op.drop_table('provider_misses')
