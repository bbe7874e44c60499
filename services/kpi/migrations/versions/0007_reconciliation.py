"""kpi: the cross-service reconciliation's runs and drifts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('recon_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invoices', sa.Integer(), nullable=False),
    sa.Column('drifting', sa.Integer(), nullable=False),
    sa.Column('confirmed', sa.Integer(), nullable=False),
    sa.Column('amount_by_currency', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('missing', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('requested_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_runs'))
    )
    op.create_index(op.f('ix_recon_runs_started_at'), 'recon_runs', ['started_at'], unique=False)
    op.create_table('recon_drifts',
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_number', sa.String(length=40), nullable=True),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('owning_team', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('figures', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('difference', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_recon_drifts'))
    )
    op.create_index('ix_recon_drifts_open', 'recon_drifts', ['owning_team', 'currency'], unique=False,
                    postgresql_where=sa.text('cleared_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_recon_drifts_open', table_name='recon_drifts', postgresql_where=sa.text('cleared_at IS NULL'))
    op.drop_table('recon_drifts')
    op.drop_index(op.f('ix_recon_runs_started_at'), table_name='recon_runs')
    op.drop_table('recon_runs')
