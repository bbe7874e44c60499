from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.deductions.models import Deduction
from o2c_collections.deductions.schemas import DeductionRead
from o2c_common.db.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[DeductionRead]:
    """Deductions, newest first."""
    stmt = where_equal(select(Deduction), {Deduction.owning_team: team, Deduction.status: status,
                                           Deduction.customer_id: customer_id})
    return await keyset_page(session, stmt, page=page, order_by=(Deduction.opened_at, Deduction.id),
                             item=DeductionRead.model_validate, descending=True)
