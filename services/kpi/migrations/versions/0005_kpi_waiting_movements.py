"""kpi: partial index on the AR movements still waiting for their invoice

The roll-up looks up, for every invoice of a batch, the movements that arrived before it. Without this index
that lookup read the whole movements table whenever the planner's row estimate was stale (a fresh or rebuilt
read model), so each batch cost more as the table grew. Only waiting movements are in it: it stays tiny.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_receivable_movements_waiting', 'receivable_movements', ['invoice_id'], unique=False,
                    postgresql_where=sa.text('NOT resolved'))


def downgrade() -> None:
    op.drop_index('ix_receivable_movements_waiting', table_name='receivable_movements')
