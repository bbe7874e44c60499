from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.promises.models import Promise


async def add(session: AsyncSession, promise: Promise) -> Promise:
    session.add(promise)
    await session.flush()
    return promise


async def due_for_decision(session: AsyncSession, *, as_of: date, limit: int) -> list[Promise]:
    """Open promises reached (paid in full) or past their date, locked; other replicas skip them."""
    stmt = (select(Promise).where(Promise.status == "open",
                                  or_(Promise.paid_amount >= Promise.amount, Promise.promised_date < as_of))
            .order_by(Promise.promised_date, Promise.id).limit(limit).with_for_update(skip_locked=True))
    return list((await session.scalars(stmt)).all())


async def broken_count(session: AsyncSession, *, customer_id: str) -> int:
    stmt = select(func.count()).select_from(Promise).where(Promise.customer_id == customer_id,
                                                           Promise.status == "broken")
    return int((await session.execute(stmt)).scalar_one())


def list_query(*, team: str | None, status: str | None, customer_id: str | None) -> Select[Promise]:
    stmt = select(Promise)
    if team is not None:
        stmt = stmt.where(Promise.owning_team == team)
    if status is not None:
        stmt = stmt.where(Promise.status == status)
    if customer_id is not None:
        stmt = stmt.where(Promise.customer_id == customer_id)
    return stmt
