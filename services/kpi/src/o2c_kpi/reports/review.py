"""What turns a period's KPI values into a review a lead presents: tiles against target and the previous period,
currencies without activity left out, and a short narrative built from the numbers with plain rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from o2c_common.text import DASH, measure, money
from o2c_kpi.kpis.definitions import DEFINITIONS
from o2c_kpi.kpis.schemas import KpiValue, Unit
from o2c_kpi.reports.schemas import Direction, TeamAttainment, Tile
from o2c_kpi.sla.models import Comparator, ScopeType, SlaDefinition

LOWER_IS_BETTER = frozenset({
    "dso", "count_back_dso", "best_possible_dso", "add", "past_due_ar", "average_days_past_due", "rejection_rate",
    "time_to_resubmit", "cycle_time", "unapplied_cash", "unapplied_cash_age", "open_deductions",
    "open_deductions_age", "open_disputes", "dispute_resolution_time", "escalation_acknowledge_time",
    "escalation_resolve_time", "backlog", "work_items_by_team", "work_items_by_agent"})
NEUTRAL = frozenset({"ar_balance", "current_ar", "aging"})
"""Whether a move is good: DSO down is, cash received up is; AR itself is neither."""
TITLES = {"ar_balance": "AR balance at period end"}
"""Where a definition's title reads oddly on a tile."""
COMPARATOR_SIGNS = {Comparator.LT: "<", Comparator.LE: "≤", Comparator.GT: ">", Comparator.GE: "≥"}
Key = tuple[str, str | None]


def shown(value: Decimal | None, unit: str, currency: str | None = None) -> str:
    """A KPI value as a person reads it: ``1,500.00 USD``, ``12.5 %``, ``18.13 hours``, ``—``."""
    if value is None:
        return DASH
    return money(value, currency) if unit == Unit.MONEY else measure(value, unit)


def active_currencies(values: Iterable[KpiValue]) -> set[str | None]:
    """Currencies with a non-zero value somewhere (``None``: the KPIs that have no currency)."""
    return {v.currency for v in values if v.currency is None or (v.value is not None and v.value != 0)}


def headline_only(values: Sequence[KpiValue], active: set[str | None]) -> list[KpiValue]:
    return [v for v in values if v.dimension is None and v.currency in active]


def pick_target(definitions: Sequence[SlaDefinition], name: str, team: str | None) -> SlaDefinition | None:
    """The SLA closest to the review's scope: the team's own, then every team's, then the global one."""
    def rank(d: SlaDefinition) -> int:
        if d.scope_type == ScopeType.TEAM and d.scope_value is not None:
            return 0 if d.scope_value == team else 9
        return 1 if (d.scope_type == ScopeType.TEAM) == (team is not None) else 2
    candidates = sorted((d for d in definitions if d.metric == name), key=lambda d: (rank(d), d.id))
    return candidates[0] if candidates and rank(candidates[0]) < 9 else None


def _meets(value: Decimal, target: Decimal, comparator: str) -> bool:
    return {"lt": value < target, "le": value <= target, "gt": value > target, "ge": value >= target}[comparator]


def tiles(current: Sequence[KpiValue], previous: Sequence[KpiValue], targets: Sequence[SlaDefinition], *,
          team: str | None) -> list[Tile]:
    """One tile per headline KPI and currency in ``current`` (already narrowed to the active currencies)."""
    before: dict[Key, Decimal | None] = {(v.name, v.currency): v.value for v in previous if v.dimension is None}
    out = []
    for v in current:
        prior = before.get((v.name, v.currency))
        change = v.value - prior if v.value is not None and prior is not None else None
        direction = None if change is None else Direction.UP if change > 0 else Direction.DOWN if change < 0 \
            else Direction.FLAT
        good = None
        if direction in (Direction.UP, Direction.DOWN) and v.name not in NEUTRAL:
            good = (direction == Direction.DOWN) == (v.name in LOWER_IS_BETTER)
        sla = pick_target(targets, v.name, team) if v.unit != Unit.MONEY else None
        target = Decimal(sla.target) if sla is not None else None
        out.append(Tile(
            name=v.name, title=TITLES.get(v.name, DEFINITIONS[v.name].title), unit=v.unit, currency=v.currency,
            value=v.value,
            shown=shown(v.value, v.unit, v.currency), previous=prior, previous_shown=shown(prior, v.unit, v.currency),
            direction=direction, change=change, good=good, target=target,
            target_shown=(f"{COMPARATOR_SIGNS[Comparator(sla.comparator)]} {shown(target, v.unit)}"
                          if sla is not None else None),
            on_target=(_meets(v.value, target, sla.comparator) if sla is not None and target is not None
                       and v.value is not None else None)))
    return out


def _relative(tile: Tile) -> Decimal:
    """How much a tile moved, relative to where it was (percent points for percents)."""
    if tile.change is None or tile.previous is None:
        return Decimal(0)
    if tile.unit == Unit.PERCENT:
        return abs(tile.change)
    return abs(tile.change) / abs(tile.previous) * 100 if tile.previous else Decimal(100 if tile.change else 0)


def _moved(tile: Tile) -> str:
    verb = "rose" if tile.direction == Direction.UP else "fell"
    judged = "" if tile.good is None else " (better)" if tile.good else " (worse)"
    currency = f" in {tile.currency}" if tile.currency and tile.unit != Unit.MONEY else ""
    return f"{tile.title}{currency} {verb} from {tile.previous_shown} to {tile.shown}{judged}."


def narrative(report_tiles: Sequence[Tile], attainment: Sequence[TeamAttainment], *, breaches: int,
              at_risk: Sequence[str] = ()) -> list[str]:
    """3 to 6 sentences: what changed most, which team breached, what missed its target, what is at risk."""
    moved = sorted((t for t in report_tiles if t.direction in (Direction.UP, Direction.DOWN)),
                   key=_relative, reverse=True)
    sentences = [_moved(t) for t in moved[:2]]
    if not moved:
        sentences.append("No headline KPI moved since the previous period.")
    breached = sorted((t for t in attainment if t.breaches), key=lambda t: (-t.breaches, t.team))
    if breached:
        worst = breached[0]
        rate = shown(Decimal(worst.attainment_percent), "percent") if worst.attainment_percent else DASH
        sentences.append(f"{worst.team} breached its SLAs {worst.breaches} time{'s' if worst.breaches != 1 else ''}"
                         f" (attainment {rate})"
                         + (f"; {len(breached) - 1} other team{'s' if len(breached) > 2 else ''} breached too."
                            if len(breached) > 1 else "."))
    elif breaches:
        sentences.append(f"{breaches} SLA breach{'es' if breaches != 1 else ''} of no vendor team in the period.")
    else:
        sentences.append("No SLA was breached in the period.")
    missed = [t for t in report_tiles if t.on_target is False]
    if missed:
        names = ", ".join(f"{t.title} ({t.shown}, target {t.target_shown})" for t in missed[:3])
        sentences.append(f"Off target: {names}.")
    elif any(t.on_target for t in report_tiles):
        sentences.append("Every KPI with a target met it.")
    sentences.extend(at_risk[: 6 - len(sentences)])
    if len(sentences) < 3:
        sentences.append("Figures cover the period shown; per-currency detail is available with detail=currency.")
    return sentences[:6]
