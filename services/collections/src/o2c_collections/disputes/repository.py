from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.disputes.models import Dispute
from o2c_collections.disputes.schemas import DisputeRead
from o2c_collections.pages import newest_first
from o2c_common.entities import load
from o2c_common.http import Page, PageRequest


async def get(session: AsyncSession, *, dispute_id: uuid.UUID, for_update: bool = False) -> Dispute | None:
    return await load(session, Dispute, dispute_id, for_update=for_update)


async def by_source_key(session: AsyncSession, *, source_key: str) -> Dispute | None:
    return (await session.scalars(select(Dispute).where(Dispute.source_key == source_key))).one_or_none()


async def insert_new(session: AsyncSession, dispute: Dispute) -> bool:
    """Inserts ``dispute`` unless its source key exists (a redelivered portal rejection, a re-run import)."""
    values = {c.key: getattr(dispute, c.key) for c in Dispute.__table__.columns if getattr(dispute, c.key) is not None}
    stmt = insert(Dispute).values(**values).on_conflict_do_nothing(index_elements=["source_key"]).returning(Dispute.id)
    inserted = (await session.execute(stmt)).scalar_one_or_none()
    return inserted is not None


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None, invoice_id: uuid.UUID | None) -> Page[DisputeRead]:
    return await newest_first(session, Dispute, page=page, at=Dispute.opened_at, item=DisputeRead.model_validate,
                              filters={Dispute.owning_team: team, Dispute.status: status,
                                       Dispute.customer_id: customer_id, Dispute.invoice_id: invoice_id})
