from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from o2c_common.events.types import Measure, Severity
from o2c_kpi.sla.metrics import METRICS, UNITS, WINDOWS, MetricKind, MetricName
from o2c_kpi.sla.models import BreachStatus, Comparator, ScopeType, SlaUnit, SlaWindowName


def plain(value: Decimal) -> Decimal:
    """``75.000000`` (as stored) → ``75``: a target reads back as it was written."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


Target = Annotated[Measure, AfterValidator(plain)]
Actual = Annotated[Measure, AfterValidator(cents)]
"""A measured percent or duration: 2 decimals, like the KPIs."""

_EXAMPLE: dict[str, Any] = {
    "id": "first-pass-acceptance-weekly", "name": "First-pass portal acceptance per vendor team, weekly",
    "metric": "first_pass_acceptance_rate", "scope_type": "team", "scope_value": None, "target": "95",
    "comparator": "ge", "unit": "percent", "window": "week", "min_sample": 20, "severity": "P3", "active": True,
}


class SlaDefinitionWrite(BaseModel):
    """Rate metrics: a percent target over a calendar window (UTC). Timer metrics: a duration target
    (business days or hours) per item (window ``item``, comparator ``le``). Level metrics (any KPI: DSO, CEI,
    auto-match rate, unapplied cash…): a target in the KPI's unit, judged once per closed calendar window (per
    currency for KPIs in money or per currency)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {k: v for k, v in _EXAMPLE.items() if k != "id"}]})

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    metric: MetricName
    scope_type: ScopeType
    scope_value: str | None = Field(default=None, min_length=1, max_length=64,
                                    description="One entity, team or customer; null: each of them separately.")
    target: Measure
    comparator: Comparator
    unit: SlaUnit
    window: SlaWindowName
    min_sample: int = Field(default=1, ge=1, le=100_000,
                            description="Rate SLAs: outcomes a window needs before it can breach.")
    severity: Severity
    active: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> SlaDefinitionWrite:
        kind = METRICS[self.metric].kind
        if self.scope_type == ScopeType.GLOBAL and self.scope_value is not None:
            raise ValueError("a global SLA has no scope_value")
        if kind == MetricKind.LEVEL:
            unit = METRICS[self.metric].unit
            if self.unit != unit or self.window not in WINDOWS[kind]:
                raise ValueError(f"the KPI {self.metric} is measured in {unit}: it needs unit '{unit}' and a day, "
                                 "week, month or quarter window")
            if self.unit == SlaUnit.PERCENT and not 0 <= self.target <= 100:
                raise ValueError("a percent target lies between 0 and 100")
        elif kind == MetricKind.RATE:
            if self.unit not in UNITS[kind] or self.window not in WINDOWS[kind]:
                raise ValueError("a rate metric needs unit 'percent' and a day, week, month or quarter window")
            if not 0 <= self.target <= 100:
                raise ValueError("a percent target lies between 0 and 100")
        else:
            if self.unit not in UNITS[kind] or self.window not in WINDOWS[kind] or self.comparator != Comparator.LE:
                raise ValueError("a timer metric needs unit 'business_days' or 'hours', window 'item' and comparator"
                                 " 'le'")
            if not 0 < self.target <= 8760:
                raise ValueError("a duration target lies between 0 (excluded) and 8760")
            if self.unit == SlaUnit.BUSINESS_DAYS and self.target != self.target.to_integral_value():
                raise ValueError("a business-day target is a whole number of days")
        return self


class SlaDefinitionCreate(SlaDefinitionWrite):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")


class SlaDefinitionRead(SlaDefinitionCreate):
    model_config = ConfigDict(from_attributes=True)

    target: Target

    version: int
    created_at: datetime
    updated_at: datetime


class SlaBreachRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    breach_key: str
    definition_id: str
    sla_name: str
    metric: str
    unit: str
    comparator: str
    target: Target
    severity: Severity
    scope_type: str
    scope_value: str | None
    owning_team: str | None
    subject_type: str | None
    subject_id: str | None
    window_start: datetime
    window_end: datetime
    actual: Actual | None
    status: BreachStatus
    breached_at: datetime
    recovered_at: datetime | None
    recovered_actual: Actual | None


class SlaAttainment(BaseModel):
    definition_id: str
    name: str
    metric: str
    target: Target
    comparator: str
    unit: str
    met: int = Field(description="Windows (rate SLAs) starting in the period that met the target and never "
                     "breached, or items (timer SLAs) closed in time in the period.")
    total: int = Field(description="met + breaches.")
    breaches: int = Field(default=0, description="The team's breaches of this SLA in the period (open or "
                          "recovered since).")
    attainment_percent: Measure | None = Field(description="met / total x 100, 2 decimals; null when total is 0.")


class SlaAttainmentRead(BaseModel):
    team: str
    period: str
    start: date
    end: date = Field(description="Last day of the period.")
    definitions: list[SlaAttainment]


class SlaMetricRead(BaseModel):
    name: str
    kind: MetricKind
    description: str
    units: list[SlaUnit]
    windows: list[SlaWindowName]
