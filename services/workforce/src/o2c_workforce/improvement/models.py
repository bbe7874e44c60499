from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class PlanStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PlanOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    EXTENDED = "extended"
    EXITED = "exited"


class ImprovementPlan(Base):
    """A performance improvement plan: goals, dates, periodic reviews and an outcome."""

    __tablename__ = "improvement_plans"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    owning_team: Mapped[str] = mapped_column(String(64), index=True)
    goals: Mapped[list[str]] = mapped_column(ARRAY(Text))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[PlanStatus] = mapped_column(String(16))
    outcome: Mapped[PlanOutcome | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PlanReview(Base):
    """A review of an improvement plan's progress."""

    __tablename__ = "improvement_plan_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("improvement_plans.id", ondelete="CASCADE"), index=True)
    review_date: Mapped[date] = mapped_column(Date)
    progress: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(128))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
