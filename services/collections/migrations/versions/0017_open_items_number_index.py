"""open_items without ix_open_items_invoice_number, which no query uses

Items are looked up by number upper-cased (``ix_open_items_upper_invoice_number``) or by their match keys (the GIN
index), never by the number as written: the plain index only cost an entry for every item opened (200,000 in the
history run).

Revision ID: 0017_open_items_number_index
Revises: 0016_open_items_half_full
Create Date: 2026-12-06 00:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0017_open_items_number_index'
down_revision: str | None = '0016_open_items_half_full'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_open_items_invoice_number", table_name="open_items")


def downgrade() -> None:
    op.create_index("ix_open_items_invoice_number", "open_items", ["invoice_number"], unique=False)
