"""The metrics an SLA definition can watch, and what each is measured from.

Rate metrics count outcomes (met / all) per scope and calendar window as their events arrive. Timer
metrics start a durable clock per subject when an opening event arrives and stop it on the closing event;
the clock firing first is a breach. Level metrics are KPIs (DSO, CEI, auto-match rate, unapplied cash…) judged
once per closed calendar window against the KPI's value over that window (``o2c_kpi.sla.levels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, get_args

from o2c_kpi.kpis.definitions import DEFINITIONS
from o2c_kpi.sla.models import SlaUnit, SlaWindowName


class MetricKind(StrEnum):
    RATE = "rate"
    TIMER = "timer"
    LEVEL = "level"


RateMetricName = Literal[
    "first_pass_acceptance_rate",
    "escalation_acknowledged_within_sla_rate",
    "escalation_resolved_within_sla_rate",
    "promise_to_pay_kept_rate",
]
TimerMetricName = Literal["time_to_resubmit", "dispute_resolution_time", "deduction_resolution_time"]
LevelMetricName = Literal[
    "ar_balance", "current_ar", "past_due_ar", "average_days_past_due", "credit_sales", "dso", "count_back_dso",
    "best_possible_dso", "add", "cei", "on_time_invoicing_rate", "rejection_rate", "cash_received", "cash_applied",
    "auto_match_rate", "unapplied_cash", "unapplied_cash_age", "open_deductions", "open_deductions_age",
    "open_disputes", "escalation_acknowledge_time", "escalation_resolve_time", "backlog",
]
"""Every KPI with one value per window (and currency) that is not already a rate or timer metric."""
MetricName = Literal[RateMetricName, TimerMetricName, LevelMetricName]


@dataclass(frozen=True)
class Metric:
    name: str
    kind: MetricKind
    description: str
    subject_type: str | None = None
    unit: SlaUnit | None = None  # a level metric's: the KPI's own


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("first_pass_acceptance_rate", MetricKind.RATE,
           "Percent of invoices whose first portal outcome is an approval: invoice.portal_approved with "
           "first_pass counts as met, the first invoice.portal_rejected of an invoice as missed."),
    Metric("escalation_acknowledged_within_sla_rate", MetricKind.RATE,
           "Percent of escalation.acknowledged events with within_sla true."),
    Metric("escalation_resolved_within_sla_rate", MetricKind.RATE,
           "Percent of escalation.resolved events with within_sla true."),
    Metric("promise_to_pay_kept_rate", MetricKind.RATE,
           "Percent of decided promises to pay that were kept (promise_to_pay.kept vs promise_to_pay.broken)."),
    Metric("time_to_resubmit", MetricKind.TIMER,
           "From invoice.portal_rejected to the invoice.resubmitted correcting it (per rejected submission).",
           subject_type="invoice"),
    Metric("dispute_resolution_time", MetricKind.TIMER, "From dispute.opened to dispute.resolved.",
           subject_type="dispute"),
    Metric("deduction_resolution_time", MetricKind.TIMER, "From deduction.opened to deduction.resolved.",
           subject_type="deduction"),
    *(Metric(name, MetricKind.LEVEL, f"The KPI {name} ({DEFINITIONS[name].title}) over each closed window: "
             f"{DEFINITIONS[name].formula}", unit=SlaUnit(DEFINITIONS[name].unit))
      for name in get_args(LevelMetricName)),
)}

UNITS: dict[MetricKind, tuple[SlaUnit, ...]] = {
    MetricKind.RATE: (SlaUnit.PERCENT,), MetricKind.TIMER: (SlaUnit.BUSINESS_DAYS, SlaUnit.HOURS),
    MetricKind.LEVEL: (SlaUnit.PERCENT, SlaUnit.DAYS, SlaUnit.HOURS, SlaUnit.MINUTES, SlaUnit.MONEY, SlaUnit.COUNT)}
"""The units a definition of each kind of metric takes its target in (a level metric: its KPI's unit only)."""
WINDOWS: dict[MetricKind, tuple[SlaWindowName, ...]] = {
    MetricKind.RATE: (SlaWindowName.DAY, SlaWindowName.WEEK, SlaWindowName.MONTH, SlaWindowName.QUARTER),
    MetricKind.TIMER: (SlaWindowName.ITEM,),
    MetricKind.LEVEL: (SlaWindowName.DAY, SlaWindowName.WEEK, SlaWindowName.MONTH, SlaWindowName.QUARTER)}
"""The windows a definition of each kind of metric is judged over."""


def units_of(metric: Metric) -> tuple[SlaUnit, ...]:
    """The units a definition of ``metric`` may take its target in."""
    return (metric.unit,) if metric.unit is not None else UNITS[metric.kind]
