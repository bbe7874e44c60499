"""room for every open item's next version: open_items with fillfactor 50; ledger_entries without the index that
the unique (invoice_id, sequence) one covers

At 70 % a page held 27 items and room for 11 new versions: once every item of a page was paid (history, a month's
cash), 46 % of the updates still left the page and wrote into all six indexes, the GIN index of match keys among
them. At 50 % each item has room for its next version, and every update of the 40,000-row history run was HOT
(docs/performance.md). ``ix_ledger_entries_invoice_id`` duplicated the leading column of
``uq_ledger_entries_invoice_sequence``: each entry paid for two index inserts where one serves every query by invoice.

Revision ID: 0016_open_items_half_full
Revises: 0015_open_items_fillfactor
Create Date: 2026-12-05 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0016_open_items_half_full'
down_revision: str | None = '0015_open_items_fillfactor'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE open_items SET (fillfactor = 50)")
    op.drop_index("ix_ledger_entries_invoice_id", table_name="ledger_entries")


def downgrade() -> None:
    op.create_index("ix_ledger_entries_invoice_id", "ledger_entries", ["invoice_id"], unique=False)
    op.execute("ALTER TABLE open_items SET (fillfactor = 70)")
