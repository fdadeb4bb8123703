"""export lease owner: a background export holds a lease naming its process, as a scan does

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An export still running keeps no lease: the first sweep after the upgrade resumes it.
    with op.batch_alter_table('scan_exports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('runner_host', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('runner_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('runner_started', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sellerkit.kit.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scan_exports', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('runner_started')
        batch_op.drop_column('runner_pid')
        batch_op.drop_column('runner_host')
        batch_op.drop_column('runner')
