from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.approvals.models import ReductionApproval


async def approved_total(session: AsyncSession, *, invoice_id: uuid.UUID) -> Decimal:
    """What approved credits and write-offs reduced the invoice by so far."""
    total = await session.scalar(select(func.coalesce(func.sum(ReductionApproval.amount), 0))
                                 .where(ReductionApproval.invoice_id == invoice_id))
    return Decimal(total or 0)


async def add(session: AsyncSession, approval: ReductionApproval) -> None:
    session.add(approval)
    await session.flush()
