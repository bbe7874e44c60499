"""Events published by the kpi service.

An SLA breach is identified by ``breach_key`` (SLA, scope and window; or SLA and subject for
time-based SLAs such as "a rejection resubmitted within one business day"). It is the Kafka key, so
a breach and its recovery stay ordered, and consumers use it to open one case per breach.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from o2c_common.events.base import EventPayload, event
from o2c_common.events.types import (
    CustomerId,
    Measure,
    Severity,
    TeamName,
    UtcDatetime,
)

ScopeType = Literal["global", "legal_entity", "region", "team", "vendor", "customer"]
Comparator = Literal["lt", "le", "gt", "ge", "eq"]


class _SlaFact(EventPayload):
    breach_key: str = Field(description="Stable identity of the breach: same key on replay, never reused.")
    breach_id: uuid.UUID = Field(description="Stable UUID of this breach, the same on replay.")
    sla_id: str
    sla_name: str
    metric: str = Field(description="KPI metric name, e.g. first_pass_acceptance_rate, time_to_resubmit.")
    unit: str = Field(description="Unit of target and actual, e.g. percent, days, business_hours, count.")
    scope_type: ScopeType
    scope_value: str | None = Field(default=None, description="Entity, region, team, vendor or customer id.")
    subject_type: str | None = Field(default=None, description="For per-item SLAs: e.g. invoice, case.")
    subject_id: str | None = None
    comparator: Comparator = Field(description="How actual must compare to target to meet the SLA.")
    target: Measure
    severity: Severity
    owning_team: TeamName | None = None
    window_start: UtcDatetime
    window_end: UtcDatetime


@event("sla.breached", producer="kpi", key="breach_key")
class SlaBreached(_SlaFact):
    """An SLA target was missed for a scope and window (emitted once, never repeated on replay)."""

    actual: Measure | None = Field(default=None, description="Measured value; None if time simply ran out.")
    breached_at: UtcDatetime


@event("sla.recovered", producer="kpi", key="breach_key")
class SlaRecovered(_SlaFact):
    """A previously breached SLA is met again for the same scope and window."""

    actual: Measure
    breached_at: UtcDatetime
    recovered_at: UtcDatetime


class _DriftFact(EventPayload):
    drift_key: str = Field(description="invoice:<invoice id>: one drift per invoice until it clears.")
    invoice_id: uuid.UUID
    invoice_number: str | None = None
    customer_id: CustomerId | None = None
    owning_team: TeamName | None = None
    currency: str
    invoicing_open: Measure | None = Field(default=None, description="None: the invoice is missing there.")
    collections_open: Measure | None = None
    kpi_open: Measure | None = None
    missing_in: tuple[str, ...] = ()
    first_seen_at: UtcDatetime


@event("reconciliation.drift_detected", producer="kpi", key="drift_key")
class ReconciliationDriftDetected(_DriftFact):
    """Invoicing, collections and kpi disagree about what an invoice still owes, for longer than the grace."""

    detected_at: UtcDatetime


@event("reconciliation.drift_cleared", producer="kpi", key="drift_key")
class ReconciliationDriftCleared(_DriftFact):
    """The services agree again about an invoice that drifted."""

    cleared_at: UtcDatetime


@event("fx.rates_changed", producer="kpi", key="fx_key")
class FxRatesChanged(EventPayload):
    """FX reference rates were imported (the ECB file) or set by hand: consolidated figures may read differently."""

    fx_key: str = Field(description="fx:<base currency>: the rate changes of one base stay ordered.")
    base: str = Field(description="The currency the rates are quoted against (EUR: units of quote per euro).")
    source: Literal["ecb", "manual"]
    first_date: date
    last_date: date
    currencies: tuple[str, ...] = Field(description="Quote currencies of the imported file or the hand-set rate.")
    inserted: int = Field(ge=0)
    updated: int = Field(ge=0)
    changed_by: str
    changed_at: UtcDatetime
