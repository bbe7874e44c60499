from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from o2c_escalation.cases.states import CaseStatus, Tier
from o2c_escalation.db import Base

OPEN_SOURCE_KEY_PREDICATE = f"source_key IS NOT NULL AND status <> '{CaseStatus.CLOSED}'"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # One case per source key until it is closed: duplicate or replayed facts never open a second one.
        Index("uq_cases_open_source_key", "source_key", unique=True,
              postgresql_where=text(OPEN_SOURCE_KEY_PREDICATE)),
        Index("ix_cases_status_opened_at", "status", "opened_at"),
        Index("ix_cases_assignee", "assignee"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    requester: Mapped[str] = mapped_column(Text, index=True)
    requester_function: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(2))
    tier: Mapped[Tier] = mapped_column(String(2))
    owning_team: Mapped[str] = mapped_column(String(64), index=True)
    l1_team: Mapped[str] = mapped_column(String(64), index=True, server_default="l1-desk")
    assignee: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    legal_entity: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(32))
    invoice_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    source: Mapped[str] = mapped_column(String(32))
    source_key: Mapped[str | None] = mapped_column(String(300))
    source_event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[CaseStatus] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    acknowledge_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolve_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None] = mapped_column(String(32))
    root_cause: Mapped[str | None] = mapped_column(String(64))
    breach_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopened_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    contingency_plan_url: Mapped[str | None] = mapped_column(Text)
    contingency_plan_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> str:
        return f"ESC-{self.seq:07d}"


class StatusChange(Base):
    """Append-only status history of a case."""

    __tablename__ = "case_status_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[CaseStatus | None] = mapped_column(String(32))
    to_status: Mapped[CaseStatus] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OwnershipChange(Base):
    """Append-only ownership history: tier, team and assignee over time (routing, escalation, assignment)."""

    __tablename__ = "case_ownership_changes"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    tier: Mapped[Tier] = mapped_column(String(2))
    team: Mapped[str] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
