from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from o2c_workforce.db import Base


class StaffingModel(StrEnum):
    ERLANG_C = "erlang_c"
    """The desk: items wait in line for the next free agent; a service level is a share answered within a time."""
    WORKLOAD = "workload"
    """Back-office queues: the day's work divided by one agent's productive minutes."""


class Queue(Base):
    """The staffing parameters of one process's queue (for one team, or every team when none)."""

    __tablename__ = "capacity_queues"

    process: Mapped[str] = mapped_column(String(32), primary_key=True)
    owning_team: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[StaffingModel] = mapped_column(String(16))
    handling_minutes: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    """Average handling time; none: measured from the completed items."""
    open_hours: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal(8))
    shrinkage: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.3"))
    occupancy: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.85"))
    service_level: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(80))
    """Erlang C: percent of items to start within ``answer_minutes``."""
    answer_minutes: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(5))
    target_minutes: Mapped[int] = mapped_column(Integer, default=480)
    """The SLA target of one item's handling (minutes from arrival to completion), for SLA attainment."""
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
