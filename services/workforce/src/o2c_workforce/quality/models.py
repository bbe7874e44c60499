from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, Numeric, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class SamplingMode(StrEnum):
    RATE = "rate"
    COUNT = "count"


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class SampleStatus(StrEnum):
    PENDING = "pending"
    REVIEWED = "reviewed"


class SamplingRule(Base):
    """Which completed items to review: a rate (percent of items) or a count per period, for a process and
    optionally one team or one agent; multiplied by ``boost`` for an agent on a plan or in hypercare."""

    __tablename__ = "sampling_rules"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    process: Mapped[str] = mapped_column(String(32), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(128))
    mode: Mapped[SamplingMode] = mapped_column(String(8))
    rate_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    count: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[Period] = mapped_column(String(8), default=Period.DAY)
    boost: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Checklist(Base):
    """The review checklist of a process (weighted items) and its defect taxonomy."""

    __tablename__ = "checklists"

    process: Mapped[str] = mapped_column(String(32), primary_key=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    defects: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    sop_code: Mapped[str | None] = mapped_column(String(64))
    """The SOP whose current version a defect's training need is on (none: the process's current SOP)."""
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Sample(Base):
    """A completed work item picked for review, and its review once scored."""

    __tablename__ = "quality_samples"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    work_item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), unique=True)
    process: Mapped[str] = mapped_column(String(32), index=True)
    agent: Mapped[str] = mapped_column(String(128), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    rule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sampling_rules.id", ondelete="SET NULL"))
    boosted: Mapped[bool] = mapped_column(Boolean, default=False)
    sampled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[SampleStatus] = mapped_column(String(16))
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    defects: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    reviewer: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
