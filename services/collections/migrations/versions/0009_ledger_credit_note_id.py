"""a credit note reduces its invoice once: ledger_entries.credit_note_id with a unique index where set (a second
credit_note.issued for the same note under a new event id passed the inbox and reduced the receivable again)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 10:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('ledger_entries', sa.Column('credit_note_id', sa.Uuid(), nullable=True))
    op.create_index('uq_ledger_entries_credit_note', 'ledger_entries', ['credit_note_id'], unique=True,
                    postgresql_where=sa.text('credit_note_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('uq_ledger_entries_credit_note', table_name='ledger_entries')
    op.drop_column('ledger_entries', 'credit_note_id')
