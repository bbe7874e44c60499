from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

AMENDABLE = ("po_number", "buyer_reference", "service_period_start", "service_period_end", "attachments")
"""Header fields that carry no money: anything else is credit and rebill."""
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    media_type: str = Field(default="application/pdf", max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")
    content_base64: str = Field(min_length=1, max_length=MAX_ATTACHMENT_BYTES * 4 // 3 + 4)


class AmendableFields(BaseModel):
    """The corrected values (only the fields sent change; null clears one)."""

    model_config = ConfigDict(extra="forbid")

    po_number: str | None = Field(default=None, max_length=64)
    buyer_reference: str | None = Field(default=None, max_length=64)
    service_period_start: date | None = None
    service_period_end: date | None = None
    attachments: list[AttachmentIn] | None = Field(default=None, max_length=10,
                                                   description="Added to the invoice's attachments.")


class AmendmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"changes": {"po_number": "PO-4711"}, "reason": "portal rejected: PO missing"}]})

    changes: dict[str, Any] = Field(min_length=1, description=f"Any of {', '.join(AMENDABLE)}.")
    reason: str = Field(min_length=1, max_length=2000)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _note_when_refused(self) -> Decision:
        if not self.approve and not self.note:
            raise ValueError("a refusal needs a note")
        return self


class FieldChangeRead(BaseModel):
    field: str
    before: str | None
    after: str | None


class AmendmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    invoice_id: uuid.UUID
    changes: list[FieldChangeRead]
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    document_version: int | None
