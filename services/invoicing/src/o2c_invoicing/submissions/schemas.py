from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from o2c_invoicing.submissions.models import SubmissionStatus


class Resubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    correction_note: str = Field(min_length=1, max_length=2000, description="What was corrected.")
    po_number: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="Corrected PO number, when the rejection was about it.")


class SubmissionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    attempt: int
    channel: str
    document_format: str
    portal_reference: str | None
    status: SubmissionStatus
    previous_submission_id: uuid.UUID | None
    correction_note: str | None
    polls: bool
    last_polled_at: datetime | None
    submitted_by: str
    submitted_at: datetime
