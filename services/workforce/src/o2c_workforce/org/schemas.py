from __future__ import annotations

import uuid
from datetime import date, time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from o2c_workforce.org.models import AgentRole
from o2c_workforce.processes import Process

Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")


def _local(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a shift time is a local wall-clock time, without offset")
    return value


WallClock = Annotated[time, AfterValidator(_local), WithJsonSchema(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
     "examples": ["09:00"]})]
"""A local time of day such as ``09:00`` (the team's time zone), never with an offset."""


class VendorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "acme-bpo",
                                                                              "name": "Acme BPO Services"}]})

    code: str = Code
    name: str = Field(min_length=1, max_length=200)


class VendorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    version: int


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "vendor-a", "name": "Acme Manila billing", "vendor_code": "acme-bpo", "time_zone": "Asia/Manila"}]})

    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    vendor_code: str | None = Field(default=None, description="None for an internal team.")
    time_zone: str = Field(default="UTC", max_length=64)


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    vendor_id: uuid.UUID | None
    time_zone: str
    version: int


class Shift(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workdays: list[int] = Field(default=[1, 2, 3, 4, 5], description="ISO weekdays worked: 1 Monday … 7 Sunday.")
    shift_start: WallClock = time(9)
    shift_end: WallClock = time(17)
    leave_dates: list[date] = Field(default=[], description="Days off (leave, local holidays).")

    @model_validator(mode="after")
    def _valid(self) -> Shift:
        if not self.workdays or any(d < 1 or d > 7 for d in self.workdays):
            raise ValueError("workdays are ISO weekdays 1 (Monday) to 7 (Sunday), at least one")
        if self.shift_end <= self.shift_start:
            raise ValueError("shift_end must be after shift_start")
        return self


class AgentCreate(Shift):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "subject": "maria.santos", "name": "Maria Santos", "team": "vendor-a", "role": "agent",
        "skills": ["invoice_preparation", "invoice_submission"], "languages": ["en", "es"], "regions": ["NA"],
        "start_date": "2026-09-01"}]})

    subject: str = Field(min_length=1, max_length=128, description="The login other services' events name.")
    name: str = Field(min_length=1, max_length=200)
    team: str = Code
    role: AgentRole = AgentRole.AGENT
    skills: list[Process] = []
    languages: list[str] = Field(default=[], max_length=20)
    regions: list[str] = Field(default=[], max_length=20)
    start_date: date


class AgentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    team: str | None = Field(default=None, min_length=1, max_length=64)
    role: AgentRole | None = None
    skills: list[Process] | None = None
    languages: list[str] | None = None
    regions: list[str] | None = None
    shift: Shift | None = None
    exit_date: date | None = Field(default=None, description="Last day + 1: the agent leaves the roster from it.")
    exit_reason: str | None = Field(default=None, max_length=2000)


class AgentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject: str
    name: str
    team: str = Field(validation_alias="owning_team")
    role: AgentRole
    skills: list[str]
    languages: list[str]
    regions: list[str]
    workdays: list[int]
    shift_start: WallClock
    shift_end: WallClock
    leave_dates: list[date]
    start_date: date
    exit_date: date | None
    exit_reason: str | None
    version: int
