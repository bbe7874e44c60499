from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from o2c_invoicing.invoices.schemas import InvoiceCreate


class RebillCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corrected: InvoiceCreate = Field(description="The replacing invoice, as it should have been.")
    reason: str = Field(min_length=1, max_length=2000)


class RebillRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    invoice_id: uuid.UUID
    corrected: dict[str, Any]
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    credit_note_id: uuid.UUID | None
    new_invoice_id: uuid.UUID | None
