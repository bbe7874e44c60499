from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.deductions.models import Deduction


async def get(session: AsyncSession, *, deduction_id: uuid.UUID, for_update: bool = False) -> Deduction | None:
    stmt = select(Deduction).where(Deduction.id == deduction_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


def list_query(*, team: str | None, status: str | None, customer_id: str | None) -> Select[Deduction]:
    stmt = select(Deduction)
    if team is not None:
        stmt = stmt.where(Deduction.owning_team == team)
    if status is not None:
        stmt = stmt.where(Deduction.status == status)
    if customer_id is not None:
        stmt = stmt.where(Deduction.customer_id == customer_id)
    return stmt
