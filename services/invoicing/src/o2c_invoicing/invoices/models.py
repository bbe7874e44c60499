from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from o2c_invoicing.db import Base
from o2c_invoicing.invoices.states import InvoiceStatus, SettlementStatus

MONEY = Numeric(20, 6)


class InvoiceSource(StrEnum):
    """Where an invoice was prepared: through this API, or imported as issued from another system."""

    API = "api"
    IMPORT = "import"


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("legal_entity", "number"),
        Index("ix_invoices_status_since", "status", "status_since"),
        Index("ix_invoices_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str | None] = mapped_column(String(40))
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    net_amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)
    total_amount: Mapped[Decimal] = mapped_column(MONEY)
    credited_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    """Credit notes issued here (what may still be credited is total less credited)."""
    paid_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    requested_issue_date: Mapped[date | None] = mapped_column(Date)
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_terms: Mapped[str] = mapped_column(String(16), default="net", server_default="net")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # an early-payment discount of the terms (2/10 net 30: 2 % within 10 days of the issue date); migration 0006_cashapp
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    discount_days: Mapped[int | None] = mapped_column(Integer)
    service_period_start: Mapped[date | None] = mapped_column(Date)
    service_period_end: Mapped[date | None] = mapped_column(Date)
    po_number: Mapped[str | None] = mapped_column(String(64))
    buyer_reference: Mapped[str | None] = mapped_column(String(64))
    billing_deadline: Mapped[date | None] = mapped_column(Date)
    replaces_invoice_id: Mapped[uuid.UUID | None] = mapped_column()
    # The AR ledger's view, mirrored from collections' receivable.changed (never from a portal):
    settlement_status: Mapped[SettlementStatus] = mapped_column(String(16), default=SettlementStatus.OPEN,
                                                                server_default=SettlementStatus.OPEN.value)
    ledger_open_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    ledger_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ledger_credited_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    written_off_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    settled_on: Mapped[date | None] = mapped_column(Date)
    ledger_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customer_paid_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    portal_rules_overridden: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    """Portal rules an approver chose to override at approval or issue (audited)."""
    owning_team: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[InvoiceStatus] = mapped_column(String(32))
    status_since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    stalled_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[InvoiceSource] = mapped_column(String(16), default=InvoiceSource.API,
                                                  server_default=InvoiceSource.API.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejection_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", lazy="raise", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    approvals: Mapped[list[InvoiceApproval]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="InvoiceApproval.approved_at"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def open_amount(self) -> Decimal:
        """The payable amount a regenerated document shows: the total less credit notes and cash applied (what is
        owed for settlement purposes is the ledger's: ``ledger_open_amount``)."""
        return self.total_amount - self.credited_amount - self.paid_amount

    @property
    def creditable_amount(self) -> Decimal:
        """What credit notes may still credit: the total less the credit notes already issued (the ledger caps
        what it posts; a write-off does not stop a credit)."""
        return self.total_amount - self.credited_amount


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    net_amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_amount: Mapped[Decimal] = mapped_column(MONEY)
    po_line: Mapped[str | None] = mapped_column(String(32))

    invoice: Mapped[Invoice] = relationship(back_populates="lines", lazy="raise")


class InvoiceApproval(Base):
    """One approval of an invoice (maker-checker); two above the second-approval limit, by different people."""

    __tablename__ = "invoice_approvals"
    __table_args__ = (UniqueConstraint("invoice_id", "approver"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    approver: Mapped[str] = mapped_column(Text)
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InvoiceStatusChange(Base):
    """Append-only status history of an invoice, with the submission attempt a portal status belongs to."""

    __tablename__ = "invoice_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[uuid.UUID | None] = mapped_column()
    attempt: Mapped[int | None] = mapped_column(Integer)
    from_status: Mapped[InvoiceStatus | None] = mapped_column(String(32))
    to_status: Mapped[InvoiceStatus] = mapped_column(String(32))
    portal_status_code: Mapped[str | None] = mapped_column(String(8))
    portal_reason_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(32))
    root_cause: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InvoiceNumberSequence(Base):
    """Gapless numbering: one row per series (legal entity, or ``CN:<entity>`` for credit notes) and year,
    incremented under its row lock."""

    __tablename__ = "invoice_number_sequences"

    legal_entity: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Settlement(Base):
    """History only: cash applied to an invoice from payment.applied, before settlement was mirrored from the
    AR ledger's receivable.changed (no longer written)."""

    __tablename__ = "invoice_settlements"

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[uuid.UUID] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(MONEY)
    applied_date: Mapped[date] = mapped_column(Date)


class InvoiceAttachment(Base):
    """A document attached to an invoice (a timesheet, a delivery note) that portals may require; at most 5 MB."""

    __tablename__ = "invoice_attachments"
    __table_args__ = (UniqueConstraint("invoice_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    stored_by: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SubmissionFailure(Base):
    """A submission (or an issue) that did not go through: refused by the portal's rules before sending, or not
    delivered by its channel. Recorded in its own transaction while the request's rolls back, so no foreign key
    (the request holds the invoice's row lock). The latest one since the invoice's last status change is why it
    waits in a work queue."""

    __tablename__ = "submission_failures"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    violations: Mapped[list[str]] = mapped_column(JSONB, default=list)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
