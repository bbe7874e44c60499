from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class HypercareWindow(Base):
    """A newly transitioned team or process under hypercare: tighter SLA targets and a daily review while it runs."""

    __tablename__ = "hypercare_windows"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owning_team: Mapped[str] = mapped_column(ForeignKey("teams.code"), index=True)
    process: Mapped[str | None] = mapped_column(String(32))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    target_minutes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    """process → handling-time target in minutes while the window runs (tighter than the queue's)."""
    sampling_boost: Mapped[int] = mapped_column(Integer, default=2)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def running_on(self, day: date) -> bool:
        return self.closed_at is None and self.starts_on <= day <= self.ends_on


class HypercareReview(Base):
    """The daily review of a hypercare window."""

    __tablename__ = "hypercare_reviews"
    __table_args__ = (UniqueConstraint("window_id", "review_date"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    window_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hypercare_windows.id", ondelete="CASCADE"), index=True)
    review_date: Mapped[date] = mapped_column(Date)
    findings: Mapped[str] = mapped_column(Text)
    actions: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(128))
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
