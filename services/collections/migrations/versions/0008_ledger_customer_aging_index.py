"""aging by customer in pages: an index on ledger_entries (customer_id, currency) including effective_date,
due_date and amount, so a page of customers is aggregated from the index in order and the scan stops after the page
(instead of grouping the whole ledger: 3.9 s for 54,600 customers over 1,000,000 items)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 10:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_ledger_entries_customer_aging', 'ledger_entries', ['customer_id', 'currency'],
                    postgresql_include=['effective_date', 'due_date', 'amount'])


def downgrade() -> None:
    op.drop_index('ix_ledger_entries_customer_aging', table_name='ledger_entries')
