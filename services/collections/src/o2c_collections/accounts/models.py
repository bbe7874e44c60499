from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, Numeric, String, func
from sqlalchemy.orm import Mapped, mapped_column

from o2c_collections.db import Base


class Account(Base):
    """A customer account as collections sees it: group parent, collector, credit limit, hold."""

    __tablename__ = "accounts"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    collector: Mapped[str | None] = mapped_column(String(64), index=True)
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    segment: Mapped[str] = mapped_column(String(32), default="standard", server_default="standard")
    # the account master (migration 0010): language of correspondence, who receives dunning, region
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    dunning_contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    region: Mapped[str | None] = mapped_column(String(32))
    credit_limit: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    credit_currency: Mapped[str | None] = mapped_column(String(3))
    on_hold: Mapped[bool] = mapped_column(default=False, server_default="false")
    hold_id: Mapped[uuid.UUID | None] = mapped_column()
    hold_reason: Mapped[str | None] = mapped_column(String(32))
    hold_placed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hold_rule_id: Mapped[str | None] = mapped_column(String(64))  # set when a credit hold rule placed the hold
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
