from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_kpi.ar.models import ReceivableMovement


async def open_ar(session: AsyncSession, *, as_of: date) -> list[tuple[str, Any, int]]:
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
    return [(row[0], row[1], int(row[2])) for row in (await session.execute(stmt)).all()]
