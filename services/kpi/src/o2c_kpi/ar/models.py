from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, Index, Numeric, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class ReceivableMovement(Base):
    """A change of AR taken from an event: + when an invoice is issued, - for cash applied and credits.

    AR as of day D is the sum of movements effective on or before D, so every figure can be rebuilt
    from the topics alone. ``resolved`` once the movement is added to the daily rollups (``o2c_kpi.facts``),
    which needs its invoice's due date and owning team: a payment applied before its invoice.issued arrived
    waits for it.
    """

    __tablename__ = "receivable_movements"
    __table_args__ = (Index("ix_receivable_movements_waiting", "invoice_id", postgresql_where=text("NOT resolved")),)

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True, default=0)
    invoice_id: Mapped[uuid.UUID] = mapped_column(index=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    legal_entity: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    effective_date: Mapped[date] = mapped_column(Date)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
