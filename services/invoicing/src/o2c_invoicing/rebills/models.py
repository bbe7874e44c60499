"""Credit and rebill: an issued invoice credited in full and replaced by a corrected one, as one approved action."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_invoicing.amendments.models import DecisionStatus
from o2c_invoicing.db import Base


class InvoiceRebill(Base):
    __tablename__ = "invoice_rebills"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    corrected: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[DecisionStatus] = mapped_column(String(16), default=DecisionStatus.PENDING)
    requested_by: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column()
    new_invoice_id: Mapped[uuid.UUID | None] = mapped_column()
