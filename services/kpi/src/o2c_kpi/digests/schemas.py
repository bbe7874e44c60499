from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from o2c_kpi.reports.schemas import ReportKind

EMAIL = r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$"
Address = Annotated[str, Field(max_length=254, pattern=EMAIL)]
LocalTime = Annotated[time, PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
                      WithJsonSchema({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
                                      "examples": ["07:30"]})]
"""A local time of day, ``HH:MM`` (no offset: the zone is the subscription's)."""
MAX_RECIPIENTS = 100
"""The schema's bound; KPI_DIGEST_MAX_RECIPIENTS (default 20) is the service's."""


class DigestWrite(BaseModel):
    """A subscription: which review (kind, team, reporting currency), to whom, and when — the daily huddle every day
    at ``send_at``, the weekly cadence on ``weekday`` (1 = Monday), the MBR on the ``working_day``-th working day of
    the month and the QBR on that working day of the quarter; local time in ``timezone``. Each digest is the review
    of the last complete period (yesterday, last week, last month, last quarter)."""

    model_config = ConfigDict(extra="forbid")

    kind: ReportKind
    team: str | None = Field(default=None, min_length=1, max_length=64)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="The reporting currency.")
    recipients: list[Address] = Field(min_length=1, max_length=MAX_RECIPIENTS,
                                      description="E-mail addresses (each once).")
    timezone: str = Field(default="UTC", max_length=64, description="IANA time zone: Europe/Berlin …")
    send_at: LocalTime = Field(default=time(7, 0), description="Local time of day the digest goes out (HH:MM).")
    weekday: int | None = Field(default=None, ge=1, le=7, description="Weekly cadence only: 1 = Monday … 7.")
    working_day: int | None = Field(default=None, ge=1, le=20, description=(
        "MBR and QBR only: the Nth working day (Monday to Friday, without KPI_SLA_HOLIDAYS) of the month / quarter."))
    active: bool = True

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        if len({a.lower() for a in value}) != len(value):
            raise ValueError("each recipient is listed once")
        return value

    @field_validator("send_at")
    @classmethod
    def _local(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("send_at is a local time without an offset: the zone is `timezone`")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value[:64]!r} is not an IANA time zone") from None
        if value not in available_timezones() and value != "UTC":
            raise ValueError(f"{value[:64]!r} is not an IANA time zone")
        return value


class DigestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ReportKind
    team: str | None = Field(validation_alias="owning_team")
    currency: str | None
    recipients: list[str]
    timezone: str
    send_at: LocalTime
    weekday: int | None
    working_day: int | None
    active: bool
    schedule: str = Field(default="", description="The schedule as a person reads it.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    review_date: date = Field(description="The day the review was built for (the last day of its period).")
    period_label: str
    trigger: str = Field(description="scheduled or manual (POST /digests/{id}/send).")
    recipients: int
    attached_pdf: bool
    sent_at: datetime
    sent_by: str
