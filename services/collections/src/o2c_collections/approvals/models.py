"""The register of approved reductions of a receivable: every credit and write-off a second person approved
(maker-checker), one row each, so the limits apply to what an invoice was reduced by in total."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class ReductionKind(StrEnum):
    CREDIT = "credit"
    WRITE_OFF = "write_off"


class ReductionApproval(Base):
    """One approved credit or write-off of a dispute or a deduction, by whom and for how much."""

    __tablename__ = "reduction_approvals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("open_items.invoice_id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[ReductionKind] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    dispute_id: Mapped[uuid.UUID | None] = mapped_column()
    deduction_id: Mapped[uuid.UUID | None] = mapped_column()
    requested_by: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
