"""The reference rates kpi converts with: one row per base currency, quote currency and rate date.

Every rate is quoted as the ECB quotes it: units of ``quote`` for one unit of ``base`` (``EUR``), so
``1 EUR = 1.0705 USD`` is the row (EUR, USD, 2024-06-28, 1.0705). Cross rates go through the base (service.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base

BASE_CURRENCY = "EUR"
"""The currency every stored rate is quoted against (the ECB's reference rates are euro rates)."""


class RateSource(StrEnum):
    ECB = "ecb"  # imported from the ECB euro foreign exchange reference rates file
    MANUAL = "manual"  # set by hand (PUT /fx/rates/{date}/{currency}); an ECB import never overwrites it


class FxRate(Base):
    """One reference rate: ``rate`` units of ``quote`` per unit of ``base`` on ``rate_date``."""

    __tablename__ = "fx_rates"
    __table_args__ = (CheckConstraint("rate > 0", name="rate_positive"),)

    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate_date: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(24, 10))
    source: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def id(self) -> str:
        """The rate's identity in audit rows and ETags: ``EUR/USD/2024-06-28``."""
        return f"{self.base}/{self.quote}/{self.rate_date.isoformat()}"
