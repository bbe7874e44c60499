"""segregation of duties: credits of disputes and deductions requested and approved by two people, and the register
of approved credits and write-offs the per-invoice limits are summed over (backfilled with the write-offs already
approved)

Revision ID: 0011_sod
Revises: 0010
Create Date: 2026-12-02 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_sod'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 6)


def upgrade() -> None:
    op.add_column('disputes', sa.Column('credit_requested_by', sa.String(64), nullable=True))
    op.add_column('disputes', sa.Column('credited_amount', MONEY, server_default='0', nullable=False))
    op.add_column('deductions', sa.Column('opened_by', sa.String(64), nullable=True))
    op.add_column('deductions', sa.Column('credit_requested_by', sa.String(64), nullable=True))
    op.create_table(
        'reduction_approvals',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('invoice_id', sa.Uuid(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('dispute_id', sa.Uuid(), nullable=True),
        sa.Column('deduction_id', sa.Uuid(), nullable=True),
        sa.Column('requested_by', sa.String(64), nullable=False),
        sa.Column('approved_by', sa.String(64), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['open_items.invoice_id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reduction_approvals_invoice_id', 'reduction_approvals', ['invoice_id'])
    # credits resolved before: the whole disputed amount for `credited` (partial credits are in the audit trail)
    op.execute("UPDATE disputes SET credited_amount = amount WHERE outcome = 'credited'")
    op.execute("""UPDATE disputes d SET credited_amount = (a.after->>'credited')::numeric
        FROM audit_log a WHERE d.outcome = 'partially_credited' AND a.action = 'dispute.resolved'
        AND a.entity_type = 'dispute' AND a.entity_id = d.id::text AND a.after->>'credited' IS NOT NULL""")
    # the write-offs two people already approved count toward the limits
    op.execute("""INSERT INTO reduction_approvals (id, invoice_id, currency, kind, amount, dispute_id, deduction_id,
            requested_by, approved_by, approved_at)
        SELECT gen_random_uuid(), invoice_id, currency, 'write_off', written_off_amount, id, NULL,
            coalesce(write_off_requested_by, resolved_by, approved_by), approved_by,
            coalesce(resolved_date::timestamptz, now())
        FROM disputes WHERE approved_by IS NOT NULL AND written_off_amount > 0 AND invoice_id IS NOT NULL""")
    op.execute("""INSERT INTO reduction_approvals (id, invoice_id, currency, kind, amount, dispute_id, deduction_id,
            requested_by, approved_by, approved_at)
        SELECT gen_random_uuid(), invoice_id, currency, 'write_off', amount, NULL, id,
            coalesce(write_off_requested_by, resolved_by, approved_by), approved_by,
            coalesce(resolved_date::timestamptz, now())
        FROM deductions WHERE approved_by IS NOT NULL AND resolution = 'written_off' AND invoice_id IS NOT NULL""")


def downgrade() -> None:
    op.drop_index('ix_reduction_approvals_invoice_id', table_name='reduction_approvals')
    op.drop_table('reduction_approvals')
    op.drop_column('deductions', 'credit_requested_by')
    op.drop_column('deductions', 'opened_by')
    op.drop_column('disputes', 'credited_amount')
    op.drop_column('disputes', 'credit_requested_by')
