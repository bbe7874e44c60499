"""The operations data of the reviews, from the ``kpi-operations`` read models: :func:`review_operations` for a
period and the previous one, and the ``record_*`` verbs the handlers call with each event's facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv, workforce as wf
from o2c_common.text import measure, money, plain
from o2c_common.tx import Tx
from o2c_kpi.operations import repository
from o2c_kpi.operations.models import (
    OpsAction,
    OpsCapacityOutlook,
    OpsCase,
    OpsDispute,
    OpsQualityReview,
    OpsRejection,
    OpsTeam,
    OpsVendor,
)
from o2c_kpi.operations.repository import OpsBatch
from o2c_kpi.operations.schemas import (
    DefectCategoryCount,
    DefectCount,
    Money,
    OpenItem,
    OpenList,
    OperationsPeriod,
    OperationsRead,
    OutlookDayRead,
    Pareto,
    ParetoBar,
    QualityFigures,
    QualityRead,
    QueueOutlook,
    TeamOpenWork,
    TeamQuality,
    VendorQuality,
)

HUNDRED = Decimal(100)
INTERNAL = "Internal teams"
UPPER = {"po": "PO", "sla": "SLA", "sop": "SOP", "ap": "AP", "id": "ID", "l1": "L1", "l2": "L2", "l3": "L3"}


def readable(code: str) -> str:
    """A code as a person reads it: ``missing_po`` → ``Missing PO``, ``customer_impact`` → ``Customer impact``."""
    words = code.replace("_", " ").replace("-", " ").split()
    text = " ".join(UPPER.get(w.lower(), w.lower()) for w in words)
    return text[:1].upper() + text[1:]


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day 00:00)`` in UTC: the days ``start`` to ``end``, both included."""
    return (datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC))


# --- recording (the handlers' verbs) -----------------------------------------------------------------------------

async def record_vendor(tx: Tx, fact: wf.VendorChanged) -> None:
    tx.batch(OpsBatch).upsert(OpsVendor, {"code": fact.code, "name": fact.name}, keys=["code"])


async def record_team(tx: Tx, fact: wf.TeamChanged) -> None:
    tx.batch(OpsBatch).upsert(OpsTeam, {"team": fact.team, "vendor_code": fact.vendor_code},
                            keys=["team"])


async def record_quality_review(tx: Tx, fact: wf.QualityReviewed) -> None:
    types = {t.code: t for t in fact.defect_types}
    defects = [{"code": code, "category": types[code].category if code in types else "uncategorised",
                "label": types[code].label if code in types else readable(code)} for code in fact.defects]
    tx.batch(OpsBatch).upsert(OpsQualityReview, {
        "sample_id": fact.sample_id, "process": fact.process, "agent": fact.agent, "team": fact.team,
        "score": fact.score, "defects": defects, "reviewed_at": fact.reviewed_at},
        keys=["sample_id"], only_if_newer="reviewed_at")


async def record_rejection(tx: Tx, fact: inv.InvoicePortalRejected) -> None:
    tx.batch(OpsBatch).upsert(OpsRejection, {
        "submission_id": fact.submission_id, "invoice_id": fact.invoice_id, "owning_team": fact.owning_team,
        "reason": fact.reason, "root_cause": fact.root_cause, "portal_reason_code": fact.portal_reason_code,
        "reason_text": fact.reason_text, "rejected_at": fact.rejected_at}, keys=["submission_id"])


async def record_dispute_opened(tx: Tx, fact: col.DisputeOpened) -> None:
    tx.batch(OpsBatch).insert_new(OpsDispute, {
        "dispute_id": fact.dispute_id, "owning_team": fact.owning_team, "currency": fact.currency,
        "amount": fact.amount, "reason": fact.reason, "opened_at": fact.opened_at}, keys=["dispute_id"])


async def record_dispute_resolved(tx: Tx, fact: col.DisputeResolved) -> None:
    tx.batch(OpsBatch).upsert(OpsDispute, {
        "dispute_id": fact.dispute_id, "owning_team": fact.owning_team, "currency": fact.currency,
        "amount": fact.amount, "reason": fact.reason, "root_cause": fact.root_cause, "opened_at": fact.opened_at,
        "resolved_at": fact.resolved_at}, keys=["dispute_id"])


