"""segregation of duties: a credit note issued from collections' request records who asked for it and the second
person who approved it

Revision ID: 0006_sod
Revises: 0005
Create Date: 2026-12-02 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_sod'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('credit_notes', sa.Column('requested_by', sa.Text(), nullable=True))
    op.add_column('credit_notes', sa.Column('approved_by', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('credit_notes', 'approved_by')
    op.drop_column('credit_notes', 'requested_by')
