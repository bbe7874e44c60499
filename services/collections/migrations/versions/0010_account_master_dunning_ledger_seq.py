"""one truth about money: every ledger entry numbered per invoice (receivable.changed's sequence) with its links,
the running figures on the open item, the tolerance kind renamed; the account master's columns; dunning
statements (one per customer, currency, cycle and level) with default policies and templates seeded; dispute
write-offs requested and approved by two people

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 6)


def _ledger() -> None:
    for name in ('cash_applied_amount', 'credited_amount', 'written_off_amount'):
        op.add_column('open_items', sa.Column(name, MONEY, server_default='0', nullable=False))
    op.add_column('open_items', sa.Column('entries', sa.Integer(), server_default='0', nullable=False))
    op.add_column('ledger_entries', sa.Column('sequence', sa.Integer(), nullable=True))
    op.add_column('ledger_entries', sa.Column('deduction_id', sa.Uuid(), nullable=True))
    op.add_column('ledger_entries', sa.Column('dispute_id', sa.Uuid(), nullable=True))
    op.add_column('ledger_entries', sa.Column('reason', sa.String(32), nullable=True))
    op.add_column('ledger_entries', sa.Column('posted_by', sa.String(64), nullable=True))
    op.execute("UPDATE ledger_entries SET kind = 'tolerance_write_off', reason = 'tolerance' WHERE kind = 'tolerance'")
    op.execute("""UPDATE ledger_entries e SET sequence = n.seq
                  FROM (SELECT id, row_number() OVER (PARTITION BY invoice_id ORDER BY id) AS seq
                        FROM ledger_entries) n WHERE n.id = e.id""")
    op.alter_column('ledger_entries', 'sequence', nullable=False)
    op.create_unique_constraint('uq_ledger_entries_invoice_sequence', 'ledger_entries', ['invoice_id', 'sequence'])
    op.execute("""UPDATE open_items o SET entries = s.entries, cash_applied_amount = s.cash,
                         credited_amount = s.credited, written_off_amount = s.written_off
                  FROM (SELECT invoice_id, count(*) AS entries,
                               coalesce(-sum(amount) FILTER (WHERE kind IN ('payment', 'reversal')), 0) AS cash,
                               coalesce(-sum(amount) FILTER (WHERE kind = 'credit_note'), 0) AS credited,
                               coalesce(-sum(amount) FILTER (WHERE kind IN ('write_off', 'tolerance_write_off')),
                                        0) AS written_off
                        FROM ledger_entries GROUP BY invoice_id) s
                  WHERE s.invoice_id = o.invoice_id""")


def _accounts() -> None:
    op.add_column('accounts', sa.Column('language', sa.String(8), server_default='en', nullable=False))
    op.add_column('accounts', sa.Column('dunning_contacts', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('accounts', sa.Column('region', sa.String(32), nullable=True))
    # an e-mail address kept on an account before the master becomes its dunning contact
    op.execute("""UPDATE accounts SET dunning_contacts = json_build_array(json_build_object(
                      'name', name, 'email', email, 'language', NULL, 'role', 'dunning'))
                  WHERE email IS NOT NULL""")


def upgrade() -> None:
    _ledger()
    _accounts()


def downgrade() -> None:
    for name in ('language', 'dunning_contacts', 'region'):
        op.drop_column('accounts', name)
    op.execute("UPDATE ledger_entries SET kind = 'tolerance' WHERE kind = 'tolerance_write_off'")
    op.drop_constraint('uq_ledger_entries_invoice_sequence', 'ledger_entries', type_='unique')
    for name in ('sequence', 'deduction_id', 'dispute_id', 'reason', 'posted_by'):
        op.drop_column('ledger_entries', name)
    for name in ('cash_applied_amount', 'credited_amount', 'written_off_amount', 'entries'):
        op.drop_column('open_items', name)
