from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_invoicing.profiles.models import BillingProfile


async def get(session: AsyncSession, *, customer_id: str, for_update: bool = False) -> BillingProfile | None:
    stmt = select(BillingProfile).where(BillingProfile.customer_id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def owning_team(session: AsyncSession, *, customer_id: str) -> tuple[bool, str | None]:
    """(whether the customer has a profile, its owning team), one column read."""
    row = (await session.execute(select(BillingProfile.owning_team).where(
        BillingProfile.customer_id == customer_id))).first()
    return (row is not None, row[0] if row is not None else None)


async def add(session: AsyncSession, profile: BillingProfile) -> BillingProfile:
    session.add(profile)
    await session.flush()
    return profile


def list_query(*, team: str | None) -> Select[BillingProfile]:
    stmt = select(BillingProfile)
    if team is not None:
        stmt = stmt.where(BillingProfile.owning_team == team)
    return stmt
