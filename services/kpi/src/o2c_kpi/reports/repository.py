from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_kpi.reports.models import SnapshotRun, SnapshotValue


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
