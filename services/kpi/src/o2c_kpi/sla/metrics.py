"""The metrics an SLA definition can watch, and what each is measured from.

Rate metrics count outcomes (met / all) per scope and calendar window as their events arrive. Timer
metrics start a durable clock per subject when an opening event arrives and stop it on the closing event;
the clock firing first is a breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from o2c_kpi.sla.models import SlaUnit, SlaWindowName


class MetricKind(StrEnum):
    RATE = "rate"
    TIMER = "timer"


RateMetricName = Literal[
    "first_pass_acceptance_rate",
    "escalation_acknowledged_within_sla_rate",
    "escalation_resolved_within_sla_rate",
    "promise_to_pay_kept_rate",
]
TimerMetricName = Literal["time_to_resubmit", "dispute_resolution_time", "deduction_resolution_time"]
MetricName = Literal[RateMetricName, TimerMetricName]


@dataclass(frozen=True)
class Metric:
    name: str
    kind: MetricKind
    description: str
    subject_type: str | None = None


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
)}

UNITS: dict[MetricKind, tuple[SlaUnit, ...]] = {
    MetricKind.RATE: (SlaUnit.PERCENT,), MetricKind.TIMER: (SlaUnit.BUSINESS_DAYS, SlaUnit.HOURS)}
"""The units a definition of each kind of metric takes its target in."""
WINDOWS: dict[MetricKind, tuple[SlaWindowName, ...]] = {
    MetricKind.RATE: (SlaWindowName.DAY, SlaWindowName.WEEK, SlaWindowName.MONTH, SlaWindowName.QUARTER),
    MetricKind.TIMER: (SlaWindowName.ITEM,)}
"""The windows a definition of each kind of metric is judged over."""
