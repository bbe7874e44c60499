"""The cash on the books: a payment with its remittance and the applications of its cash to invoices. Payments
come in through ``payments/`` (the API, bank files); this folder owns what happens to their cash."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import MONEY, Base


class PaymentStatus(StrEnum):
    UNAPPLIED = "unapplied"
    PARTIALLY_APPLIED = "partially_applied"
    APPLIED = "applied"


class Payment(Base):
    """Cash received; ``unapplied_amount`` is what the engine or a person has not applied yet."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    legal_entity: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payer_name: Mapped[str | None] = mapped_column(String(200))
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    unapplied_amount: Mapped[Decimal] = mapped_column(MONEY)
    value_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    import_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_imports.id"))
    status: Mapped[PaymentStatus] = mapped_column(String(24))
    candidates: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    explanation: Mapped[str | None] = mapped_column(Text)
    # the decision's evidence: every remittance field read, the rule, the invoice named, used or rejected and why
    evidence: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list, server_default="[]")
    version: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RemittanceLine(Base):
    """What the payer said the cash is for: a reference (invoice number), an amount, a reason."""

    __tablename__ = "remittance_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)  # the free text the reference was read from (camt Ustrd, BAI2 88)


class Application(Base):
    """Cash of one payment applied to one invoice, with the rule and confidence that decided it."""

    __tablename__ = "applications"
    __mapper_args__ = {"eager_defaults": True}  # applied_at comes back with the INSERT (RETURNING), not read later

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("open_items.invoice_id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    rule: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    explanation: Mapped[str | None] = mapped_column(Text)
    applied_date: Mapped[date] = mapped_column(Date)
    applied_by: Mapped[str | None] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reversed_by: Mapped[str | None] = mapped_column(String(64))


class PatternKind(StrEnum):
    ALIAS = "alias"  # the payer's name on bank statements: cash from it is the customer's
    REFERENCE_FORMAT = "reference_format"  # the payer's way of writing the customer's invoice numbers


class Pattern(Base):
    """What a person's manual application taught about a payer: an alias (``value``: its normalised name) or a
    reference format (``value``: the regex of :class:`~o2c_collections.cashapp.references.Format`, ``number`` and
    ``width`` the invoice number it stands for), with the example it was learned from. Removable."""

    __tablename__ = "cashapp_patterns"
    __table_args__ = (UniqueConstraint("customer_id", "kind", "value", name="uq_cashapp_patterns_customer_kind_value"),
                      Index("ix_cashapp_patterns_alias", "kind", "value"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[PatternKind] = mapped_column(String(24))
    value: Mapped[str] = mapped_column(String(200))
    number: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    example: Mapped[str] = mapped_column(String(200))
    invoice_number: Mapped[str] = mapped_column(String(40))
    payment_id: Mapped[uuid.UUID] = mapped_column()
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    learned_by: Mapped[str] = mapped_column(String(64))
    learned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
