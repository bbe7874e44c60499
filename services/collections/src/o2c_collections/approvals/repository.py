from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.approvals.models import ReductionApproval

_DEDUCTIONS = table("deductions", column("id"), column("opened_by"))
"""Read by its name: the deductions' package decides its reductions through this one (no import back)."""


async def approved_total(session: AsyncSession, *, invoice_id: uuid.UUID) -> Decimal:
    """What approved credits and write-offs reduced the invoice by so far."""
    total = await session.scalar(select(func.coalesce(func.sum(ReductionApproval.amount), 0))
                                 .where(ReductionApproval.invoice_id == invoice_id))
    return Decimal(total or 0)


async def add(session: AsyncSession, approval: ReductionApproval) -> None:
    session.add(approval)
    await session.flush()


async def deduction_opener(session: AsyncSession, *, deduction_id: uuid.UUID) -> str | None:
    """Who opened the deduction: the person who booked the short payment it came from."""
    return await session.scalar(select(_DEDUCTIONS.c.opened_by).where(_DEDUCTIONS.c.id == deduction_id))
