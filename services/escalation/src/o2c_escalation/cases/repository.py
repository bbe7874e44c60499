from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.cases.models import Case


async def add(session: AsyncSession, case: Case) -> Case:
    session.add(case)
    await session.flush()
    await session.refresh(case, ["seq", "opened_at"])
    return case


async def get(session: AsyncSession, *, case_id: uuid.UUID) -> Case | None:
    return await session.get(Case, case_id)
