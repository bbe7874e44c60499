"""open items found by the remittance reference: an index on upper(invoice_number) (cash application looks every
referenced number up, case-insensitively, for each payment)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_open_items_upper_invoice_number', 'open_items', [sa.text('upper(invoice_number)')])


def downgrade() -> None:
    op.drop_index('ix_open_items_upper_invoice_number', table_name='open_items')
