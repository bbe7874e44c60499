from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base

MONEY = Numeric(20, 6)


class ImportStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"


class PaymentStatus(StrEnum):
    UNAPPLIED = "unapplied"
    PARTIALLY_APPLIED = "partially_applied"
    APPLIED = "applied"


class PaymentImport(Base):
    """One uploaded bank or remittance file, an import job: its lines are booked in the background in chunks
    (``processed_lines`` of ``total_lines``); its content hash makes a re-upload recognizable."""

    __tablename__ = "payment_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    file_format: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(String(255))
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[ImportStatus] = mapped_column(String(16))
    legal_entity: Mapped[str | None] = mapped_column(String(20))
    total_lines: Mapped[int] = mapped_column(Integer, default=0)
    processed_lines: Mapped[int] = mapped_column(Integer, default=0)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error_details: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    imported_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentImportLine(Base):
    """A parsed line of an import, waiting to be booked (the whole file is checked before any line is kept)."""

    __tablename__ = "payment_import_lines"

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payment_imports.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)


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
