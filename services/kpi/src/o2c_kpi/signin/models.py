"""Revoked signed links: a link stays refused until it would have expired anyway."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class ReviewLinkRevocation(Base):
    __tablename__ = "review_link_revocations"

    signature_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the link's signature: the table never holds a usable link."""
    kind: Mapped[str] = mapped_column(String(64))
    period_date: Mapped[date] = mapped_column(Date)
    team: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(500))
