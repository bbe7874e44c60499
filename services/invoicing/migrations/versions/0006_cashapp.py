"""payment terms with an early-payment discount on invoices (2/10 net 30: discount_percent 2, discount_days 10),
carried to collections by invoice.issued (discount_percent, discount_until)

Revision ID: 0006_cashapp
Revises: 0005
Create Date: 2026-12-02 22:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_cashapp'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('invoices', sa.Column('discount_percent', sa.Numeric(5, 2), nullable=True))
    op.add_column('invoices', sa.Column('discount_days', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('invoices', 'discount_days')
    op.drop_column('invoices', 'discount_percent')
