from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from o2c_escalation.db import Base


class Clock(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class TimerStatus(StrEnum):
    """running (``due_at`` set), paused (waiting on the requester), stopped (target met or the case left the
    clock's scope), expired (missed at L3: nothing left to escalate to)."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    EXPIRED = "expired"


class SlaPolicy(Base):
    """Acknowledge and resolve targets per severity, in business minutes of the owning team's calendar."""

    __tablename__ = "sla_policies"

    severity: Mapped[str] = mapped_column(String(2), primary_key=True)
    acknowledge_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class SlaTimer(Base):
    """A durable SLA clock of one case: swept by the worker when ``due_at`` passed (see :class:`TimerStatus`)."""

    __tablename__ = "sla_timers"
    __table_args__ = (
        UniqueConstraint("case_id", "clock"),
        Index("ix_sla_timers_due", "due_at", postgresql_where=text(f"status = '{TimerStatus.RUNNING}'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    clock: Mapped[Clock] = mapped_column(String(16))
    status: Mapped[TimerStatus] = mapped_column(String(16))
    team: Mapped[str] = mapped_column(String(64), doc="Whose calendar the clock counts in.")
    target_seconds: Mapped[int] = mapped_column(Integer)
    consumed_seconds: Mapped[int] = mapped_column(Integer, default=0)
    running_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