async def record_case_opened(tx: Tx, fact: esc.EscalationOpened) -> None:
    tx.batch(OpsBatch).upsert(OpsCase, {
        "case_id": fact.case_id, "case_number": fact.case_number, "title": fact.title, "category": fact.category,
        "severity": fact.severity, "tier": fact.tier, "owning_team": fact.owning_team, "assignee": fact.assignee,
        "opened_at": fact.opened_at, "resolved_at": None}, keys=["case_id"])


async def record_case_moved(tx: Tx, fact: esc.EscalationAcknowledged | esc.EscalationEscalated) -> None:
    """Acknowledged or escalated: the case's tier, team, severity and assignee as they are now."""
    tx.batch(OpsBatch).update(OpsCase.case_id, fact.case_id, _routing(fact))


async def record_case_resolved(tx: Tx, fact: esc.EscalationResolved) -> None:
    tx.batch(OpsBatch).update(OpsCase.case_id, fact.case_id,
                                {**_routing(fact), "resolved_at": fact.resolved_at})


async def record_case_reopened(tx: Tx, fact: esc.EscalationReopened) -> None:
    """Open work again: no longer resolved."""
    tx.batch(OpsBatch).update(OpsCase.case_id, fact.case_id, {**_routing(fact), "resolved_at": None})


def _routing(fact: esc.EscalationAcknowledged | esc.EscalationEscalated | esc.EscalationResolved
             | esc.EscalationReopened) -> dict[str, Any]:
    return {"tier": fact.tier, "owning_team": fact.owning_team, "severity": fact.severity, "assignee": fact.assignee}


async def record_case_action(tx: Tx, fact: esc.CaseActionChanged) -> None:
    closed = fact.status in ("done", "cancelled")
    tx.batch(OpsBatch).upsert(OpsAction, {
        "action_id": fact.action_id, "case_id": fact.case_id, "case_number": fact.case_number,
        "owning_team": fact.owning_team, "kind": fact.kind, "description": fact.description, "owner": fact.owner,
        "due_date": fact.due_date, "status": fact.status, "created_at": fact.created_at,
        "closed_at": (fact.completed_at or fact.changed_at) if closed else None, "changed_at": fact.changed_at},
        keys=["action_id"], only_if_newer="changed_at")


async def record_capacity_outlook(tx: Tx, fact: wf.CapacityOutlookPublished) -> None:
    """The queue's latest outlook replaces the one before (an older one heard late changes nothing)."""
    tx.batch(OpsBatch).upsert(OpsCapacityOutlook, {
        "process": fact.process, "team": fact.team or "", "model": fact.model, "published_at": fact.published_at,
        "days": [d.model_dump(mode="json") for d in fact.days]}, keys=["process", "team"], only_if_newer="published_at")


# --- the review --------------------------------------------------------------------------------------------------

async def review_operations(tx: Tx, *, start: date, end: date, previous_start: date, previous_end: date,
                            team: str | None) -> OperationsRead:
    """Quality per vendor and team, Pareto data, open corrective actions and escalations for the period and the
    previous one (``team``: narrowed to it; the caller has checked the caller may see it), and the latest
    capacity outlook of each queue."""
    return OperationsRead(team=team,
                          current=await _period(tx, start=start, end=end, team=team),
                          previous=await _period(tx, start=previous_start, end=previous_end, team=team),
                          capacity_outlook=await capacity_outlook(tx, team=team))


async def _period(tx: Tx, *, start: date, end: date, team: str | None) -> OperationsPeriod:
    since, until = bounds(start, end)
    return OperationsPeriod(start=start, end=end, quality=await quality(tx, since=since, until=until, team=team),
                            rejection_reasons=await rejection_reasons(tx, since=since, until=until, team=team),
                            dispute_root_causes=await dispute_root_causes(tx, since=since, until=until, team=team),
                            open_work=await open_work(tx, at=until, team=team))


