"""What the reconciliation keeps: one row per run, and one row per invoice that drifts (kept after it clears)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Index, Integer, Numeric, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class ReconRun(Base):
    """One comparison of every invoice: how many were compared, how many disagree, by how much per currency."""

    __tablename__ = "recon_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    invoices: Mapped[int] = mapped_column(Integer)
    drifting: Mapped[int] = mapped_column(Integer)
    confirmed: Mapped[int] = mapped_column(Integer)
    amount_by_currency: Mapped[dict[str, Any]] = mapped_column(JSONB)
    missing: Mapped[dict[str, Any]] = mapped_column(JSONB)
    requested_by: Mapped[str] = mapped_column(String(128))


class ReconDrift(Base):
    """An invoice the services disagree about. ``first_seen_at`` starts the grace; ``notified_at`` is set when
    ``reconciliation.drift_detected`` was emitted; ``cleared_at`` when the figures agree again (a later drift of
    the same invoice starts over)."""

    __tablename__ = "recon_drifts"
    __table_args__ = (Index("ix_recon_drifts_open", "owning_team", "currency",
                            postgresql_where=text("cleared_at IS NULL")),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    invoice_number: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    owning_team: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB)
    difference: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
