"""e-invoice buyer data on billing profiles: postal address and VAT treatment

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('billing_profiles', sa.Column('address', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('billing_profiles', sa.Column('e_invoicing', postgresql.JSONB(astext_type=sa.Text()),
                                                nullable=True))


def downgrade() -> None:
    op.drop_column('billing_profiles', 'e_invoicing')
    op.drop_column('billing_profiles', 'address')
