from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class DeductionStatus(StrEnum):
    OPEN = "open"
    CREDIT_REQUESTED = "credit_requested"  # still held; an ar_supervisor other than the requester decides it
    WRITE_OFF_REQUESTED = "write_off_requested"
    RESOLVED = "resolved"


class DeductionResolution(StrEnum):
    RECOVERED = "recovered"
    CREDITED = "credited"
    WRITTEN_OFF = "written_off"
    DISPUTED = "disputed"


class Deduction(Base):
    """A short payment to be resolved: recovered, credited, written off (approved) or disputed."""

    __tablename__ = "deductions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("open_items.invoice_id"), index=True)
    invoice_number: Mapped[str | None] = mapped_column(String(40))
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    reason: Mapped[str] = mapped_column(String(16))
    remittance_reason: Mapped[str | None] = mapped_column(String(100))
    owner: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[DeductionStatus] = mapped_column(String(24))
    resolution: Mapped[DeductionResolution | None] = mapped_column(String(16))
    write_off_requested_by: Mapped[str | None] = mapped_column(String(64))
    # maker-checker (migration 0011_sod): who booked the payment that left it, who asked for its credit
    opened_by: Mapped[str | None] = mapped_column(String(64))
    credit_requested_by: Mapped[str | None] = mapped_column(String(64))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    credit_note_request_id: Mapped[uuid.UUID | None] = mapped_column()
    dispute_id: Mapped[uuid.UUID | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    opened_date: Mapped[date] = mapped_column(Date)
    resolved_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
