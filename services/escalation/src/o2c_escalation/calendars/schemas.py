from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class CalendarWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "time_zone": "Asia/Kolkata", "work_start": "13:00", "work_end": "23:00", "workdays": [1, 2, 3, 4, 5],
            "holidays": ["2026-01-26", "2026-08-15"],
        }]},
    )

    time_zone: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Warsaw.")
    work_start: time = Field(description="Local start of the daily shift.")
    work_end: time = Field(description="Local end; at or before work_start means the shift ends the next day.")
    workdays: list[int] = Field(min_length=1, max_length=7, description="ISO weekdays: 1 Monday … 7 Sunday.")
    holidays: list[date] = Field(default_factory=list, max_length=1000, description="Local dates without a shift.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("workdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 1 or d > 7 for d in value) or len(set(value)) != len(value):
            raise ValueError("workdays are distinct ISO weekdays 1..7")
        return sorted(value)

    @model_validator(mode="after")
    def _shift_has_length(self) -> CalendarWrite:
        if self.work_start == self.work_end:
            raise ValueError("work_start and work_end must differ")
        if self.work_start.tzinfo is not None or self.work_end.tzinfo is not None:
            raise ValueError("work_start and work_end are local wall-clock times without offset")
        return self


class CalendarRead(CalendarWrite):
    model_config = ConfigDict(from_attributes=True)

    team: str
    version: int
