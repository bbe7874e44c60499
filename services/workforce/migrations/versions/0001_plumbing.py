"""Plumbing tables shared by every service: outbox, inbox, idempotency keys, append-only audit log.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

from o2c_common.db.migration import create_plumbing, drop_plumbing

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_plumbing()


def downgrade() -> None:
    drop_plumbing()
