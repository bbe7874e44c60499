"""Read models of the operations data the reviews show (quality, Pareto, open work, capacity outlook), built by
the ``kpi-operations`` consumer group from other services' events only (written per unit of work in one
statement per table: :class:`o2c_kpi.operations.repository.OpsBatch`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Index, Numeric, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class OpsVendor(Base):
    """A vendor organisation's readable name (workforce ``vendor.changed``)."""

    __tablename__ = "kpi_ops_vendors"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class OpsTeam(Base):
    """Which vendor a team belongs to (workforce ``team.changed``); none: an internal team."""

    __tablename__ = "kpi_ops_teams"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    vendor_code: Mapped[str | None] = mapped_column(String(64))


class OpsQualityReview(Base):
    """One scored sample (workforce ``quality.reviewed``); a second review of the sample replaces the first."""

    __tablename__ = "kpi_ops_quality_reviews"
    __table_args__ = (Index("ix_kpi_ops_quality_reviews_reviewed_at", "reviewed_at"),)

    sample_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    process: Mapped[str] = mapped_column(String(32))
    agent: Mapped[str] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    defects: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    """``[{"code", "category", "label"}]``: the taxonomy's category and label when the event carried them."""
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OpsRejection(Base):
    """One portal rejection of a submission (invoicing ``invoice.portal_rejected``)."""

    __tablename__ = "kpi_ops_rejections"
    __table_args__ = (Index("ix_kpi_ops_rejections_rejected_at", "rejected_at"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column()
    owning_team: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    root_cause: Mapped[str] = mapped_column(String(32))
    portal_reason_code: Mapped[str] = mapped_column(String(64))
    reason_text: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OpsDispute(Base):
    """A dispute from its opening to its resolution with a root cause (collections ``dispute.*``)."""

    __tablename__ = "kpi_ops_disputes"
    __table_args__ = (Index("ix_kpi_ops_disputes_resolved_at", "resolved_at"),)

    dispute_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owning_team: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    reason: Mapped[str] = mapped_column(String(32))
    root_cause: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OpsCase(Base):
    """An escalation case from its opening to its resolution (escalation ``escalation.*``)."""

    __tablename__ = "kpi_ops_cases"
    __table_args__ = (Index("ix_kpi_ops_cases_team", "owning_team", "opened_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(4))
    owning_team: Mapped[str] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OpsAction(Base):
    """A corrective or preventive action of an escalation case (escalation ``case_action.changed``)."""

    __tablename__ = "kpi_ops_actions"
    __table_args__ = (Index("ix_kpi_ops_actions_team", "owning_team", "created_at"),)

    action_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column()
    case_number: Mapped[str] = mapped_column(String(40))
    owning_team: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(128))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OpsCapacityOutlook(Base):
    """The latest capacity outlook of one queue (workforce ``capacity.outlook_published``); ``team`` is empty for
    a queue of every team."""

    __tablename__ = "kpi_ops_capacity_outlooks"

    process: Mapped[str] = mapped_column(String(32), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), primary_key=True, server_default=text("''"))
    model: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    days: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
