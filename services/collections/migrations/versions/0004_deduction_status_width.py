"""deductions.status wide enough for write_off_requested

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column('deductions', 'status', existing_type=sa.String(length=16), type_=sa.String(length=24),
                    existing_nullable=False)


def downgrade() -> None:
    op.alter_column('deductions', 'status', existing_type=sa.String(length=24), type_=sa.String(length=16),
                    existing_nullable=False)
