"""collections: the audit chain linked one statement per writer of a commit (o2c_common.audit.chain.LINK_BY_WRITER): a
bulk path's audit rows no longer take the chain's lock, read its head and insert their link one by one

Revision ID: 0014_auditchain_by_writer
Revises: 0013_match_keys_fastupdate
Create Date: 2026-12-03 22:00:00
"""

from collections.abc import Sequence

from o2c_common.audit.chain import link_by_row, link_by_writer

revision: str = '0014_auditchain_by_writer'
down_revision: str | None = '0013_match_keys_fastupdate'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    link_by_writer()


def downgrade() -> None:
    link_by_row()
