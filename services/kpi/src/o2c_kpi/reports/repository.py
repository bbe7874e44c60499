from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_kpi.facts.models import DailyCount
from o2c_kpi.reports.models import SnapshotRun, SnapshotValue
from o2c_kpi.sla.models import ScopeType, SlaBreach, SlaDefinition, SlaTimer, TimerStatus


async def claim_day(session: AsyncSession, *, day: date, taken_at: datetime) -> bool:
    """True when this transaction takes the day's snapshot: the run row is the lock and the proof."""
    stmt = (insert(SnapshotRun).values(day=day, taken_at=taken_at, values=0).on_conflict_do_nothing()
            .returning(SnapshotRun.day))
    return (await session.execute(stmt)).first() is not None


async def taken_days(session: AsyncSession, *, since: date) -> set[date]:
    return set((await session.scalars(select(SnapshotRun.day).where(SnapshotRun.day >= since))).all())


async def add_values(session: AsyncSession, *, day: date, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(SnapshotValue).values(rows).on_conflict_do_nothing())
    run = await session.get(SnapshotRun, day, with_for_update=True)
    assert run is not None
    run.values = len(rows)
    await session.flush()


async def snapshot_values(session: AsyncSession, *, since: date, until: date, scope_key: str | None,
                          names: list[str] | None) -> list[SnapshotValue]:
    stmt = select(SnapshotValue).where(SnapshotValue.day >= since, SnapshotValue.day <= until)
    if scope_key is not None:
        stmt = stmt.where(SnapshotValue.scope_key == scope_key)
    if names:
        stmt = stmt.where(SnapshotValue.name.in_(names))
    stmt = stmt.order_by(SnapshotValue.day, SnapshotValue.scope_key, SnapshotValue.name, SnapshotValue.currency,
                         SnapshotValue.dimension)
    return list((await session.scalars(stmt)).all())


# --- the reviews' own reads: targets, breaches, due work, open escalations --------------------------------


async def kpi_targets(session: AsyncSession, *, names: Sequence[str], team: str | None) -> list[SlaDefinition]:
    """Active SLA definitions measuring one of the KPIs ``names``: global ones, and those of every team or of
    ``team``; the caller picks the closest."""
    scopes = [SlaDefinition.scope_type == ScopeType.GLOBAL,
              and_(SlaDefinition.scope_type == ScopeType.TEAM, SlaDefinition.scope_value.is_(None))]
    if team is not None:
        scopes.append(and_(SlaDefinition.scope_type == ScopeType.TEAM, SlaDefinition.scope_value == team))
    stmt = (select(SlaDefinition).where(SlaDefinition.active, SlaDefinition.metric.in_(list(names)), or_(*scopes))
            .order_by(SlaDefinition.id))
    return list((await session.scalars(stmt)).all())


async def breaches_between(session: AsyncSession, *, team: str | None, start: datetime, end: datetime,
                           limit: int) -> list[SlaBreach]:
    """The breaches emitted in [start, end) (of ``team`` when given), most severe and latest first."""
    stmt = select(SlaBreach).where(SlaBreach.breached_at >= start, SlaBreach.breached_at < end)
    if team is not None:
        stmt = stmt.where(SlaBreach.owning_team == team)
    stmt = stmt.order_by(SlaBreach.severity, SlaBreach.breached_at.desc(), SlaBreach.breach_key).limit(limit)
    return list((await session.scalars(stmt)).all())


async def timers_due(session: AsyncSession, *, team: str | None, start: datetime,
                     end: datetime) -> list[tuple[str, str | None, int]]:
    """(SLA name, team, count) of the armed SLA clocks running out in [start, end)."""
    stmt = (select(SlaDefinition.name, SlaTimer.owning_team, func.count())
            .join(SlaDefinition, SlaDefinition.id == SlaTimer.definition_id)
            .where(SlaTimer.status == TimerStatus.ARMED, SlaTimer.due_at >= start, SlaTimer.due_at < end))
    if team is not None:
        stmt = stmt.where(SlaTimer.owning_team == team)
    stmt = stmt.group_by(SlaDefinition.name, SlaTimer.owning_team).order_by(func.count().desc(), SlaDefinition.name)
    return [(r[0], r[1], int(r[2])) for r in (await session.execute(stmt)).all()]


async def receivables_due(session: AsyncSession, *, team: str | None, day: date,
                          at: date) -> list[tuple[str, str, int, Decimal]]:
    """(team, currency, invoices, open amount at ``at``) of the receivables falling due on ``day``."""
    where = " AND owning_team = :team" if team is not None else ""
    rows = await session.execute(text(f"""
        SELECT owning_team, currency, count(*) FILTER (WHERE amount > 0), sum(amount) FILTER (WHERE amount > 0)
        FROM (SELECT i.owning_team, i.currency, i.invoice_id, sum(m.amount) AS amount
              FROM kpi_ar_invoices AS i JOIN receivable_movements AS m ON m.invoice_id = i.invoice_id
              WHERE m.resolved AND i.due_date = :day AND m.effective_date <= :at{where}
              GROUP BY 1, 2, 3) AS open_items
        GROUP BY 1, 2 HAVING count(*) FILTER (WHERE amount > 0) > 0 ORDER BY 1, 2"""),  # noqa: S608 fixed text
        {"day": day, "at": at, "team": team})
    return [(r[0], r[1], int(r[2]), Decimal(r[3]).quantize(Decimal("0.01"))) for r in rows.all()]


async def open_escalations(session: AsyncSession, *, team: str | None, at: date,
                           limit: int) -> list[tuple[str, str, str, date | None]]:
    """(case, team, agent at opening, opened on) of the escalations open at the end of ``at``, oldest first."""
    where = " AND owning_team = :team" if team is not None else ""
    rows = await session.execute(text(f"""
        SELECT item_id, max(owning_team), max(agent), min(opened_date) FROM kpi_open_item_movements
        WHERE kind = 'escalation' AND day <= :at{where}
        GROUP BY item_id HAVING sum(count) > 0 ORDER BY 4 NULLS LAST, 1 LIMIT :limit"""),  # noqa: S608 fixed text
        {"at": at, "team": team, "limit": limit})
    return [(r[0], r[1], r[2], r[3]) for r in rows.all()]


async def rejections_by_reason(session: AsyncSession, *, team: str | None, start: date,
                               end: date) -> list[tuple[str, int]]:
    """(reason, portal rejections) from ``start`` to ``end`` (both included)."""
    stmt = (select(DailyCount.dimension, func.sum(DailyCount.count))
            .where(DailyCount.metric == "rejections", DailyCount.day >= start, DailyCount.day <= end)
            .group_by(DailyCount.dimension))
    if team is not None:
        stmt = stmt.where(DailyCount.owning_team == team)
    return [(r[0], int(r[1])) for r in (await session.execute(stmt)).all()]
