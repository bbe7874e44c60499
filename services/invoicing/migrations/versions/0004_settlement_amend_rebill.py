"""settlement mirrored from the AR ledger, portal status paid_by_customer, amendments, credit and rebill,
submission failures, attachments, billing cadence

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(20, 6)


def upgrade() -> None:
    add = op.add_column
    add("invoices", sa.Column("buyer_reference", sa.String(64), nullable=True))
    add("invoices", sa.Column("billing_deadline", sa.Date(), nullable=True))
    add("invoices", sa.Column("replaces_invoice_id", sa.Uuid(), nullable=True))
    add("invoices", sa.Column("settlement_status", sa.String(16), server_default="open", nullable=False))
    add("invoices", sa.Column("ledger_open_amount", MONEY, nullable=True))
    add("invoices", sa.Column("ledger_sequence", sa.Integer(), server_default="0", nullable=False))
    add("invoices", sa.Column("ledger_credited_amount", MONEY, server_default="0", nullable=False))
    add("invoices", sa.Column("written_off_amount", MONEY, server_default="0", nullable=False))
    add("invoices", sa.Column("settled_on", sa.Date(), nullable=True))
    add("invoices", sa.Column("ledger_updated_at", sa.DateTime(timezone=True), nullable=True))
    add("invoices", sa.Column("customer_paid_reported_at", sa.DateTime(timezone=True), nullable=True))
    add("invoices", sa.Column("portal_rules_overridden", postgresql.JSONB(astext_type=sa.Text()),
                              server_default="[]", nullable=False))
    add("billing_profiles", sa.Column("account_version", sa.Integer(), nullable=True))
    add("billing_profiles", sa.Column("billing_cadence", sa.String(24), nullable=True))
    add("billing_profiles", sa.Column("billing_lag_days", sa.Integer(), nullable=True))

    op.create_table(
        "invoice_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("stored_by", sa.Text(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_attachments_invoice_id_invoices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_attachments")),
        sa.UniqueConstraint("invoice_id", "name", name=op.f("uq_invoice_attachments_invoice_id_name")),
    )
    op.create_index(op.f("ix_invoice_attachments_invoice_id"), "invoice_attachments", ["invoice_id"])
    op.create_table(
        "submission_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("violations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_failures")),
    )
    op.create_index(op.f("ix_submission_failures_invoice_id"), "submission_failures", ["invoice_id"])
    def decision_columns() -> tuple[sa.Column, ...]:  # type: ignore[type-arg]
        return (
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        )
    op.create_table(
        "invoice_amendments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *decision_columns(),
        sa.Column("document_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_amendments_invoice_id_invoices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_amendments")),
    )
    op.create_index(op.f("ix_invoice_amendments_invoice_id"), "invoice_amendments", ["invoice_id"])
    op.create_table(
        "invoice_rebills",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("corrected", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *decision_columns(),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column("new_invoice_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_rebills_invoice_id_invoices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_rebills")),
    )
    op.create_index(op.f("ix_invoice_rebills_invoice_id"), "invoice_rebills", ["invoice_id"])
    op.create_table(
        "invoice_documents",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_documents_invoice_id_invoices"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("invoice_id", "version", name=op.f("pk_invoice_documents")),
    )

    # Old rows: a portal's "paid" becomes the portal status paid_by_customer; a paid or credited status set by
    # cash or credit returns to the status before it (settlement is the ledger's, republished by collections).
    op.execute("""
        WITH last_change AS (
            SELECT DISTINCT ON (invoice_id) invoice_id, from_status, actor, at
            FROM invoice_status_changes WHERE to_status IN ('paid', 'credited') AND from_status IS DISTINCT FROM to_status
            ORDER BY invoice_id, id DESC)
        UPDATE invoices i SET
            status = CASE WHEN i.status = 'paid' AND c.actor LIKE 'portal:%' THEN 'paid_by_customer'
                          ELSE coalesce(c.from_status, 'issued') END,
            customer_paid_reported_at = CASE WHEN i.status = 'paid' AND c.actor LIKE 'portal:%' THEN c.at END
        FROM last_change c WHERE c.invoice_id = i.id AND i.status IN ('paid', 'credited')""")
    op.execute("UPDATE invoices SET status = 'issued' WHERE status IN ('paid', 'credited')")
    op.execute("""
        UPDATE invoices SET settlement_status = CASE
            WHEN total_amount - credited_amount - paid_amount <= 0 AND paid_amount > 0 THEN 'settled'
            WHEN total_amount - credited_amount - paid_amount <= 0 THEN 'credited'
            WHEN paid_amount > 0 OR credited_amount > 0 THEN 'partly_settled'
            ELSE 'open' END
        WHERE number IS NOT NULL""")


def downgrade() -> None:
    for table in ("invoice_documents", "invoice_rebills", "invoice_amendments", "submission_failures",
                  "invoice_attachments"):
        op.drop_table(table)
    for column in ("billing_lag_days", "billing_cadence", "account_version"):
        op.drop_column("billing_profiles", column)
    for column in ("portal_rules_overridden", "customer_paid_reported_at", "ledger_updated_at", "settled_on",
                   "written_off_amount", "ledger_credited_amount", "ledger_sequence", "ledger_open_amount",
                   "settlement_status", "replaces_invoice_id", "billing_deadline", "buyer_reference"):
        op.drop_column("invoices", column)
