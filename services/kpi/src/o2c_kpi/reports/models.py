"""Daily snapshots: each day's headline KPI values per scope, stored once per day."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class SnapshotRun(Base):
    """A day whose snapshot was taken: the run for a day happens once, whatever the replicas and restarts."""

    __tablename__ = "report_snapshot_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    values: Mapped[int] = mapped_column(Integer)


class SnapshotValue(Base):
    """One headline KPI of one day and scope (``global`` or ``team:<team>``)."""

    __tablename__ = "report_snapshot_values"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True, default="")
    dimension: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    unit: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
