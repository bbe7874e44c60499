"""kpi SLA definitions, outcomes, windows, timers, breaches; report snapshots; default SLA definitions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)

DEFAULTS = [
    # id, name, metric, scope_type, target, comparator, unit, window, min_sample, severity
    ("first-pass-acceptance-weekly", "First-pass portal acceptance ≥ 95 % per team and week",
     "first_pass_acceptance_rate", "team", "95", "ge", "percent", "week", 20, "P3"),
    ("portal-rejection-resubmitted-1bd", "Portal rejection resubmitted within 1 business day",
     "time_to_resubmit", "global", "1", "le", "business_days", "item", 1, "P3"),
    ("dispute-resolved-10bd", "Dispute resolved within 10 business days",
     "dispute_resolution_time", "global", "10", "le", "business_days", "item", 1, "P3"),
    ("deduction-resolved-30bd", "Deduction resolved within 30 business days",
     "deduction_resolution_time", "global", "30", "le", "business_days", "item", 1, "P4"),
    ("escalation-resolved-within-sla-monthly", "Escalations resolved within their SLA ≥ 90 % per team and month",
     "escalation_resolved_within_sla_rate", "team", "90", "ge", "percent", "month", 5, "P2"),
    ("escalation-acknowledged-within-sla-monthly",
     "Escalations acknowledged within their SLA ≥ 95 % per team and month",
     "escalation_acknowledged_within_sla_rate", "team", "95", "ge", "percent", "month", 5, "P3"),
    ("promise-to-pay-kept-monthly", "Promises to pay kept ≥ 80 % per team and month",
     "promise_to_pay_kept_rate", "team", "80", "ge", "percent", "month", 10, "P4"),
]


def upgrade() -> None:
    definitions = op.create_table(
        'sla_definitions',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('description', sa.String(1000), nullable=True),
        sa.Column('metric', sa.String(64), nullable=False, index=True),
        sa.Column('scope_type', sa.String(16), nullable=False),
        sa.Column('scope_value', sa.String(64), nullable=True),
        sa.Column('target', sa.Numeric(20, 6), nullable=False),
        sa.Column('comparator', sa.String(2), nullable=False),
        sa.Column('unit', sa.String(16), nullable=False),
        sa.Column('window', sa.String(16), nullable=False),
        sa.Column('min_sample', sa.Integer(), nullable=False),
        sa.Column('severity', sa.String(2), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', TZ, server_default=sa.func.now(), nullable=False),
        sa.Column('updated_at', TZ, server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        'sla_outcomes',
        sa.Column('event_id', sa.Uuid(), nullable=False),
        sa.Column('metric', sa.String(64), nullable=False),
        sa.Column('occurred_at', TZ, nullable=False),
        sa.Column('met', sa.Boolean(), nullable=False),
        sa.Column('owning_team', sa.String(64), nullable=True),
        sa.Column('legal_entity', sa.String(20), nullable=True),
        sa.Column('customer_id', sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint('event_id', 'metric', name=op.f('pk_sla_outcomes')),
    )
    op.create_index('ix_sla_outcomes_metric_time', 'sla_outcomes', ['metric', 'occurred_at'])
    op.create_table(
        'sla_windows',
        sa.Column('definition_id', sa.String(64), nullable=False),
        sa.Column('scope_key', sa.String(96), nullable=False),
        sa.Column('window_start', TZ, nullable=False),
        sa.Column('window_end', TZ, nullable=False),
        sa.Column('scope_type', sa.String(16), nullable=False),
        sa.Column('scope_value', sa.String(64), nullable=True),
        sa.Column('met_count', sa.Integer(), nullable=False),
        sa.Column('total_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('definition_id', 'scope_key', 'window_start', name=op.f('pk_sla_windows')),
    )
    op.create_index('ix_sla_windows_scope', 'sla_windows', ['scope_type', 'scope_value', 'window_start'])
    op.create_table(
        'sla_timers',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column('definition_id', sa.String(64), nullable=False),
        sa.Column('subject_key', sa.String(96), nullable=False),
        sa.Column('subject_type', sa.String(32), nullable=False),
        sa.Column('subject_id', sa.String(64), nullable=False),
        sa.Column('scope_type', sa.String(16), nullable=False),
        sa.Column('scope_value', sa.String(64), nullable=True),
        sa.Column('owning_team', sa.String(64), nullable=True, index=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('armed_at', TZ, nullable=True),
        sa.Column('due_at', TZ, nullable=True),
        sa.Column('closed_at', TZ, nullable=True),
        sa.Column('fired_at', TZ, nullable=True),
    )
    op.create_index('uq_sla_timers_subject', 'sla_timers', ['definition_id', 'subject_key'], unique=True)
    op.create_index('ix_sla_timers_due', 'sla_timers', ['due_at'], postgresql_where=sa.text("status = 'armed'"))
    op.create_index('ix_sla_timers_subject_id', 'sla_timers', ['subject_type', 'subject_id'])
    op.create_table(
        'sla_breaches',
        sa.Column('id', sa.Uuid(), primary_key=True),
        sa.Column('breach_key', sa.String(240), nullable=False),
        sa.Column('definition_id', sa.String(64), nullable=False, index=True),
        sa.Column('sla_name', sa.String(200), nullable=False),
        sa.Column('metric', sa.String(64), nullable=False),
        sa.Column('unit', sa.String(16), nullable=False),
        sa.Column('comparator', sa.String(2), nullable=False),
        sa.Column('target', sa.Numeric(20, 6), nullable=False),
        sa.Column('severity', sa.String(2), nullable=False),
        sa.Column('scope_type', sa.String(16), nullable=False),
        sa.Column('scope_value', sa.String(64), nullable=True),
        sa.Column('owning_team', sa.String(64), nullable=True),
        sa.Column('subject_type', sa.String(32), nullable=True),
        sa.Column('subject_id', sa.String(64), nullable=True),
        sa.Column('window_start', TZ, nullable=False),
        sa.Column('window_end', TZ, nullable=False),
        sa.Column('actual', sa.Numeric(20, 6), nullable=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('breached_at', TZ, nullable=False),
        sa.Column('recovered_at', TZ, nullable=True),
        sa.Column('recovered_actual', sa.Numeric(20, 6), nullable=True),
        sa.UniqueConstraint('breach_key', name=op.f('uq_sla_breaches_breach_key')),
    )
    op.create_index('ix_sla_breaches_time', 'sla_breaches', ['breached_at', 'id'])
    op.create_index('ix_sla_breaches_team', 'sla_breaches', ['owning_team', 'breached_at'])
    op.create_table(
        'report_snapshot_runs',
        sa.Column('day', sa.Date(), primary_key=True),
        sa.Column('taken_at', TZ, nullable=False),
        sa.Column('values', sa.Integer(), nullable=False),
    )
    op.create_table(
        'report_snapshot_values',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('scope_key', sa.String(96), nullable=False),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('dimension', sa.String(64), nullable=False),
        sa.Column('unit', sa.String(16), nullable=False),
        sa.Column('value', sa.Numeric(20, 6), nullable=True),
        sa.PrimaryKeyConstraint('day', 'scope_key', 'name', 'currency', 'dimension',
                                name=op.f('pk_report_snapshot_values')),
    )
    op.bulk_insert(definitions, [
        {"id": i, "name": name, "description": None, "metric": metric, "scope_type": scope_type, "scope_value": None,
         "target": Decimal(target), "comparator": comparator, "unit": unit, "window": window,
         "min_sample": min_sample, "severity": severity, "active": True, "version": 1}
        for i, name, metric, scope_type, target, comparator, unit, window, min_sample, severity in DEFAULTS
    ])


def downgrade() -> None:
    for table in ('report_snapshot_values', 'report_snapshot_runs', 'sla_breaches', 'sla_timers', 'sla_windows',
                  'sla_outcomes', 'sla_definitions'):
        op.drop_table(table)
