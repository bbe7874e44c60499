from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class ImportStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"


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
