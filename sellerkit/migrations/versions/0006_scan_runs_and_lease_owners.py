"""scan runs and lease owners: a rerun writes its own results version; a lease names its process

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 11:50:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sellerkit.kit.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('results_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('results_finished_at', sellerkit.kit.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('runner_host', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('runner_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('runner_started', sa.BigInteger(), nullable=True))
    # Before 0006 a rerun wrote the version it showed and a re-pricing wrote the next one.
    scans = sa.table('scans', sa.column('status', sa.String), sa.column('results_version', sa.Integer),
                     sa.column('recalculate_from', sa.Integer), sa.column('run_version', sa.Integer),
                     sa.column('results_status', sa.String), sa.column('finished_at'),
                     sa.column('results_finished_at'))
    repricing = scans.c.recalculate_from.is_not(None)
    op.execute(scans.update().values(
        run_version=scans.c.results_version + sa.case((repricing, 1), else_=0),
        results_status=sa.case((scans.c.status != 'InProgress', scans.c.status), (repricing, 'Success'),
                               else_=None),
        results_finished_at=sa.case((scans.c.status != 'InProgress', scans.c.finished_at), else_=None),
    ))


def downgrade() -> None:
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_column('runner_started')
        batch_op.drop_column('runner_pid')
        batch_op.drop_column('runner_host')
        batch_op.drop_column('results_finished_at')
        batch_op.drop_column('results_status')
        batch_op.drop_column('run_version')
