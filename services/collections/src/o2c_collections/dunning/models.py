from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class NoticeStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class DunningPolicy(Base):
    """Levels (days past due, channel, template, minimum amount) for one customer segment."""

    __tablename__ = "dunning_policies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    segment: Mapped[str] = mapped_column(String(32), unique=True)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)


class DunningNotice(Base):
    """One notice per invoice and level: the unique constraint makes a run idempotent."""

    __tablename__ = "dunning_notices"
    __table_args__ = (UniqueConstraint("invoice_id", "level"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column()
    invoice_id: Mapped[uuid.UUID] = mapped_column()
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str | None] = mapped_column(String(254))
    amount_due: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[NoticeStatus] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StatementStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a statement could not be sent (the next run tries its slot again)."""

    NO_DUNNING_CONTACT = "no_dunning_contact"
    SMTP_REFUSED = "smtp_refused"
    SMTP_UNREACHABLE = "smtp_unreachable"
    TEMPLATE_MISSING = "template_missing"


class DunningTemplate(Base):
    """The subject and body of one template in one language (``str.format`` fields: see docs/collections.md)."""

    __tablename__ = "dunning_templates"

    template: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)


class DunningStatement(Base):
    """One statement per customer, currency, cycle and level, listing every overdue invoice: the unique slot makes
    runs idempotent and never skips a level; a failed one keeps its reason and is tried again by the next run."""

    __tablename__ = "dunning_statements"
    __table_args__ = (UniqueConstraint("customer_id", "currency", "cycle", "level",
                                       name="uq_dunning_statements_slot"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    cycle: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    total_due: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[StatementStatus] = mapped_column(String(16))
    failure_reason: Mapped[FailureReason | None] = mapped_column(String(32))
    failure_detail: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DunningStatementItem(Base):
    """An overdue invoice listed on a statement, with the amount asked for it."""

    __tablename__ = "dunning_statement_items"

    statement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dunning_statements.id", ondelete="CASCADE"),
                                                    primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date] = mapped_column(Date)
    days_past_due: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
