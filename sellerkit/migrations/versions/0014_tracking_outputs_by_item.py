"""tracking: outputs by item, for the dashboard's chart of an item over its runs

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 18:40:00
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tracking_outputs', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_outputs_item', ['item_id', 'run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tracking_outputs', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_outputs_item')