# --- quality -----------------------------------------------------------------------------------------------------

async def quality(tx: Tx, *, since: datetime, until: datetime, team: str | None) -> QualityRead:
    teams, vendors = await repository.teams_and_vendors(tx.session)
    scores = {r.team: (int(r.reviewed), Decimal(r.score_sum)) for r in
              await repository.quality_per_team(tx.session, since=since, until=until, team=team)}
    defects: dict[str | None, list[Any]] = defaultdict(list)
    for row in await repository.defects_per_team(tx.session, since=since, until=until, team=team):
        defects[row.team].append(row)
    by_vendor: dict[str | None, list[str | None]] = defaultdict(list)
    for name in sorted(scores, key=lambda t: t or ""):
        by_vendor[teams.get(name) if name else None].append(name)
    vendor_rows = [VendorQuality(
        vendor_code=code, vendor=vendors.get(code, code) if code else INTERNAL,
        figures=_figures([scores[t] for t in members], [d for t in members for d in defects[t]]),
        teams=[TeamQuality(team=t or "—", figures=_figures([scores[t]], defects[t])) for t in members])
        for code, members in by_vendor.items()]
    vendor_rows.sort(key=lambda v: (v.vendor_code is None, v.vendor))
    return QualityRead(overall=_figures(list(scores.values()), [d for rows in defects.values() for d in rows]),
                       vendors=vendor_rows)


def _figures(scores: Sequence[tuple[int, Decimal]], defects: Iterable[Any]) -> QualityFigures:
    reviewed = sum(n for n, _ in scores)
    average = (sum((s for _, s in scores), Decimal(0)) / reviewed).quantize(Decimal("0.01")) if reviewed else None
    categories: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in defects:
        categories[row.category][row.code].append(row)
    by_category = []
    for category, codes in categories.items():
        found = sorted((DefectCount(code=code, label=rows[0].label, count=sum(int(r.n) for r in rows))
                        for code, rows in codes.items()), key=lambda d: (-d.count, d.label))
        by_category.append(DefectCategoryCount(category=category, label=readable(category),
                                               count=sum(d.count for d in found), defects=found))
    by_category.sort(key=lambda c: (-c.count, c.label))
    return QualityFigures(reviewed=reviewed, average_score=average, average_score_text=measure(average, "percent"),
                          defects=sum(c.count for c in by_category), by_category=by_category)


# --- Pareto ------------------------------------------------------------------------------------------------------

async def rejection_reasons(tx: Tx, *, since: datetime, until: datetime, team: str | None) -> Pareto:
    """Portal rejections of the period per reason, with the rejected invoices' amounts and the portals' texts."""
    rows = await repository.rejections_per_reason(tx.session, since=since, until=until, team=team)
    examples: dict[str, list[str]] = defaultdict(list)
    for row in await repository.rejection_texts(tx.session, since=since, until=until, team=team):
        said = f"{row.portal_reason_code}: {row.reason_text}" if row.reason_text else row.portal_reason_code
        if len(examples[row.reason]) < 3:
            examples[row.reason].append(f"{said} ({row.n})")
    return pareto("Portal rejection reasons", rows, examples)


async def dispute_root_causes(tx: Tx, *, since: datetime, until: datetime, team: str | None) -> Pareto:
    """Disputes resolved in the period per root cause, with the amounts disputed."""
    rows = await repository.disputes_per_root_cause(tx.session, since=since, until=until, team=team)
    return pareto("Dispute root causes", rows, {})


