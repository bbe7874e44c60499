"""SLA tables of the kpi service: definitions (data), the outcomes and windows of rate SLAs, the durable
timers of time-based SLAs, and the breaches emitted (one row per breach key: the proof it was emitted)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Index, Integer, Numeric, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class ScopeType(StrEnum):
    """What an SLA is measured over: everything, or each legal entity, team or customer (or one of them)."""

    GLOBAL = "global"
    LEGAL_ENTITY = "legal_entity"
    TEAM = "team"
    CUSTOMER = "customer"


class Comparator(StrEnum):
    """How the measured value must compare with the target to meet it."""

    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"


class SlaUnit(StrEnum):
    PERCENT = "percent"
    BUSINESS_DAYS = "business_days"
    HOURS = "hours"
    DAYS = "days"  # level metrics: the KPI's own units
    MINUTES = "minutes"
    MONEY = "money"
    COUNT = "count"


class SlaWindowName(StrEnum):
    """The calendar window (UTC) a rate SLA is judged over; ``item`` for a timer SLA (one per subject)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    ITEM = "item"


class TimerStatus(StrEnum):
    """armed (``due_at`` pending) → met (closed in time), breached (fired), late (closed after firing) or
    cancelled (the subject went away, or its definition was deactivated or deleted)."""

    ARMED = "armed"
    MET = "met"
    BREACHED = "breached"
    LATE = "late"
    CANCELLED = "cancelled"


DECIDED_TIMER_STATUSES = (TimerStatus.MET, TimerStatus.BREACHED, TimerStatus.LATE)
"""Timers whose outcome counts in the attainment (met, or not)."""


class BreachStatus(StrEnum):
    BREACHED = "breached"
    RECOVERED = "recovered"


class SlaDefinition(Base):
    """An SLA as data: metric, scope, target, comparator, window, severity."""

    __tablename__ = "sla_definitions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    metric: Mapped[str] = mapped_column(String(64), index=True)
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str | None] = mapped_column(String(64), doc="None: each value of the scope type.")
    target: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    comparator: Mapped[str] = mapped_column(String(2))
    unit: Mapped[str] = mapped_column(String(16))
    window: Mapped[str] = mapped_column(String(16), doc="day, week, month, quarter; item for timers.")
    min_sample: Mapped[int] = mapped_column(Integer, default=1)
    severity: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SlaOutcome(Base):
    """One outcome of a rate metric taken from one event (met or missed), with the scopes it counts in.
    The primary key makes an event count once, whichever consumer reads it and how often."""

    __tablename__ = "sla_outcomes"
    __table_args__ = (Index("ix_sla_outcomes_metric_time", "metric", "occurred_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    met: Mapped[bool] = mapped_column(Boolean)
    owning_team: Mapped[str | None] = mapped_column(String(64))
    legal_entity: Mapped[str | None] = mapped_column(String(20))
    customer_id: Mapped[str | None] = mapped_column(String(64))


class SlaWindow(Base):
    """Running counts of a rate SLA for one scope and calendar window."""

    __tablename__ = "sla_windows"
    __table_args__ = (Index("ix_sla_windows_scope", "scope_type", "scope_value", "window_start"),)

    definition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str | None] = mapped_column(String(64))
    met_count: Mapped[int] = mapped_column(Integer, default=0)
    total_count: Mapped[int] = mapped_column(Integer, default=0)


class SlaTimer(Base):
    """A durable clock of a time-based SLA for one subject (a rejected submission, a dispute…).

    ``status``: armed (``due_at`` pending) → met (closed in time), breached (fired), late (closed after
    firing) or cancelled (the subject went away). A closing event seen before its opening one leaves a
    met row, so the late opening arms nothing.
    """

    __tablename__ = "sla_timers"
    __table_args__ = (
        Index("uq_sla_timers_subject", "definition_id", "subject_key", unique=True),
        Index("ix_sla_timers_due", "due_at", postgresql_where=text("status = 'armed'")),
        Index("ix_sla_timers_subject_id", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    definition_id: Mapped[str] = mapped_column(String(64))
    subject_key: Mapped[str] = mapped_column(String(96))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str | None] = mapped_column(String(64))
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[TimerStatus] = mapped_column(String(16))
    armed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SlaBreach(Base):
    """A breach emitted as ``sla.breached``: one row per breach key (definition, scope, window or subject),
    inserted with ``ON CONFLICT DO NOTHING`` in the transaction writing the outbox row, so a replay or a
    redelivery finds it and emits nothing. ``recovered_at`` is set once, with ``sla.recovered``."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        Index("ix_sla_breaches_time", "breached_at", "id"),
        Index("ix_sla_breaches_team", "owning_team", "breached_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    breach_key: Mapped[str] = mapped_column(String(240), unique=True)
    definition_id: Mapped[str] = mapped_column(String(64), index=True)
    sla_name: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    comparator: Mapped[str] = mapped_column(String(2))
    target: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    severity: Mapped[str] = mapped_column(String(2))
    scope_type: Mapped[str] = mapped_column(String(16))
    scope_value: Mapped[str | None] = mapped_column(String(64))
    owning_team: Mapped[str | None] = mapped_column(String(64))
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    status: Mapped[BreachStatus] = mapped_column(String(16))
    breached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recovered_actual: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))


class SlaLevelCheck(Base):
    """A closed window of a KPI-level SLA (DSO, CEI, auto-match…) judged once: the KPI's value over the window,
    and whether it met the target (None: the KPI had no value). A rerun of the step finds the row and skips."""

    __tablename__ = "sla_level_checks"

    definition_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(24, 6))
    met: Mapped[bool | None] = mapped_column(Boolean)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
