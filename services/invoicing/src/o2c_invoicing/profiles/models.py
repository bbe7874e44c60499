from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from o2c_invoicing.db import Base


class BillingProfile(Base):
    """How a customer is billed: entity, currency, terms, channel, the portal's rules, contacts, owning team."""

    __tablename__ = "billing_profiles"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    legal_entity: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms: Mapped[str] = mapped_column(String(16))
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    portal_account: Mapped[str | None] = mapped_column(String(128))
    portal_url: Mapped[str | None] = mapped_column(Text)
    polls: Mapped[bool] = mapped_column(default=False)
    peppol_participant_id: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(254))
    tax_id: Mapped[str | None] = mapped_column(String(64))
    # The buyer on e-invoices: postal address (EN16931 BG-8) and VAT treatment / registration (see
    # profiles.schemas.EInvoicing); both optional.
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    e_invoicing: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    owning_team: Mapped[str | None] = mapped_column(String(64), index=True)
    account_version: Mapped[int | None] = mapped_column(Integer)
    """The collections account master's version the owning team was copied from (account.updated)."""
    billing_cadence: Mapped[str | None] = mapped_column(String(24))
    billing_lag_days: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())

    __mapper_args__ = {"version_id_col": version}
