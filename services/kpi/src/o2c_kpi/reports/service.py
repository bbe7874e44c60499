"""The business reviews: the daily huddle, the weekly invoicing cadence, the monthly business review and the QBR.

Each is the period's headline KPIs (``o2c_kpi.kpis.service.compute``) as tiles against their SLA target and the
previous period, their trend over the periods before it, every vendor team's SLA attainment in the period
(``o2c_kpi.sla``), the breaches, open escalations, Pareto charts and a generated narrative; the daily huddle adds
the work due today. Rendered as JSON, CSV, HTML or PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from o2c_common.tx import Tx
from o2c_kpi.clock import Clock
from o2c_kpi.kpis.definitions import DEFINITIONS
from o2c_kpi.kpis.schemas import KpiValue, Period, PeriodKind, Scope
from o2c_kpi.operations.service import review_operations
from o2c_kpi.permissions import team_in_view
from o2c_kpi.reports import operations_view, repository, sections
from o2c_kpi.reports.currency import Rates, values as fx_values
from o2c_kpi.reports.review import active_currencies, headline_only, narrative, tiles
from o2c_kpi.reports.schemas import (
    Detail,
    DueItem,
    EscalationLine,
    ReportKind,
    ReportRead,
    TeamAttainment,
    Trend,
    TrendPoint,
)
from o2c_kpi.sla import repository as sla_repository, service as sla_service
from o2c_kpi.sla.evaluation import percent

RECEIVABLES = ("ar_balance", "past_due_ar", "aging", "credit_sales", "dso", "count_back_dso", "best_possible_dso",
               "add", "cei")
CASH_AND_SERVICE = ("cash_received", "auto_match_rate", "unapplied_cash", "open_deductions", "open_disputes",
                    "dispute_resolution_time", "escalation_acknowledged_within_sla_rate",
                    "escalation_resolved_within_sla_rate", "promise_to_pay_kept_rate", "backlog")
BILLING = ("on_time_invoicing_rate", "first_pass_acceptance_rate", "rejection_rate", "time_to_resubmit", "cycle_time")


@dataclass(frozen=True)
class ReportSpec:
    title: str
    period: Callable[[date], Period]
    headline: tuple[str, ...]
    trend: tuple[str, ...]
    trend_periods: int


DAILY = ("cash_received", "cash_applied", "credit_sales", "on_time_invoicing_rate", "first_pass_acceptance_rate",
         "rejection_rate", "auto_match_rate", "backlog", "past_due_ar", "unapplied_cash", "open_disputes",
         "escalation_acknowledged_within_sla_rate")

SPECS: dict[ReportKind, ReportSpec] = {
    ReportKind.DAILY_HUDDLE: ReportSpec("Daily huddle", Period.day, DAILY,
                                        ("cash_received", "backlog", "first_pass_acceptance_rate"), 7),
    ReportKind.WEEKLY_CADENCE: ReportSpec("Weekly invoicing cadence", Period.week,
                                 ("credit_sales", *BILLING, "backlog"),
                                 ("on_time_invoicing_rate", "first_pass_acceptance_rate", "rejection_rate",
                                  "time_to_resubmit"), 8),
    ReportKind.MONTHLY_BUSINESS_REVIEW: ReportSpec("Monthly business review", Period.month,
                                          (*RECEIVABLES, *BILLING[:2], *CASH_AND_SERVICE),
                                          ("dso", "cei", "first_pass_acceptance_rate", "auto_match_rate"), 6),
    ReportKind.QBR: ReportSpec("Quarterly business review", Period.quarter, (*RECEIVABLES, *BILLING, *CASH_AND_SERVICE),
                      ("dso", "count_back_dso", "cei", "first_pass_acceptance_rate", "auto_match_rate",
                       "escalation_resolved_within_sla_rate"), 4),
}


def label(period: Period) -> str:
    if period.kind == PeriodKind.WEEK:
        year, week, _ = period.start.isocalendar()
        return f"{year}-W{week:02d}"
    if period.kind == PeriodKind.QUARTER:
        return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"
    if period.kind == PeriodKind.MONTH:
        return period.start.strftime("%Y-%m")
    if period.kind == PeriodKind.DAY:
        return period.start.isoformat()
    return f"{period.start.isoformat()}..{period.end.isoformat()}"


def _previous(spec: ReportSpec, period: Period, count: int) -> list[Period]:
    """``count`` periods ending with ``period``, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.append(spec.period(periods[-1].start - timedelta(days=1)))
    return list(reversed(periods))


