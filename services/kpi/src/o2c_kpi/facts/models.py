"""Read models of the KPI engine, built only from events (docs/kpi.md, "Read models").

Every table is either keyed by the event that wrote the row (inserted ON CONFLICT DO NOTHING) or an additive
rollup updated exactly once per fact, so redelivery changes nothing and arrival order does not matter:

- ``kpi_ar_invoices``: each receivable's dimensions and due date (from ``receivable.changed``);
- ``receivable_movements`` (``o2c_kpi.ar.models``): a copy of every AR ledger entry collections posted
  (``receivable.changed``, keyed by invoice and entry sequence): + issued, - cash applied, credit notes and
  write-offs, + cash unapplied, each with the amount the ledger posted; ``resolved`` once added to the rollups
  (every entry carries its invoice's due date, so it is at once; older rows could wait for their invoice);
- ``kpi_ar_daily_total`` / ``kpi_ar_daily``: those movements summed per owning team, day and kind, and per owning
  team, day, due date and kind: AR, current AR and aging as of any day D, and credit sales of any period,
  without reading one row per invoice (one customer's figures come from its own movements);
- ``kpi_daily_counts``: per metric and day, a count and a summed value (submissions, rejections by reason,
  resubmission delays, cash received and applied, disputes, escalations, promises…);
- ``kpi_open_item_movements``: opening (+) and closing (-) of open items — unapplied cash, deductions,
  disputes, escalation cases, portal rejections awaiting resubmission — for balances, ages and backlogs;
- ``kpi_invoice_milestones``: earliest approved, submitted, accepted and paid instants per invoice.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class MovementKind(StrEnum):
    """What changed an invoice's AR (``receivable_movements``, the daily rollups)."""

    INVOICE = "invoice"  # + issued (the credit sales of a period)
    CREDIT_NOTE = "credit_note"  # -
    CASH = "cash"  # - applied
    UNAPPLIED = "unapplied"  # + an application reversed
    WRITE_OFF = "write_off"  # - a deduction or dispute written off
    TOLERANCE_WRITE_OFF = "tolerance_write_off"  # - the small difference a payment left, written off on applying


class OpenItemKind(StrEnum):
    """What ``kpi_open_item_movements`` opens and closes."""

    UNAPPLIED_CASH = "unapplied_cash"
    DEDUCTION = "deduction"
    DISPUTE = "dispute"
    ESCALATION = "escalation"
    PORTAL_REJECTION = "portal_rejection"  # awaiting resubmission


class ArInvoice(Base):
    __tablename__ = "kpi_ar_invoices"
    __table_args__ = (Index("ix_kpi_ar_invoices_customer_id", "customer_id"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    legal_entity: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[str] = mapped_column(String(64))
    owning_team: Mapped[str] = mapped_column(String(64))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))


class ArDailyTotal(Base):
    """AR movements per day and kind, all due dates together; ``due_weight`` = sum of amount x (due date -
    2000-01-01 in days), from which the amount-weighted days past due of old AR follow without a scan."""

    __tablename__ = "kpi_ar_daily_total"

    legal_entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    owning_team: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(24, 6))
    due_weight: Mapped[Decimal] = mapped_column(Numeric(30, 6))


class ArDaily(Base):
    __tablename__ = "kpi_ar_daily"
    __table_args__ = (Index("ix_kpi_ar_daily_currency_due", "currency", "due_date", "day"),)

    legal_entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    owning_team: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(24, 6))


class DailyCount(Base):
    __tablename__ = "kpi_daily_counts"  # queries filter on metric and day: the primary key's first column serves

    metric: Mapped[str] = mapped_column(String(48), primary_key=True)
    legal_entity: Mapped[str] = mapped_column(String(20), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owning_team: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[Decimal] = mapped_column(Numeric(24, 6))


class OpenItemMovement(Base):
    __tablename__ = "kpi_open_item_movements"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    item_id: Mapped[str] = mapped_column(String(64))
    legal_entity: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    customer_id: Mapped[str] = mapped_column(String(64))
    owning_team: Mapped[str] = mapped_column(String(64))
    agent: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    opened_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    count: Mapped[int] = mapped_column(Integer)


class InvoiceMilestone(Base):
    __tablename__ = "kpi_invoice_milestones"

    invoice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str] = mapped_column(String(64))
    owning_team: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
