"""The lists of a review beside its KPIs: work due, breaches, open escalations and the rejection Pareto."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from o2c_common.tx import Tx
from o2c_kpi.reports import repository
from o2c_kpi.reports.review import COMPARATOR_SIGNS, shown
from o2c_kpi.reports.schemas import BreachLine, DueItem, EscalationLine, ReviewPareto, ReviewParetoBar
from o2c_kpi.sla.models import Comparator

BREACHES_SHOWN, ESCALATIONS_SHOWN = 20, 10
REASONS = {"missing_po": "Missing PO", "invalid_po": "Invalid PO", "tax_error": "Tax error",
           "price_mismatch": "Price mismatch", "duplicate_invoice_number": "Duplicate invoice number",
           "unknown_ship_to": "Unknown ship-to", "missing_attachment": "Missing attachment",
           "format_error": "Format error", "technical_error": "Technical error", "other": "Other"}
"""Portal rejection reasons (the invoicing contract's codes) as a person reads them."""


def readable(code: str) -> str:
    """``missing_po`` → ``Missing PO``; an unknown code → ``Some reason``."""
    return REASONS.get(code) or code.replace("_", " ").capitalize()


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


async def due_on(tx: Tx, *, day: date, team: str | None) -> list[DueItem]:
    """SLA clocks running out on ``day`` and receivables falling due on it (open at the end of the day before)."""
    clocks = await repository.timers_due(tx.session, team=team, start=midnight(day),
                                         end=midnight(day + timedelta(days=1)))
    items = [DueItem(what=name, team=owner, count=n) for name, owner, n in clocks]
    receivables = await repository.receivables_due(tx.session, team=team, day=day, at=day - timedelta(days=1))
    items.extend(DueItem(what="Invoices falling due", team=owner, count=n, amount=amount, currency=currency)
                 for owner, currency, n, amount in receivables)
    return items


async def breach_lines(tx: Tx, *, start: date, end: date, team: str | None) -> list[BreachLine]:
    """The breaches emitted from ``start`` to ``end`` (both included), most severe first."""
    rows = await repository.breaches_between(tx.session, team=team, start=midnight(start),
                                             end=midnight(end + timedelta(days=1)), limit=BREACHES_SHOWN)
    return [BreachLine(sla=b.sla_name, team=b.owning_team,
                       subject=f"{b.subject_type} {b.subject_id}" if b.subject_id else b.scope_value,
                       actual=shown(b.actual, b.unit), severity=b.severity, breached_at=b.breached_at,
                       target=f"{COMPARATOR_SIGNS[Comparator(b.comparator)]} {shown(Decimal(b.target), b.unit)}",
                       status=b.status) for b in rows]


async def escalation_lines(tx: Tx, *, at: date, team: str | None) -> list[EscalationLine]:
    rows = await repository.open_escalations(tx.session, team=team, at=at, limit=ESCALATIONS_SHOWN)
    return [EscalationLine(item=item, team=owner, agent=agent or "(unassigned)", opened=opened,
                           age_days=(at - opened).days if opened else None) for item, owner, agent, opened in rows]


def pareto(title: str, unit: str, values: Sequence[tuple[str, Decimal]]) -> ReviewPareto:
    """Bars largest first with their cumulative share of the total."""
    ordered = sorted(((label, v) for label, v in values if v > 0), key=lambda lv: (-lv[1], lv[0]))
    total = sum((v for _, v in ordered), Decimal(0))
    bars, running = [], Decimal(0)
    for label, value in ordered:
        running += value
        bars.append(ReviewParetoBar(label=label, value=value, cumulative_percent=(running / total * 100).quantize(
            Decimal("0.01"))))
    return ReviewPareto(title=title, unit=unit, bars=bars)


async def rejection_pareto(tx: Tx, *, start: date, end: date, team: str | None) -> ReviewPareto:
    """Portal rejections in the period per reason."""
    rows = await repository.rejections_by_reason(tx.session, team=team, start=start, end=end)
    return pareto("Portal rejection reasons", "count", [(readable(reason), Decimal(n)) for reason, n in rows])
