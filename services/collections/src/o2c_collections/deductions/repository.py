from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.deductions.models import Deduction
from o2c_collections.deductions.schemas import DeductionRead
from o2c_collections.pages import newest_first
from o2c_common.http import Page, PageRequest


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[DeductionRead]:
    return await newest_first(session, Deduction, page=page, at=Deduction.opened_at, item=DeductionRead.model_validate,
                              filters={Deduction.owning_team: team, Deduction.status: status,
                                       Deduction.customer_id: customer_id})
