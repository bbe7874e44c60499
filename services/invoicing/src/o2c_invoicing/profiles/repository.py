from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_invoicing.profiles.models import BillingProfile


async def get(session: AsyncSession, *, customer_id: str, for_update: bool = False) -> BillingProfile | None:
    stmt = select(BillingProfile).where(BillingProfile.customer_id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(session: AsyncSession, profile: BillingProfile) -> BillingProfile:
    session.add(profile)
    await session.flush()
    return profile


def list_query(*, team: str | None) -> Select[BillingProfile]:
    stmt = select(BillingProfile)
    if team is not None:
        stmt = stmt.where(BillingProfile.owning_team == team)
    return stmt
