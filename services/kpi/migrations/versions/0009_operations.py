"""kpi: the operations read models of the reviews (quality reviews, teams and vendors, portal rejections,
disputes, escalation cases and corrective actions, capacity outlooks), built by the kpi-operations group

Revision ID: 0009_operations
Revises: 0008_dlq
Create Date: 2026-12-03 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009_operations'
down_revision: str | None = '0008_dlq'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('kpi_ops_vendors',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_kpi_ops_vendors')))
    op.create_table('kpi_ops_teams',
    sa.Column('team', sa.String(length=64), nullable=False),
    sa.Column('vendor_code', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('team', name=op.f('pk_kpi_ops_teams')))
    op.create_table('kpi_ops_quality_reviews',
    sa.Column('sample_id', sa.Uuid(), nullable=False),
    sa.Column('process', sa.String(length=32), nullable=False),
    sa.Column('agent', sa.String(length=128), nullable=False),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('defects', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reviewed_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('sample_id', name=op.f('pk_kpi_ops_quality_reviews')))
    op.create_index('ix_kpi_ops_quality_reviews_reviewed_at', 'kpi_ops_quality_reviews', ['reviewed_at'])
    op.create_table('kpi_ops_rejections',
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('owning_team', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('root_cause', sa.String(length=32), nullable=False),
    sa.Column('portal_reason_code', sa.String(length=64), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('rejected_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_kpi_ops_rejections')))
    op.create_index('ix_kpi_ops_rejections_rejected_at', 'kpi_ops_rejections', ['rejected_at'])
    op.create_table('kpi_ops_disputes',
    sa.Column('dispute_id', sa.Uuid(), nullable=False),
    sa.Column('owning_team', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('root_cause', sa.String(length=32), nullable=True),
    sa.Column('opened_at', TZ, nullable=False),
    sa.Column('resolved_at', TZ, nullable=True),
    sa.PrimaryKeyConstraint('dispute_id', name=op.f('pk_kpi_ops_disputes')))
    op.create_index('ix_kpi_ops_disputes_resolved_at', 'kpi_ops_disputes', ['resolved_at'])
    op.create_table('kpi_ops_cases',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('tier', sa.String(length=4), nullable=False),
    sa.Column('owning_team', sa.String(length=64), nullable=False),
    sa.Column('assignee', sa.String(length=128), nullable=True),
    sa.Column('opened_at', TZ, nullable=False),
    sa.Column('resolved_at', TZ, nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_kpi_ops_cases')))
    op.create_index('ix_kpi_ops_cases_team', 'kpi_ops_cases', ['owning_team', 'opened_at'])
    op.create_table('kpi_ops_actions',
    sa.Column('action_id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('case_number', sa.String(length=40), nullable=False),
    sa.Column('owning_team', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=128), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', TZ, nullable=False),
    sa.Column('closed_at', TZ, nullable=True),
    sa.Column('changed_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('action_id', name=op.f('pk_kpi_ops_actions')))
    op.create_index('ix_kpi_ops_actions_team', 'kpi_ops_actions', ['owning_team', 'created_at'])
    op.create_table('kpi_ops_capacity_outlooks',
    sa.Column('process', sa.String(length=32), nullable=False),
    sa.Column('team', sa.String(length=64), server_default=sa.text("''"), nullable=False),
    sa.Column('model', sa.String(length=16), nullable=False),
    sa.Column('published_at', TZ, nullable=False),
    sa.Column('days', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('process', 'team', name=op.f('pk_kpi_ops_capacity_outlooks')))


def downgrade() -> None:
    for table in ('kpi_ops_capacity_outlooks', 'kpi_ops_actions', 'kpi_ops_cases', 'kpi_ops_disputes',
                  'kpi_ops_rejections', 'kpi_ops_quality_reviews', 'kpi_ops_teams', 'kpi_ops_vendors'):
        op.drop_table(table)
