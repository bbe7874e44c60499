"""The operations sections of a review (``o2c_kpi.operations.service.review_operations``): quality per vendor team
against the previous period, the Pareto charts, open corrective actions and escalations per team, and the capacity
outlook; as tables the HTML page and the PDF both draw, and sentences for the narrative."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from o2c_common.text import DASH, measure
from o2c_kpi.operations.schemas import OperationsRead, Pareto as OpsPareto, QualityFigures
from o2c_kpi.reports.schemas import ReviewPareto, ReviewParetoBar, SectionStatus

QUALITY, CAPACITY, OPEN_WORK = "Quality per vendor team", "Capacity outlook", "Open corrective actions and escalations"


@dataclass(frozen=True)
class Table:
    heading: str
    headers: tuple[str, ...]
    rows: Sequence[Sequence[str]]
    empty: str


def pareto(source: OpsPareto | None, title: str) -> ReviewPareto:
    if source is None:
        return ReviewPareto(title=title, unit="count", bars=[], available=False)
    return ReviewPareto(title=title, unit="count", bars=[
        ReviewParetoBar(label=b.label, value=Decimal(b.count), cumulative_percent=b.cumulative_percent)
        for b in source.bars])


def statuses(ops: OperationsRead) -> list[SectionStatus]:
    current = ops.current
    return [SectionStatus(name=QUALITY, available=current.quality is not None),
            SectionStatus(name=CAPACITY, available=ops.capacity_outlook is not None),
            SectionStatus(name=OPEN_WORK, available=current.open_work is not None)]


def _score(figures: QualityFigures | None) -> str:
    return figures.average_score_text if figures is not None else DASH


def quality_bars(ops: OperationsRead) -> list[tuple[str, Decimal | None]]:
    """Each team's average quality score in the period (percent), for a bar chart."""
    quality = ops.current.quality
    if quality is None:
        return []
    return [(t.team, t.figures.average_score) for v in quality.vendors for t in v.teams]


def tables(ops: OperationsRead) -> list[Table]:
    out: list[Table] = []
    quality, before = ops.current.quality, ops.previous.quality
    if quality is not None:
        previous = {t.team: t.figures for v in (before.vendors if before else []) for t in v.teams}
        rows = [(v.vendor, t.team, str(t.figures.reviewed), t.figures.average_score_text,
                 _score(previous.get(t.team)), str(t.figures.defects),
                 t.figures.by_category[0].label if t.figures.by_category else DASH)
                for v in quality.vendors for t in v.teams]
        out.append(Table(QUALITY, ("vendor", "team", "reviewed", "quality score", "previous", "defects",
                                   "top defect category"), rows, "No work reviewed in the period."))
    if ops.current.open_work is not None:
        open_rows = [(w.team, str(w.escalations.count), measure(w.escalations.oldest_age_days, "days"),
                 str(w.corrective_actions.count), measure(w.corrective_actions.oldest_age_days, "days"))
                for w in ops.current.open_work]
        out.append(Table(OPEN_WORK, ("team", "open escalations", "oldest", "open corrective actions", "oldest"),
                         open_rows, "Nothing open at the end of the period."))
        items = [(w.team, i.reference, i.title, i.owner, i.age_text, i.detail)
                 for w in ops.current.open_work for i in [*w.escalations.top, *w.corrective_actions.top]]
        out.append(Table("Oldest open items", ("team", "case", "what", "owner", "age", "detail"), items,
                         "No open item."))
    if ops.capacity_outlook is not None:
        outlook = [(q.process_label, q.team or "(all teams)", q.model, str(q.short_days),
                 "; ".join(d.summary for d in q.days if d.gap > 0) or "enough agents rostered")
                for q in ops.capacity_outlook]
        out.append(Table(CAPACITY, ("queue", "team", "model", "days short", "where short"), outlook,
                         "No outlook published."))
    return out


def sentences(ops: OperationsRead) -> list[str]:
    """What is at risk or moved in operations: the weakest team's quality, queues short of agents."""
    out = []
    quality = ops.current.quality
    if quality is not None and quality.overall.average_score is not None:
        before = ops.previous.quality
        was = f" (previous period {before.overall.average_score_text})" if before is not None and \
            before.overall.average_score is not None else ""
        out.append(f"Quality score {quality.overall.average_score_text} over {quality.overall.reviewed} reviewed "
                   f"item{'s' if quality.overall.reviewed != 1 else ''}{was}.")
    work = ops.current.open_work
    if work:
        cases = sum(w.escalations.count for w in work)
        actions = sum(w.corrective_actions.count for w in work)
        oldest = max(((w.team, i) for w in work for i in w.escalations.top), key=lambda ti: ti[1].age_days,
                     default=None)
        where = f"; the oldest, {oldest[1].reference} ({oldest[0]}), for {oldest[1].age_text}" if oldest else ""
        if cases or actions:
            out.append(f"{cases} escalation{'s' if cases != 1 else ''} and {actions} corrective "
                       f"action{'s' if actions != 1 else ''} open{where}.")
    short = [q for q in ops.capacity_outlook or [] if q.short_days]
    if short:
        worst = max(short, key=lambda q: q.short_days)
        out.append(f"Capacity at risk: {worst.process_label}{' (' + worst.team + ')' if worst.team else ''} is short "
                   f"of agents on {worst.short_days} of the next {len(worst.days)} working days.")
    return out
