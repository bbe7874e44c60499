"""kpi facts (read models of the KPI engine, see o2c_kpi.facts.models)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:00:00

Existing receivable_movements rows are kept but not rolled up: run `o2c kpi rebuild` after upgrading a
database that already held facts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMS = ("legal_entity", 20), ("currency", 3), ("customer_id", 64), ("owning_team", 64)


def _dim(name: str, length: int, **kw: object) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=False, **kw)  # type: ignore[arg-type]


def upgrade() -> None:
    op.add_column('receivable_movements',
                  sa.Column('resolved', sa.Boolean(), server_default=sa.false(), nullable=False))
    # every KPI reads the rollups; an index on the movements' dates only slowed the projection down
    op.drop_index('ix_receivable_movements_currency_date', table_name='receivable_movements')
    op.create_table('kpi_ar_invoices',
        sa.Column('invoice_id', sa.Uuid(), nullable=False),
        *(_dim(n, ln) for n, ln in DIMS),
        sa.Column('issue_date', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_kpi_ar_invoices')))
    op.create_index('ix_kpi_ar_invoices_customer_id', 'kpi_ar_invoices', ['customer_id'], unique=False)
    op.create_table('kpi_ar_daily_total',
        _dim('legal_entity', 20), _dim('currency', 3), _dim('owning_team', 64),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('amount', sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column('due_weight', sa.Numeric(precision=30, scale=6), nullable=False),
        sa.PrimaryKeyConstraint('legal_entity', 'currency', 'owning_team', 'day', 'kind',
                                name=op.f('pk_kpi_ar_daily_total')))
    op.create_table('kpi_ar_daily',
        _dim('legal_entity', 20), _dim('currency', 3), _dim('owning_team', 64),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('amount', sa.Numeric(precision=24, scale=6), nullable=False),
        sa.PrimaryKeyConstraint('legal_entity', 'currency', 'owning_team', 'day', 'due_date', 'kind',
                                name=op.f('pk_kpi_ar_daily')))
    op.create_index('ix_kpi_ar_daily_currency_due', 'kpi_ar_daily', ['currency', 'due_date', 'day'], unique=False)
    op.create_table('kpi_daily_counts',
        sa.Column('metric', sa.String(length=48), nullable=False),
        *(_dim(n, ln) for n, ln in DIMS),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('dimension', sa.String(length=64), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('value', sa.Numeric(precision=24, scale=6), nullable=False),
        sa.PrimaryKeyConstraint('metric', 'legal_entity', 'currency', 'customer_id', 'owning_team', 'day',
                                'dimension', name=op.f('pk_kpi_daily_counts')))
    op.create_table('kpi_open_item_movements',
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('item_id', sa.String(length=64), nullable=False),
        *(_dim(n, ln) for n, ln in DIMS),
        _dim('agent', 64),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('opened_date', sa.Date(), nullable=True),
        sa.Column('amount', sa.Numeric(precision=20, scale=6), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('event_id', 'line', name=op.f('pk_kpi_open_item_movements')))
    op.create_table('kpi_invoice_milestones',
        sa.Column('invoice_id', sa.Uuid(), nullable=False),
        _dim('legal_entity', 20), _dim('customer_id', 64), _dim('owning_team', 64),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('invoice_id', name=op.f('pk_kpi_invoice_milestones')))
    for col in ('submitted_at', 'accepted_at', 'paid_at'):
        op.create_index(op.f(f'ix_kpi_invoice_milestones_{col}'), 'kpi_invoice_milestones', [col], unique=False)


def downgrade() -> None:
    for table in ('kpi_invoice_milestones', 'kpi_open_item_movements', 'kpi_daily_counts', 'kpi_ar_daily',
                  'kpi_ar_daily_total', 'kpi_ar_invoices'):
        op.drop_table(table)
    op.create_index('ix_receivable_movements_currency_date', 'receivable_movements', ['currency', 'effective_date'],
                    unique=False)
    op.drop_column('receivable_movements', 'resolved')
