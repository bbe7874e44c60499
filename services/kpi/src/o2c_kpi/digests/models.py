"""Digest subscriptions (who gets which review by e-mail, when) and their deliveries (each sent digest, once per
subscription and period when scheduled)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import ARRAY, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, Time, text
from sqlalchemy.orm import Mapped, mapped_column

from o2c_kpi.db import Base


class DeliveryTrigger(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"


class DigestSubscription(Base):
    __tablename__ = "digest_subscriptions"
    __table_args__ = (Index("ix_digest_subscriptions_team", "owning_team", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    owning_team: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str | None] = mapped_column(String(3))
    recipients: Mapped[list[str]] = mapped_column(ARRAY(Text))
    timezone: Mapped[str] = mapped_column(String(64))
    send_at: Mapped[time] = mapped_column(Time)
    weekday: Mapped[int | None] = mapped_column(Integer)
    working_day: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)



class DigestDelivery(Base):
    __tablename__ = "digest_deliveries"
    __table_args__ = (
        # a scheduled digest goes out once per subscription and period, whatever the replicas and restarts
        Index("uq_digest_deliveries_scheduled", "subscription_id", "review_date", unique=True,
              postgresql_where=text("trigger = 'scheduled'")),
        Index("ix_digest_deliveries_subscription", "subscription_id", "sent_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="CASCADE"))
    review_date: Mapped[date] = mapped_column(Date)
    period_label: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[int] = mapped_column(Integer)
    attached_pdf: Mapped[bool] = mapped_column(Boolean)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_by: Mapped[str] = mapped_column(String(128))
