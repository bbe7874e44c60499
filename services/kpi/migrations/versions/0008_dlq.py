"""kpi: dead letters kept in the database as well as on the dead-letter topic

Revision ID: 0008_dlq
Revises: 0007
Create Date: 2026-12-02 22:10:00
"""

from collections.abc import Sequence

from o2c_common.db.migration import create_dead_letters, drop_dead_letters

revision: str = '0008_dlq'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_dead_letters()


def downgrade() -> None:
    drop_dead_letters()
