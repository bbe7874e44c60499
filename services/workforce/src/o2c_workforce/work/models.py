from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class WorkItem(Base):
    """One item of a queue as other services' events tell it: arrived, then completed by an agent.

    Either fact may come first (topics are not ordered with each other); the item is keyed by process and the
    originating id, so a replay changes nothing."""

    __tablename__ = "work_items"
    __table_args__ = (UniqueConstraint("process", "item_key"),
                      Index("ix_work_items_agent_completed", "agent", "completed_at"),
                      Index("ix_work_items_open", "process", "owning_team", postgresql_where="completed_at IS NULL"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process: Mapped[str] = mapped_column(String(32))
    item_key: Mapped[str] = mapped_column(String(200))
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    agent: Mapped[str | None] = mapped_column(String(128))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handling_minutes: Mapped[int | None] = mapped_column(Integer)


class PortalOutcome(Base):
    """The portal's verdict on an invoice's first submission, attributed later to the invoice's preparer."""

    __tablename__ = "portal_outcomes"

    invoice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
