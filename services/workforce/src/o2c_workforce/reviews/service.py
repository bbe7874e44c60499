"""A vendor's business review (weekly, monthly, quarterly): headline measures against targets and the previous
period, Pareto of first-pass rejection reasons and of review defects, under- and top performers, open plans,
contingency invocations, the coming week's capacity and a narrative of what changed. Built only from the other
parts of this service; the pages that present it are issue 17 item 5."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from o2c_common.errors import DomainError, NotFound
from o2c_common.text import measure
from o2c_common.tx import Tx
from o2c_workforce.capacity import service as capacity
from o2c_workforce.capacity.schemas import PlanRequest
from o2c_workforce.config import WorkforceSettings
from o2c_workforce.contingency import service as contingency
from o2c_workforce.improvement import service as improvement
from o2c_workforce.improvement.models import PlanStatus
from o2c_workforce.processes import LABELS, Process
from o2c_workforce.quality import service as quality
from o2c_workforce.reviews.schemas import Headline, ParetoBar, VendorReview
from o2c_workforce.scorecards import service as scorecards
from o2c_workforce.scorecards.schemas import Scorecard

HUNDRED = Decimal(100)
ARROWS = {"up": "▲", "down": "▼", "flat": "▶", "new": "•"}


async def vendor_review(tx: Tx, *, vendor: str, since: date, until: date,
                        settings: WorkforceSettings) -> VendorReview:
    previous = since - (until - since)
    now, before = (await _vendor_card(tx, vendor, since, until, settings),
                   await _vendor_card(tx, vendor, previous, since, settings))
    if now is None:
        raise NotFound(f"vendor {vendor} has no agents")
    start, end = (datetime.combine(d, datetime.min.time(), UTC) for d in (since, until))
    fp_now = await _first_pass(tx, vendor, start, end)
    fp_before = await _first_pass(tx, vendor, _at(previous), start)
    agents = [c for c in (await scorecards.scorecards(tx, level="agent", team=None, since=since, until=until,
                                                      settings=settings)).cards if c.vendor == vendor]
    teams = {c.team for c in agents if c.team}
    headlines = _headlines(now, before, fp_now[0], fp_before[0], settings)
    defects = await _defects(tx, vendor, start, end)
    plans = [p for p in await improvement.list_plans(tx, team=None, agent_id=None)
             if p.team in teams and p.status == PlanStatus.OPEN]
    invoked = [f"{plan.name} ({LABELS[Process(plan.process)]}) invoked on {inv.invoked_at:%Y-%m-%d}: {inv.reason}"
               for plan, inv in await contingency.invoked_between(tx, since=start, until=end)]
    outlook = await _outlook(tx, teams, until)
    review = VendorReview(
        vendor=vendor, vendor_name=now.name, since=since, until=until, previous_since=previous, headlines=headlines,
        rejection_reasons=_pareto(fp_now[1]), defects=defects,
        under_performers=[c.summary for c in agents if c.verdict == "under"],
        top_performers=[c.summary for c in agents if c.verdict == "top"], open_improvement_plans=len(plans),
        contingency_invocations=invoked, capacity_outlook=outlook, narrative=[])
    review.narrative = _narrative(review)
    return review


async def _vendor_card(tx: Tx, vendor: str, since: date, until: date,
                       settings: WorkforceSettings) -> Scorecard | None:
    board = await scorecards.scorecards(tx, level="vendor", team=None, since=since, until=until, settings=settings)
    return next((c for c in board.cards if c.key == vendor), None)


async def _first_pass(tx: Tx, vendor: str, since: datetime, until: datetime) -> tuple[Decimal | None, dict[str, int]]:
    rows = [f for f in await quality.first_pass(tx, level="vendor", team=None, since=since, until=until)
            if f.key == vendor]
    return (rows[0].rate, rows[0].rejection_reasons) if rows else (None, {})


async def _defects(tx: Tx, vendor: str, since: datetime, until: datetime) -> list[ParetoBar]:
    labels = await quality.defect_labels(tx)
    rows = [s for s in await quality.scores(tx, level="vendor", team=None, since=since, until=until)
            if s.key == vendor]
    found = rows[0].defects if rows else {}
    return _pareto({labels.get(code, _readable(code)): n for code, n in found.items()})


async def _outlook(tx: Tx, teams: set[str], start: date) -> list[str]:
    lines = []
    for queue in await capacity.list_queues(tx):
        if queue.owning_team not in teams:
            continue
        try:
            plan = await capacity.plan(tx, PlanRequest(process=Process(queue.process), start=start, days=7))
        except DomainError:
            continue  # no handling time measured yet: nothing to plan
        lines += [f"{LABELS[Process(queue.process)]} ({queue.owning_team}) on {d.day:%a %d %b}: {d.summary}"
                  for d in plan.days if d.gap < 0]
    return lines


def _headlines(now: Scorecard, before: Scorecard | None, fp: Decimal | None, fp_before: Decimal | None,
               settings: WorkforceSettings) -> list[Headline]:
    b = before
    return [
        _headline("SLA attainment", now.sla_attainment, b.sla_attainment if b else None, settings.sla_target),
        _headline("Quality score", now.quality, b.quality if b else None, settings.quality_target),
        _headline("First-pass portal acceptance", fp, fp_before, None),
        _headline("Items per agent-day", now.items_per_day, b.items_per_day if b else None, None, unit="count"),
        _headline("Attrition", now.attrition, b.attrition if b else None, None, higher_is_better=False),
    ]


def _headline(name: str, value: Decimal | None, previous: Decimal | None, target: Decimal | None, *,
              unit: str = "percent", higher_is_better: bool = True) -> Headline:
    trend = "new" if value is None or previous is None else (
        "flat" if value == previous else ("up" if value > previous else "down"))
    better = trend == ("up" if higher_is_better else "down")
    if value is None:
        status = "neutral"
    elif target is not None:
        status = "good" if (value >= target) == higher_is_better else "bad"
    else:
        status = "good" if better else ("neutral" if trend in ("flat", "new") else "bad")
    return Headline(name=name, value=value, value_text=measure(value, unit), previous_text=measure(previous, unit),
                    target_text=measure(target, unit), trend=trend, arrow=ARROWS[trend], status=status)


def _pareto(counts: dict[str, int]) -> list[ParetoBar]:
    total, running, bars = sum(counts.values()), 0, []
    for label, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        running += count
        bars.append(ParetoBar(label=_readable(label), count=count,
                              cumulative_percent=(Decimal(running) * HUNDRED / total).quantize(Decimal("0.1"))))
    return bars


def _readable(code: str) -> str:
    words = code.replace("_", " ").split()
    return " ".join(w.upper() if w in ("po", "sla", "sop") else w for w in words).capitalize().replace(
        "Po ", "PO ").replace(" po", " PO")


def _narrative(review: VendorReview) -> list[str]:
    lines = []
    for h in review.headlines:
        if h.trend in ("up", "down"):
            verb = "rose" if h.trend == "up" else "fell"
            against = "" if h.target_text == "—" else (f", meeting the {h.target_text} target" if h.status == "good"
                                                       else f", below the {h.target_text} target")
            lines.append(f"{h.name} {verb} from {h.previous_text} to {h.value_text}{against}.")
    if review.rejection_reasons:
        top, total = review.rejection_reasons[0], sum(b.count for b in review.rejection_reasons)
        lines.append(f"{top.label} caused {top.count} of the {total} first-pass rejections.")
    if review.defects:
        lines.append(f"The most frequent review defect was {review.defects[0].label} ({review.defects[0].count}).")
    if review.under_performers:
        lines.append(f"{len(review.under_performers)} agent(s) under target: "
                     + "; ".join(s.split(" — ")[0].split(":")[0] for s in review.under_performers) + ".")
    lines += review.capacity_outlook[:1]
    return lines or ["No change from the previous period."]


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


