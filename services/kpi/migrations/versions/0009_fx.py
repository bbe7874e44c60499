"""kpi: FX reference rates held as data (ECB import, hand-set rates) for the reporting currency

Revision ID: 0009_fx
Revises: 0008_auditchain
Create Date: 2026-12-03 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_fx'
down_revision: str | None = '0008_auditchain'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fx_rates',
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('rate_date', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=24, scale=10), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=128), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_fx_rates_rate_positive')),
    sa.PrimaryKeyConstraint('base', 'quote', 'rate_date', name=op.f('pk_fx_rates'))
    )


def downgrade() -> None:
    op.drop_table('fx_rates')
