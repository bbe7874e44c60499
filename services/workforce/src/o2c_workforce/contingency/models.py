from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class Trigger(StrEnum):
    ESCALATION_OPENED = "escalation_opened"
    SLA_BREACHED = "sla_breached"
    MANUAL = "manual"


class ContingencyPlan(Base):
    """What to do when a process is in trouble: a trigger, an owner and the steps."""

    __tablename__ = "contingency_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    process: Mapped[str] = mapped_column(String(32), index=True)
    trigger: Mapped[Trigger] = mapped_column(String(32))
    match: Mapped[str | None] = mapped_column(String(64))
    """escalation_opened: the case category (none: any); sla_breached: the metric (none: any)."""
    owner: Mapped[str] = mapped_column(String(128))
    steps: Mapped[list[str]] = mapped_column(ARRAY(Text))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Invocation(Base):
    """One invocation of a plan; an event's source key invokes a plan at most once (replays change nothing)."""

    __tablename__ = "contingency_invocations"
    __table_args__ = (UniqueConstraint("plan_id", "source_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contingency_plans.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[Trigger] = mapped_column(String(32))
    source_key: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    invoked_by: Mapped[str] = mapped_column(String(128))
    invoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
