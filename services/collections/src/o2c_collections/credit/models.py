from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class HoldReason(StrEnum):
    """Why a customer was put on credit hold (``accounts.hold_reason``)."""

    OVER_CREDIT_LIMIT = "over_credit_limit"
    RISK_SCORE = "risk_score"
    BROKEN_PROMISES = "broken_promises"
    OVERDUE = "overdue"
    MANUAL = "manual"


class ReleaseReason(StrEnum):
    PAID_DOWN = "paid_down"
    LIMIT_RAISED = "limit_raised"
    RISK_IMPROVED = "risk_improved"
    MANUAL = "manual"


class CreditHoldRule(Base):
    """An automatic credit hold rule as data: every condition set must hold (over the credit limit, a risk score
    at or above a threshold) for the rule to place a hold; a hold it placed is released when no rule holds."""

    __tablename__ = "credit_hold_rules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    over_limit: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    min_risk_score: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
