"""room for an invoice's next version on its own page: invoices with fillfactor 80

The settlement mirror updates an invoice for each ledger change (paid amount, open amount, settlement status), none
of them indexed, so the new version can stay on the invoice's page (a HOT update) and no index is touched, if the
page has room. Filled to 100 %, most pages had none: in the history run 58 % of the updates were not HOT, each
writing an entry into all five indexes (docs/performance.md). New pages are now filled to 80 %; pages written
before keep their rows until the table is rewritten.

Revision ID: 0008_invoices_fillfactor
Revises: 0007_auditchain_by_writer
Create Date: 2026-12-05 21:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008_invoices_fillfactor'
down_revision: str | None = '0007_auditchain_by_writer'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE invoices SET (fillfactor = 80)")


def downgrade() -> None:
    op.execute("ALTER TABLE invoices RESET (fillfactor)")
