from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Date, DateTime, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


class Promise(Base):
    """A promise to pay an amount by a date; kept or broken is decided from cash applied."""

    __tablename__ = "promises"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(20, 6), default=Decimal(0))
    promised_date: Mapped[date] = mapped_column(Date)
    invoice_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[PromiseStatus] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(64))
    decided_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
