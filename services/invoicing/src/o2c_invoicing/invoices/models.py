from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from o2c_invoicing.db import Base
from o2c_invoicing.invoices.states import InvoiceStatus

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
    paid_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0), server_default="0")
    requested_issue_date: Mapped[date | None] = mapped_column(Date)
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    payment_terms: Mapped[str] = mapped_column(String(16), default="net", server_default="net")
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    service_period_start: Mapped[date | None] = mapped_column(Date)
    service_period_end: Mapped[date | None] = mapped_column(Date)
    po_number: Mapped[str | None] = mapped_column(String(64))
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
        return self.total_amount - self.credited_amount - self.paid_amount


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
    """Cash applied to an invoice (from payment.applied), one row per application: replays add nothing."""

    __tablename__ = "invoice_settlements"

    application_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[uuid.UUID] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(MONEY)
    applied_date: Mapped[date] = mapped_column(Date)
