from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Action = Literal["acknowledge", "start", "wait_on_requester", "resume", "resolve", "close", "reopen"]
Resolution = Literal["fixed", "workaround", "no_action_needed", "duplicate", "cannot_fix"]


class TransitionWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"action": "acknowledge"},
                                        {"action": "resolve", "resolution": "fixed", "root_cause": "po_mismatch",
                                         "note": "PO corrected, invoice resubmitted"}]},
    )

    action: Action
    note: str | None = Field(default=None, max_length=2000)
    resolution: Resolution | None = Field(default=None, description="Required to resolve.")
    root_cause: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$",
                                   description="A root-cause code such as po_mismatch (resolve only).")

    @model_validator(mode="after")
    def _resolution_with_resolve(self) -> TransitionWrite:
        if self.action == "resolve" and self.resolution is None:
            raise ValueError("resolution is required to resolve a case")
        if self.action != "resolve" and (self.resolution is not None or self.root_cause is not None):
            raise ValueError("resolution and root_cause are only given to resolve a case")
        return self


class EscalateWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "customer CFO involved"}]})

    reason: str = Field(min_length=1, max_length=500)
