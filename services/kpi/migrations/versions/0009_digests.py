"""kpi: scheduled e-mail digests of the reviews (subscriptions and deliveries)

Revision ID: 0009_digests
Revises: 0009_fx
Create Date: 2026-12-03 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009_digests'
down_revision: str | None = '0009_fx'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digest_subscriptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('owning_team', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('recipients', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('send_at', sa.Time(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('working_day', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_subscriptions'))
    )
    op.create_index('ix_digest_subscriptions_team', 'digest_subscriptions', ['owning_team', 'created_at', 'id'])
    op.create_table('digest_deliveries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subscription_id', sa.Uuid(), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=False),
    sa.Column('period_label', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('attached_pdf', sa.Boolean(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['digest_subscriptions.id'],
                            name=op.f('fk_digest_deliveries_subscription_id_digest_subscriptions'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_deliveries'))
    )
    op.create_index('uq_digest_deliveries_scheduled', 'digest_deliveries', ['subscription_id', 'review_date'],
                    unique=True, postgresql_where=sa.text("trigger = 'scheduled'"))
    op.create_index('ix_digest_deliveries_subscription', 'digest_deliveries', ['subscription_id', 'sent_at', 'id'])


def downgrade() -> None:
    op.drop_table('digest_deliveries')
    op.drop_table('digest_subscriptions')
