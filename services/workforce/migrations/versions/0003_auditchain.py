"""workforce: the audit trail chained by hash (audit_chain, written at commit by the owner's trigger), like the
other services

Revision ID: 0003_auditchain
Revises: 0002
Create Date: 2026-12-02 23:00:00
"""

from collections.abc import Sequence

from o2c_common.audit.chain import install_audit_chain, uninstall_audit_chain

revision: str = '0003_auditchain'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    install_audit_chain()


def downgrade() -> None:
    uninstall_audit_chain()