async def build(tx: Tx, *, kind: ReportKind, on: date, team: str | None, clock: Clock,
                detail: Detail = Detail.HEADLINE, currency: str | None = None) -> ReportRead:
    """The review of the period of ``kind`` holding ``on``; vendor agents get their own team's. ``currency``:
    money KPIs consolidated in it (``o2c_kpi.fx``)."""
    team = team_in_view(tx.actor, team, what="reports")
    spec = SPECS[kind]
    period = spec.period(on)
    before = spec.period(period.start - timedelta(days=1))
    scope = Scope(team=team)
    rates = Rates(currency) if currency else None
    values = await fx_values(tx, names=spec.headline, period=period, scope=scope, rates=rates, record=True)
    previous = await fx_values(tx, names=spec.headline, period=before, scope=scope, rates=rates)
    active = active_currencies([*values, *previous])
    headline = [v for v in values if v.currency in active]
    targets = await repository.kpi_targets(tx.session, names=spec.headline, team=team)
    report_tiles = tiles(headline_only(headline, active), previous, targets, team=team)
    trends = await _trends(tx, spec=spec, period=period, scope=scope, active=active, rates=rates)
    attainment, unassigned = await _attainment(tx, period=period, team=team)
    breaches = sum(t.breaches for t in attainment) + unassigned
    last = period.end + timedelta(days=1)
    due = await sections.due_on(tx, day=last, team=team) if kind == ReportKind.DAILY_HUDDLE else []
    escalations = await sections.escalation_lines(tx, at=period.end, team=team)
    ops = await review_operations(tx, start=period.start, end=period.end, previous_start=before.start,
                                  previous_end=before.end, team=team)
    rejections = (operations_view.pareto(ops.current.rejection_reasons, "Portal rejection reasons")
                  if ops.current.rejection_reasons is not None
                  else await sections.rejection_pareto(tx, start=period.start, end=period.end, team=team))
    return ReportRead(
        report=kind, title=spec.title, period_kind=period.kind, period_label=label(period),
        period_start=period.start, period_end=period.end, team=team, generated_at=clock(), headline=headline,
        trends=trends, sla_attainment=attainment, breaches=breaches, unassigned_breaches=unassigned,
        previous_label=label(before), tiles=report_tiles,
        detail=values if detail == Detail.CURRENCY else [], due_today=due,
        pareto=[rejections, operations_view.pareto(ops.current.dispute_root_causes, "Dispute root causes")],
        breach_list=await sections.breach_lines(tx, start=period.start, end=period.end, team=team),
        escalations=escalations, sections=operations_view.statuses(ops), operations=ops,
        reporting_currency=currency, fx_rate_date=rates.rate_date if rates else None,
        fx_missing=sorted(rates.missing) if rates else [],
        narrative=narrative(report_tiles, attainment, breaches=breaches,
                            at_risk=[*_at_risk(due, [] if ops.current.open_work is not None else escalations),
                                     *operations_view.sentences(ops)]))


def _at_risk(due: list[DueItem], escalations: list[EscalationLine]) -> list[str]:
    sentences = []
    clocks = sum(d.count for d in due if d.amount is None)
    if clocks:
        plural = ("s", "") if clocks != 1 else ("", "s")
        sentences.append(f"At risk today: {clocks} SLA clock{plural[0]} run{plural[1]} out.")
    if escalations:
        oldest = escalations[0]
        age = f", the oldest open for {oldest.age_days} days ({oldest.item}, {oldest.team})" \
            if oldest.age_days is not None else ""
        sentences.append(f"{len(escalations)}{'+' if len(escalations) >= sections.ESCALATIONS_SHOWN else ''} "
                         f"escalation{'s' if len(escalations) != 1 else ''} open{age}.")
    return sentences


async def _attainment(tx: Tx, *, period: Period, team: str | None) -> tuple[list[TeamAttainment], int]:
    """Each vendor team's SLA attainment in ``period``, and the breaches of no team."""
    start, end = sections.midnight(period.start), sections.midnight(period.end + timedelta(days=1))
    teams = [team] if team else await sla_repository.teams_with_slas(tx.session, start=start, end=end)
    attainment = []
    for name in teams:
        read = await sla_service.attainment(tx, team=name, period=label(period), start=period.start,
                                            end=period.end + timedelta(days=1))
        met, total = sum(d.met for d in read.definitions), sum(d.total for d in read.definitions)
        attainment.append(TeamAttainment(team=name, met=met, total=total,
                                         breaches=sum(d.breaches for d in read.definitions),
                                         attainment_percent=str(percent(met, total)) if total else None,
                                         definitions=read.definitions))
    unassigned = 0 if team else sum(
        n for _, n in await sla_repository.team_breaches(tx.session, team=None, start=start, end=end))
    return attainment, unassigned


async def _trends(tx: Tx, *, spec: ReportSpec, period: Period, scope: Scope, active: set[str | None],
                  rates: Rates | None) -> list[Trend]:
    periods = _previous(spec, period, spec.trend_periods)
    series: dict[tuple[str, str | None], dict[int, KpiValue]] = {}
    for index, p in enumerate(periods):
        for value in await fx_values(tx, names=spec.trend, period=p, scope=scope, rates=rates):
            if value.dimension is None and value.currency in active:
                series.setdefault((value.name, value.currency), {})[index] = value
    return [Trend(name=name, title=DEFINITIONS[name].title, unit=DEFINITIONS[name].unit, currency=currency,
                  points=[TrendPoint(label=label(p), period_start=p.start, period_end=p.end, value=points.get(i))
                          for i, p in enumerate(periods)])
            for (name, currency), points in sorted(series.items(), key=lambda s: (spec.trend.index(s[0][0]),
                                                                                  s[0][1] or ""))]
