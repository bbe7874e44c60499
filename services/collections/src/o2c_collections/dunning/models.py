from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Integer, Numeric, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class NoticeStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class DunningPolicy(Base):
    """Levels (days past due, channel, template, minimum amount) for one customer segment."""

    __tablename__ = "dunning_policies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    segment: Mapped[str] = mapped_column(String(32), unique=True)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)


class DunningNotice(Base):
    """One notice per invoice and level: the unique constraint makes a run idempotent."""

    __tablename__ = "dunning_notices"
    __table_args__ = (UniqueConstraint("invoice_id", "level"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column()
    invoice_id: Mapped[uuid.UUID] = mapped_column()
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(254))
    amount_due: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[NoticeStatus] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
