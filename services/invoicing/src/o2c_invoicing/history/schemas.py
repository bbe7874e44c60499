from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from o2c_invoicing.invoices.schemas import HistoricalInvoiceCreate

MAX_BATCH = 1000
"""Invoices per request (and the request body stays under ``http_max_body_bytes``, 1 MiB by default)."""


class HistoricalBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoices: list[HistoricalInvoiceCreate] = Field(min_length=1, max_length=MAX_BATCH, description=(
        "The invoices of one chunk, each the body of `POST /invoices/historical`. A row without `id` gets the "
        "uuid5 of its legal entity and number, so a re-sent chunk is recognized either way."))


class RowOutcome(StrEnum):
    CREATED = "created"
    EXISTING = "existing"  # the same id and number were loaded before: nothing written


class BatchRowRead(BaseModel):
    index: int = Field(description="The row's position in `invoices`.")
    id: uuid.UUID
    number: str
    legal_entity: str
    outcome: RowOutcome


class BatchRead(BaseModel):
    created: int
    existing: int
    results: list[BatchRowRead]
