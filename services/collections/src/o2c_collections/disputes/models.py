from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class DisputeStatus(StrEnum):
    OPEN = "open"
    CREDIT_REQUESTED = "credit_requested"  # still held; an ar_supervisor other than the requester decides it
    WRITE_OFF_REQUESTED = "write_off_requested"  # still held; another ar_supervisor approves or rejects it
    RESOLVED = "resolved"


class DisputeOutcome(StrEnum):
    CUSTOMER_PAYS = "customer_pays"
    CREDITED = "credited"
    PARTIALLY_CREDITED = "partially_credited"
    WRITTEN_OFF = "written_off"
    WITHDRAWN = "withdrawn"


class Dispute(Base):
    """A contested amount on an invoice (or a deduction); while open it leaves dunning."""

    __tablename__ = "disputes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("open_items.invoice_id"), index=True)
    invoice_number: Mapped[str | None] = mapped_column(String(40))
    deduction_id: Mapped[uuid.UUID | None] = mapped_column()
    source_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    reason: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(24))
    owner: Mapped[str | None] = mapped_column(String(64))
    opened_by: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[DisputeStatus] = mapped_column(String(24))
    outcome: Mapped[DisputeOutcome | None] = mapped_column(String(24))
    root_cause: Mapped[str | None] = mapped_column(String(24))
    corrective_action: Mapped[str | None] = mapped_column(Text)
    preventive_action: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    # a write-off (migration 0010): who asked for it, who approved it, what the ledger posted
    write_off_requested_by: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64))
    written_off_amount: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=Decimal(0), server_default="0")
    # a credit (migration 0011_sod): who asked for it and how much (the whole amount: credited, else partially)
    credit_requested_by: Mapped[str | None] = mapped_column(String(64))
    credited_amount: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=Decimal(0), server_default="0")
    opened_date: Mapped[date] = mapped_column(Date)
    resolved_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
