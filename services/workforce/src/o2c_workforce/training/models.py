from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class TrainingReason(StrEnum):
    SOP_VERSION = "sop_version"
    ONBOARDING = "onboarding"
    QUALITY_DEFECT = "quality_defect"
    MANUAL = "manual"


class TrainingStatus(StrEnum):
    ASSIGNED = "assigned"
    COMPLETED = "completed"


class Sop(Base):
    """A standard operating procedure and the processes it covers."""

    __tablename__ = "sops"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    processes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SopVersion(Base):
    """A version of an SOP, in force from its effective date until the next version's."""

    __tablename__ = "sop_versions"
    __table_args__ = (UniqueConstraint("sop_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sop_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sops.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    published_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TrainingAssignment(Base):
    """An agent's training on one SOP version: assigned, then completed."""

    __tablename__ = "training_assignments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    owning_team: Mapped[str] = mapped_column(String(64), index=True)
    sop_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sop_versions.id", ondelete="CASCADE"), index=True)
    reason: Mapped[TrainingReason] = mapped_column(String(16))
    defect_code: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TrainingStatus] = mapped_column(String(16))
    assigned_by: Mapped[str] = mapped_column(String(128))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class UntrainedWorkFlag(Base):
    """An agent worked a process whose current SOP version it had not completed: one flag per agent, version and
    process, counting the items worked until the training is completed (then ``cleared_at``)."""

    __tablename__ = "untrained_work_flags"
    __table_args__ = (UniqueConstraint("agent_id", "sop_version_id", "process"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    owning_team: Mapped[str] = mapped_column(String(64), index=True)
    process: Mapped[str] = mapped_column(String(32))
    sop_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sop_versions.id", ondelete="CASCADE"))
    first_item_key: Mapped[str] = mapped_column(String(200))
    items: Mapped[int] = mapped_column(Integer, default=1)
    flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
