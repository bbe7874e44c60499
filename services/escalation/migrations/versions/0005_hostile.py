"""hostile input: webhook signing secrets encrypted at rest (webhooks.secrets) need a wider column

Secrets stored in clear before are still read, and sealed with the current key by the sender when it next uses
them: the migration job holds no key (it needs no secret but its database's).

Revision ID: 0005_hostile
Revises: 0004
Create Date: 2026-12-02 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_hostile'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("webhook_subscriptions", "secret", type_=sa.Text(), existing_type=sa.String(128))


def downgrade() -> None:
    pass  # sealed secrets do not fit the old column; it stays wide
