"""escalation: account teams (who owns a customer's account, from collections' account.updated) for L1 routing

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_teams',
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('owning_team', sa.String(length=64), nullable=True),
    sa.Column('collector', sa.String(length=128), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_account_teams'))
    )


def downgrade() -> None:
    op.drop_table('account_teams')
