from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RunRead(BaseModel):
    """One reconciliation run. `drifting`: invoices whose figures disagree now; `confirmed`: those disagreeing
    for longer than the grace (each has a `reconciliation.drift_detected` and an escalation case)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    started_at: datetime
    finished_at: datetime
    invoices: int = Field(description="Invoices compared (known to at least one service).")
    drifting: int
    confirmed: int
    amount_by_currency: dict[str, str] = Field(
        description="Per currency, the sum over drifting invoices of the largest difference between two services.")
    missing: dict[str, int] = Field(description="Drifting invoices one service does not know, per service.")
    requested_by: str


class DriftRead(BaseModel):
    """An invoice the services disagree about (amounts as decimal strings; null: that service has no figure)."""

    invoice_id: uuid.UUID
    invoice_number: str | None
    customer_id: str | None
    owning_team: str | None
    currency: str
    invoicing_open: str | None
    collections_open: str | None
    kpi_open: str | None
    invoicing_sequence: int | None = Field(description="Ledger entries invoicing has mirrored.")
    collections_entries: int | None = Field(description="Ledger entries collections posted.")
    missing_in: list[str]
    reasons: list[str] = Field(description="missing_in_<service>, currency, amount, sequence.")
    difference: Decimal = Field(description="The largest difference between two services' open amounts.")
    first_seen_at: datetime
    last_seen_at: datetime
    notified_at: datetime | None = Field(description="When the drift outlived the grace and was reported.")

    @classmethod
    def of(cls, row: Any) -> DriftRead:
        figures = row.figures
        return cls(invoice_id=row.invoice_id, invoice_number=row.invoice_number, customer_id=row.customer_id,
                   owning_team=row.owning_team, currency=row.currency, invoicing_open=figures.get("invoicing_open"),
                   collections_open=figures.get("collections_open"), kpi_open=figures.get("kpi_open"),
                   invoicing_sequence=figures.get("invoicing_sequence"),
                   collections_entries=figures.get("collections_entries"),
                   missing_in=figures.get("missing_in", []), reasons=figures.get("reasons", []),
                   difference=row.difference, first_seen_at=row.first_seen_at, last_seen_at=row.last_seen_at,
                   notified_at=row.notified_at)
