"""kpi: time to resubmit in hours; the closed windows of KPI-level SLAs already judged

- ``kpi_daily_counts`` of metric ``resubmissions`` summed days; they now sum hours (a 15-minute resubmission
  read 0.00 days): the stored values are multiplied by 24.
- ``sla_level_checks``: one row per (definition, scope, window) a KPI-level SLA (DSO, CEI, auto-match…) was
  judged for once its window closed, so a rerun of the step judges nothing twice.

AR now comes only from ``receivable.changed`` (collections' ledger): after deploying, once collections has
republished its ledger entries, run ``o2c kpi rebuild`` once (docs/kpi.md, "Rebuild").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE kpi_daily_counts SET value = value * 24 WHERE metric = 'resubmissions'")
    op.create_table(
        'sla_level_checks',
        sa.Column('definition_id', sa.String(64), primary_key=True),
        sa.Column('scope_key', sa.String(96), primary_key=True),
        sa.Column('window_start', sa.DateTime(timezone=True), primary_key=True),
        sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actual', sa.Numeric(24, 6), nullable=True),
        sa.Column('met', sa.Boolean(), nullable=True),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('sla_level_checks')
    op.execute("UPDATE kpi_daily_counts SET value = value / 24 WHERE metric = 'resubmissions'")
