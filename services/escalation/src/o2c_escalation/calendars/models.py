from __future__ import annotations

from datetime import date, time

from sqlalchemy import Integer, SmallInteger, String, Time
from sqlalchemy.dialects.postgresql import ARRAY, DATE
from sqlalchemy.orm import Mapped, mapped_column

from o2c_escalation.db import Base


class TeamCalendar(Base):
    """A team's business hours: IANA time zone, one shift per working day, holidays."""

    __tablename__ = "team_calendars"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    work_start: Mapped[time] = mapped_column(Time)
    work_end: Mapped[time] = mapped_column(Time)
    workdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    holidays: Mapped[list[date]] = mapped_column(ARRAY(DATE), default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
