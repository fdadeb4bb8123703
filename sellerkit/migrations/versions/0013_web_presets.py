"""web dashboard: saved column mapping presets per supplier

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 18:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scan_mapping_presets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('mapping', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('updated_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_scan_mapping_presets_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_mapping_presets')),
    sa.UniqueConstraint('account_id', 'supplier', name=op.f('uq_scan_mapping_presets_account_id'))
    )


def downgrade() -> None:
    op.drop_table('scan_mapping_presets')
