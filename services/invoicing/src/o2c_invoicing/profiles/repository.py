from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.profiles.schemas import ProfileRead


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


async def save(session: AsyncSession, profile: BillingProfile) -> None:
    """Writes the changed profile and reads back what the database set (version, updated_at)."""
    await session.flush()
    await session.refresh(profile)


def list_query(*, team: str | None) -> Select[BillingProfile]:
    return where_equal(select(BillingProfile), {BillingProfile.owning_team: team})


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None) -> Page[ProfileRead]:
    return await keyset_page(session, list_query(team=team), page=page, order_by=(BillingProfile.customer_id,),
                             item=ProfileRead.model_validate)
