from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_invoicing.db import Base
from o2c_invoicing.invoices.states import InvoiceStatus


class SubmissionStatus(StrEnum):
    """Where a submitted document stands at its channel (the portal's last reported status): the invoice's
    status of the same name, and ``portal_paid`` (the invoice is then ``paid_by_customer``: the customer's word, not
    cash; only the AR ledger settles it)."""

    SUBMITTED = InvoiceStatus.SUBMITTED.value
    RESUBMITTED = InvoiceStatus.RESUBMITTED.value
    PORTAL_RECEIVED = InvoiceStatus.PORTAL_RECEIVED.value
    PORTAL_REJECTED = InvoiceStatus.PORTAL_REJECTED.value
    PORTAL_APPROVED = InvoiceStatus.PORTAL_APPROVED.value
    SCHEDULED_FOR_PAYMENT = InvoiceStatus.SCHEDULED_FOR_PAYMENT.value
    PORTAL_PAID = "portal_paid"

    @property
    def invoice_status(self) -> InvoiceStatus:
        """The invoice's status once its latest attempt has this one (a portal's "paid" is paid_by_customer)."""
        if self is SubmissionStatus.PORTAL_PAID:
            return InvoiceStatus.PAID_BY_CUSTOMER
        return InvoiceStatus(self.value)


# Still open at the portal: a polled submission in one of these is asked for its status.
POLLED_STATUSES = (SubmissionStatus.SUBMITTED, SubmissionStatus.RESUBMITTED, SubmissionStatus.PORTAL_RECEIVED,
                   SubmissionStatus.PORTAL_APPROVED, SubmissionStatus.SCHEDULED_FOR_PAYMENT)


class Submission(Base):
    """One attempt to deliver an issued invoice to its channel; its portal statuses are in the history."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("invoice_id", "attempt"),
        Index("ix_submissions_poll", "status", "last_polled_at"),
        Index("ix_submissions_portal_ref", "portal", "portal_reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    document_format: Mapped[str] = mapped_column(String(8))
    portal_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    portal: Mapped[str | None] = mapped_column(String(300), doc=(
        "The portal it went to (host[:port] of its URL; channels.portals): only that portal's statuses apply."))
    status: Mapped[SubmissionStatus] = mapped_column(String(32))
    previous_submission_id: Mapped[uuid.UUID | None] = mapped_column()
    correction_note: Mapped[str | None] = mapped_column(Text)
    polls: Mapped[bool] = mapped_column(default=False)
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
