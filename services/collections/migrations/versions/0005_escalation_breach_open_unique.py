"""escalation breaches: at most one open breach per rule, customer and currency (one event per breach)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 08:06:42
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('uq_escalation_breaches_open', 'escalation_breaches', ['rule_id', 'customer_id', 'currency'],
                    unique=True, postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index('uq_escalation_breaches_open', table_name='escalation_breaches',
                  postgresql_where=sa.text("status = 'open'"))
