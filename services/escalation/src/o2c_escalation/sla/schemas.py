from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SlaPolicyWrite(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"acknowledge_minutes": 60, "resolve_minutes": 480}]})

    acknowledge_minutes: int = Field(ge=1, le=525_600, description="Business minutes to acknowledge.")
    resolve_minutes: int = Field(ge=1, le=525_600, description="Business minutes to resolve (pauses excluded).")


class SlaPolicyRead(SlaPolicyWrite):
    model_config = ConfigDict(from_attributes=True)

    severity: str
    version: int