def pareto(title: str, rows: Iterable[Any], examples: dict[str, list[str]]) -> Pareto:
    """Bars from ``(code, currency, n, amount)`` rows: descending by count, each with its share and the
    cumulative share of the bars up to it (the Pareto line)."""
    counts: dict[str, int] = defaultdict(int)
    amounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for code, currency, n, amount in rows:
        counts[code] += int(n)
        if currency is not None:
            amounts[code][currency] = amounts[code].get(currency, Decimal(0)) + Decimal(amount)
    total, running, bars = sum(counts.values()), 0, []
    for code, n in sorted(counts.items(), key=lambda item: (-item[1], readable(item[0]))):
        running += n
        bars.append(ParetoBar(
            code=code, label=readable(code), count=n, share_percent=_percent(n, total),
            cumulative_percent=_percent(running, total), examples=examples.get(code, []),
            amounts=[Money(currency=c, amount=a, text=money(a, c)) for c, a in sorted(amounts[code].items())]))
    return Pareto(title=title, total=total, bars=bars)


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(part) * HUNDRED / whole).quantize(Decimal("0.1"))


# --- open corrective actions and escalations ---------------------------------------------------------------------

async def open_work(tx: Tx, *, at: datetime, team: str | None) -> list[TeamOpenWork]:
    """Escalation cases and corrective or preventive actions open at ``at`` (the period's end), per team: how
    many, the oldest's age and the 5 oldest."""
    found: dict[str, dict[str, OpenList]] = defaultdict(dict)
    for model, key in ((OpsCase, "escalations"), (OpsAction, "corrective_actions")):
        tops: dict[str, list[OpenItem]] = defaultdict(list)
        for row in await repository.oldest_open(tx.session, model, at=at, team=team):
            tops[row.owning_team].append(_case_item(row, at) if isinstance(row, OpsCase) else _action_item(row, at))
        for row in await repository.open_counts(tx.session, model, at=at, team=team):
            found[row.owning_team][key] = OpenList(count=row.n, oldest_age_days=_age(row.oldest, at),
                                                   top=tops[row.owning_team])
    none = OpenList(count=0, oldest_age_days=None, top=[])
    return [TeamOpenWork(team=name, escalations=lists.get("escalations", none),
                         corrective_actions=lists.get("corrective_actions", none))
            for name, lists in sorted(found.items())]


def _age(since: datetime, at: datetime) -> int:
    return max((at - since).days, 0)


def _age_text(days: int) -> str:
    return "under a day" if days == 0 else f"{days} day{'' if days == 1 else 's'}"


def _case_item(case: OpsCase, at: datetime) -> OpenItem:
    age = _age(case.opened_at, at)
    return OpenItem(id=case.case_id, reference=case.case_number, title=case.title, opened_at=case.opened_at,
                    age_days=age, age_text=_age_text(age), owner=case.assignee or "—",
                    detail=f"{case.severity}, {case.tier}, {readable(case.category)}")


def _action_item(action: OpsAction, at: datetime) -> OpenItem:
    age = _age(action.created_at, at)
    overdue = " (overdue)" if action.due_date < at.date() - timedelta(days=1) else ""
    return OpenItem(id=action.action_id, reference=action.case_number, title=action.description,
                    opened_at=action.created_at, age_days=age, age_text=_age_text(age), owner=action.owner,
                    detail=f"{readable(action.kind)} action due {action.due_date.isoformat()}{overdue}")


# --- capacity outlook --------------------------------------------------------------------------------------------

async def capacity_outlook(tx: Tx, *, team: str | None) -> list[QueueOutlook]:
    """The latest published outlook of each queue (a team's queues only, when narrowed)."""
    return [_outlook(row) for row in await repository.outlooks(tx.session, team=team)]


def _outlook(row: OpsCapacityOutlook) -> QueueOutlook:
    days = [OutlookDayRead(**d, summary=_day_summary(d)) for d in row.days]
    return QueueOutlook(process=row.process, process_label=readable(row.process), team=row.team or None,
                        model=row.model, published_at=row.published_at, days=days,
                        short_days=sum(1 for d in days if d.gap < 0))


def _day_summary(day: dict[str, Any]) -> str:
    gap = int(day["gap"])
    verdict = f"{-gap} short" if gap < 0 else ("on plan" if gap == 0 else f"{gap} spare")
    return (f"{plain(Decimal(day['forecast_arrivals']))} items forecast: {day['required_agents']} agents required, "
            f"{day['rostered_agents']} rostered — {verdict}")
