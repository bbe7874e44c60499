from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_kpi.ar.models import ReceivableMovement


async def add_movements(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    if rows:
        await session.execute(insert(ReceivableMovement).values(rows).on_conflict_do_nothing())


async def open_ar(session: AsyncSession, *, as_of: date) -> Sequence[Row[tuple[str, object, int]]]:
    per_invoice = (
        select(ReceivableMovement.currency, ReceivableMovement.invoice_id,
               func.sum(ReceivableMovement.amount).label("balance"))
        .where(ReceivableMovement.effective_date <= as_of)
        .group_by(ReceivableMovement.currency, ReceivableMovement.invoice_id)
        .subquery()
    )
    stmt = (
        select(per_invoice.c.currency, func.sum(per_invoice.c.balance),
               func.count().filter(per_invoice.c.balance != 0))
        .group_by(per_invoice.c.currency)
        .order_by(per_invoice.c.currency)
    )
    return (await session.execute(stmt)).all()
