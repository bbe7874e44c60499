"""KPIs for a period and a scope, from the read models only (docs/kpi.md).

The interface other packages call is ``compute``; its signature is stable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.errors import UnprocessableEntity
from o2c_common.money import round_money
from o2c_common.tx import Tx
from o2c_kpi.facts.models import OpenItemKind
from o2c_kpi.kpis import formulas as f, repository
from o2c_kpi.kpis.definitions import DEFINITIONS
from o2c_kpi.kpis.schemas import KpiDefinition, KpiValue, Period, Scope, Unit

Group = Callable[[AsyncSession, Period, Scope, set[str]], Awaitable[list[KpiValue]]]


class UnknownKpi(UnprocessableEntity):
    type = "unknown-kpi"
    title = "Unknown KPI"


def definitions() -> list[KpiDefinition]:
    return list(DEFINITIONS.values())


async def compute(tx: Tx, *, names: Sequence[str], period: Period, scope: Scope) -> list[KpiValue]:
    """Values of the KPIs ``names`` (all when empty) over ``period`` within ``scope``, in ``names`` order; money
    KPIs once per currency found in scope. Raises UnknownKpi (422) for a name not in ``definitions()``."""
    wanted = list(dict.fromkeys(names)) or list(DEFINITIONS)
    unknown = [n for n in wanted if n not in DEFINITIONS]
    if unknown:
        raise UnknownKpi(f"unknown KPI: {', '.join(unknown)}", extensions={"known": sorted(DEFINITIONS)})
    values: list[KpiValue] = []
    for members, group in GROUPS:
        asked = members & set(wanted)
        if asked:
            values.extend(await group(tx.session, period, scope, asked))
    order = {name: i for i, name in enumerate(wanted)}
    return sorted(values, key=lambda v: (order[v.name], v.currency or "", v.dimension or ""))


NO_VALUE = {
    "on_time_invoicing_rate": "no invoice with a billing deadline in scope",
    "dso": "no credit sales in the period", "best_possible_dso": "no credit sales in the period",
    "add": "no credit sales in the period",
}
"""Why a KPI has no value, where the reason is not just 'nothing happened in the period'."""


async def scope_values(tx: Tx, *, dimension: str) -> list[str]:
    """Every team, legal entity or customer (``dimension``: team, legal_entity, customer) the facts name."""
    return await repository.scope_values(tx.session, dimension=dimension)


def _value(period: Period, name: str, value: Decimal | None, *, currency: str | None = None,
           dimension: str | None = None) -> KpiValue:
    unit: Unit = DEFINITIONS[name].unit
    if value is not None:
        value = round_money(value, currency) if unit == Unit.MONEY and currency else f.round2(value)
    return KpiValue(name=name, value=value, unit=unit, currency=currency, dimension=dimension,
                    note=NO_VALUE.get(name) if value is None else None, period_start=period.start,
                    period_end=period.end, as_of=period.at)


async def _receivables(session: AsyncSession, period: Period, scope: Scope, asked: set[str]) -> list[KpiValue]:
    end = await repository.ar_positions(session, scope=scope, at=period.at)
    sales = await repository.credit_sales(session, scope=scope, start=period.start, end=period.end)
    start = (await repository.ar_totals(session, scope=scope, at=period.start - timedelta(days=1))
             if "cei" in asked else {})
    monthly = (await repository.monthly_credit_sales(session, scope=scope, at=period.at)
               if "count_back_dso" in asked else {})
    out: list[KpiValue] = []
    for currency in sorted(set(end) | set(sales) | set(start)):
        pos, s = end.get(currency, f.ArPosition()), sales.get(currency, f.ZERO)
        dso = f.dso(ar_end=pos.total, credit_sales=s, days=period.days)
        best = f.best_possible_dso(current_ar_end=pos.current, credit_sales=s, days=period.days)
        figures: dict[str, Decimal | None] = {
            "ar_balance": pos.total, "current_ar": pos.current, "past_due_ar": pos.past_due,
            "average_days_past_due": pos.average_days_past_due, "credit_sales": s, "dso": dso,
            "best_possible_dso": best, "add": f.average_days_delinquent(dso_value=dso, best_possible=best),
        }
        if "cei" in asked:
            figures["cei"] = f.cei(ar_start=start.get(currency, f.ZERO), credit_sales=s,
                                   ar_end=pos.total, current_ar_end=pos.current)
        if "count_back_dso" in asked:
            figures["count_back_dso"] = f.count_back_dso(
                ar=pos.total, months=f.count_back_months(period.at, monthly.get(currency, {})))
        out.extend(_value(period, name, figures[name], currency=currency) for name in asked if name in figures)
        if "aging" in asked:
            out.extend(_value(period, "aging", amount, currency=currency, dimension=label)
                       for label, amount in pos.buckets.items())
    return out


def _rate(hits: int | Decimal, total: int | Decimal) -> Decimal | None:
    return f.ratio(Decimal(hits), Decimal(total), scale=f.HUNDRED)


def _mean(total: Decimal, samples: int) -> Decimal | None:
    return f.ratio(total, Decimal(samples))


async def _billing(session: AsyncSession, period: Period, scope: Scope, asked: set[str]) -> list[KpiValue]:
    rows = await repository.counts(session, scope=scope, start=period.start, end=period.end, by="dimension", metrics=(
        "invoices_with_deadline", "first_pass_approvals", "first_rejections",
        "rejections", "submissions", "resubmissions"))
    n: dict[str, int] = {}
    total: dict[str, Decimal] = {}
    by_reason: dict[str, int] = {}
    for metric, _, dim, count, value in rows:
        n[metric] = n.get(metric, 0) + count
        total[metric] = total.get(metric, f.ZERO) + value
        if metric == "rejections":
            by_reason[dim] = by_reason.get(dim, 0) + count
    attempts = n.get("submissions", 0) + n.get("resubmissions", 0)
    out = []
    if "on_time_invoicing_rate" in asked:
        out.append(_value(period, "on_time_invoicing_rate",
                          _rate(total.get("invoices_with_deadline", f.ZERO), n.get("invoices_with_deadline", 0))))
    if "first_pass_acceptance_rate" in asked:
        first = n.get("first_pass_approvals", 0)
        out.append(_value(period, "first_pass_acceptance_rate", _rate(first, first + n.get("first_rejections", 0))))
    if "rejection_rate" in asked:
        out.append(_value(period, "rejection_rate", _rate(n.get("rejections", 0), attempts)))
        out.extend(_value(period, "rejection_rate", _rate(count, attempts), dimension=reason)
                   for reason, count in sorted(by_reason.items()))
    if "time_to_resubmit" in asked:
        out.append(_value(period, "time_to_resubmit",
                          _mean(total.get("resubmissions", f.ZERO), n.get("resubmissions", 0))))
    if "cycle_time" in asked:
        stages = await repository.cycle_times(session, scope=scope, start=period.start, end=period.end)
        out.extend(_value(period, "cycle_time", _mean(days, samples), dimension=stage)
                   for stage, (samples, days) in stages.items())
    return out


async def _cash(session: AsyncSession, period: Period, scope: Scope, asked: set[str]) -> list[KpiValue]:
    out: list[KpiValue] = []
    if asked & {"cash_received", "cash_applied", "auto_match_rate"}:
        rows = await repository.counts(session, scope=scope, start=period.start, end=period.end, money=True,
                                       by="dimension", metrics=("cash_received", "cash_applied"))
        sums: dict[tuple[str, str], Decimal] = {}
        for metric, currency, rule, _, value in rows:
            sums[metric, currency] = sums.get((metric, currency), f.ZERO) + value
            if metric == "cash_applied" and rule != "manual":  # applied by the matching engine
                key = ("cash_applied_by_engine", currency)
                sums[key] = sums.get(key, f.ZERO) + value
        for currency in sorted({c for _, c in sums}):
            received = sums.get(("cash_received", currency), f.ZERO)
            figures = {"cash_received": received, "cash_applied": sums.get(("cash_applied", currency), f.ZERO),
                       "auto_match_rate": _rate(sums.get(("cash_applied_by_engine", currency), f.ZERO), received)}
            out.extend(_value(period, name, figures[name], currency=currency) for name in asked if name in figures)
    balances = {OpenItemKind.UNAPPLIED_CASH: ("unapplied_cash", "unapplied_cash_age"),
                OpenItemKind.DEDUCTION: ("open_deductions", "open_deductions_age"),
                OpenItemKind.DISPUTE: ("open_disputes", None)}
    kinds = tuple(kind for kind, names in balances.items() if asked & set(names))
    if kinds:
        open_sums: dict[tuple[str, str], list[Decimal]] = {}
        for o in await repository.open_items(session, scope=scope, kinds=kinds, at=period.at, money=True):
            slot = open_sums.setdefault((o.kind, o.currency), [f.ZERO, f.ZERO])
            slot[0] += o.amount
            slot[1] += o.age_weight
        for (kind, currency), (amount, weight) in sorted(open_sums.items()):
            balance, age = balances[OpenItemKind(kind)]
            if balance in asked:
                out.append(_value(period, balance, amount, currency=currency))
            if age is not None and age in asked:
                out.append(_value(period, age, f.ratio(weight, amount), currency=currency))
    return out


async def _service(session: AsyncSession, period: Period, scope: Scope, asked: set[str]) -> list[KpiValue]:
    rows = await repository.counts(session, scope=scope, start=period.start, end=period.end, metrics=(
        "disputes_resolved", "escalations_acknowledged", "escalations_acknowledged_within_sla",
        "escalations_resolved", "escalations_resolved_within_sla", "promises_kept", "promises_broken"))
    n: dict[str, int] = {}
    total: dict[str, Decimal] = {}
    for metric, _, _, count, value in rows:
        n[metric] = n.get(metric, 0) + count
        total[metric] = total.get(metric, f.ZERO) + value
    figures = {
        "dispute_resolution_time": _mean(total.get("disputes_resolved", f.ZERO), n.get("disputes_resolved", 0)),
        "escalation_acknowledge_time": _mean(total.get("escalations_acknowledged", f.ZERO),
                                             n.get("escalations_acknowledged", 0)),
        "escalation_resolve_time": _mean(total.get("escalations_resolved", f.ZERO), n.get("escalations_resolved", 0)),
        "escalation_acknowledged_within_sla_rate": _rate(n.get("escalations_acknowledged_within_sla", 0),
                                                         n.get("escalations_acknowledged", 0)),
        "escalation_resolved_within_sla_rate": _rate(n.get("escalations_resolved_within_sla", 0),
                                                     n.get("escalations_resolved", 0)),
        "promise_to_pay_kept_rate": _rate(n.get("promises_kept", 0),
                                          n.get("promises_kept", 0) + n.get("promises_broken", 0)),
    }
    out = [_value(period, name, figures[name]) for name in sorted(asked) if name in figures]
    if asked & {"backlog", "work_items_by_team", "work_items_by_agent"}:
        items = await repository.open_items(session, scope=scope, at=period.at,
                                            kinds=WORK_ITEMS)
        by_team: dict[str, int] = {}
        by_agent: dict[str, int] = {}
        for o in items:
            by_team[o.team or "(none)"] = by_team.get(o.team or "(none)", 0) + o.items
            by_agent[o.agent or "(unassigned)"] = by_agent.get(o.agent or "(unassigned)", 0) + o.items
        if "backlog" in asked:
            out.append(_value(period, "backlog", Decimal(sum(o.items for o in items))))
        for name, counts in (("work_items_by_team", by_team), ("work_items_by_agent", by_agent)):
            if name in asked:
                out.extend(_value(period, name, Decimal(n), dimension=who) for who, n in sorted(counts.items()))
    return out


WORK_ITEMS = (OpenItemKind.DISPUTE, OpenItemKind.DEDUCTION, OpenItemKind.ESCALATION, OpenItemKind.PORTAL_REJECTION)
"""The open items counted as work (backlog, work items by team and agent)."""
RECEIVABLES = {"ar_balance", "current_ar", "past_due_ar", "average_days_past_due", "aging", "credit_sales", "dso",
               "count_back_dso", "best_possible_dso", "add", "cei"}
BILLING = {"on_time_invoicing_rate", "first_pass_acceptance_rate", "rejection_rate", "time_to_resubmit",
           "cycle_time"}
CASH = {"cash_received", "cash_applied", "auto_match_rate", "unapplied_cash", "unapplied_cash_age",
        "open_deductions", "open_deductions_age", "open_disputes"}
SERVICE = {"dispute_resolution_time", "escalation_acknowledge_time", "escalation_resolve_time",
           "escalation_acknowledged_within_sla_rate", "escalation_resolved_within_sla_rate",
           "promise_to_pay_kept_rate", "backlog", "work_items_by_team", "work_items_by_agent"}
GROUPS: tuple[tuple[set[str], Group], ...] = (
    (RECEIVABLES, _receivables), (BILLING, _billing), (CASH, _cash), (SERVICE, _service))
