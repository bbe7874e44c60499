"""payment risk: the late-payment models trained from the settled invoices (coefficients, smoothing figures,
metrics); a merge of the collections heads

Revision ID: 0012_risk
Revises: 0011_auditchain, 0011_cashapp, 0011_dlq, 0011_sod
Create Date: 2026-12-02 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0012_risk'
down_revision: str | Sequence[str] | None = ('0011_auditchain', '0011_cashapp', '0011_dlq', '0011_sod')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'risk_models',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('trained_by', sa.String(64), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('trained_on', sa.Integer(), nullable=False),
        sa.Column('features', postgresql.JSONB(), nullable=False),
        sa.Column('coefficients', postgresql.JSONB(), nullable=False),
        sa.Column('base_late_share', sa.Float(), nullable=False),
        sa.Column('base_days_late', sa.Float(), nullable=False),
        sa.Column('base_days_when_late', sa.Float(), nullable=False),
        sa.Column('metrics', postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_risk_models_trained_at', 'risk_models', ['trained_at'])


def downgrade() -> None:
    op.drop_index('ix_risk_models_trained_at', table_name='risk_models')
    op.drop_table('risk_models')
