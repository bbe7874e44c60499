from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class RiskModel(Base):
    """A late-payment model trained from the tenant's settled invoices (risk/model.py): its coefficients, the overall
    figures its features are smoothed toward, and its metrics. The latest trained one predicts."""

    __tablename__ = "risk_models"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    trained_by: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    trained_on: Mapped[int] = mapped_column(Integer)
    features: Mapped[list[str]] = mapped_column(JSONB)
    coefficients: Mapped[list[float]] = mapped_column(JSONB)  # intercept first, then one per feature
    base_late_share: Mapped[float] = mapped_column(Float)
    base_days_late: Mapped[float] = mapped_column(Float)
    base_days_when_late: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
