from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Date, DateTime, Index, Integer, Numeric, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class EscalationRule(Base):
    """An overdue-escalation rule as data; every condition set must hold for a breach."""

    __tablename__ = "escalation_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    min_days_past_due: Mapped[int | None] = mapped_column(Integer)
    min_overdue_amount: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    min_broken_promises: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str | None] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer, default=1)


class BreachStatus(StrEnum):
    OPEN = "open"
    CLEARED = "cleared"


class Breach(Base):
    """A rule met by a customer; open while the condition holds. One event per breach: at most one open breach
    per rule, customer and currency (partial unique index), so a second run finds it and emits nothing."""

    __tablename__ = "escalation_breaches"
    __table_args__ = (Index("uq_escalation_breaches_open", "rule_id", "customer_id", "currency", unique=True,
                            postgresql_where=text("status = 'open'")),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[BreachStatus] = mapped_column(String(16))
    opened_on: Mapped[date] = mapped_column(Date)
    cleared_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
