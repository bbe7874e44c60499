from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Date, DateTime, ForeignKey, Integer, SmallInteger, String, Text, Time, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class AgentRole(StrEnum):
    AGENT = "agent"
    SENIOR_AGENT = "senior_agent"
    TEAM_LEAD = "team_lead"
    QUALITY_REVIEWER = "quality_reviewer"


class Vendor(Base):
    """A BPO vendor organisation (or the company's own shared-service centre)."""

    __tablename__ = "vendors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Team(Base):
    """A team: its code is the ``team`` claim of its agents' tokens and the ``owning_team`` of other services."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    vendor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def owning_team(self) -> str:
        return self.code


class Agent(Base):
    """A person working O2C processes, with the shift calendar capacity planning rosters from."""

    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    owning_team: Mapped[str] = mapped_column(ForeignKey("teams.code"), index=True)
    role: Mapped[AgentRole] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    workdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=lambda: [1, 2, 3, 4, 5])
    shift_start: Mapped[time] = mapped_column(Time, default=time(9))
    shift_end: Mapped[time] = mapped_column(Time, default=time(17))
    leave_dates: Mapped[list[date]] = mapped_column(ARRAY(Date), default=list)
    start_date: Mapped[date] = mapped_column(Date)
    exit_date: Mapped[date | None] = mapped_column(Date)
    exit_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.exit_date is None or day < self.exit_date)

    def rostered_on(self, day: date) -> bool:
        """Active, working that weekday and not on leave."""
        return self.active_on(day) and day.isoweekday() in self.workdays and day not in self.leave_dates
