from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.disputes.models import Dispute


async def get(session: AsyncSession, *, dispute_id: uuid.UUID, for_update: bool = False) -> Dispute | None:
    stmt = select(Dispute).where(Dispute.id == dispute_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def by_source_key(session: AsyncSession, *, source_key: str) -> Dispute | None:
    return (await session.scalars(select(Dispute).where(Dispute.source_key == source_key))).one_or_none()


async def insert_new(session: AsyncSession, dispute: Dispute) -> bool:
    """Inserts ``dispute`` unless its source key exists (a redelivered portal rejection, a re-run import)."""
    values = {c.key: getattr(dispute, c.key) for c in Dispute.__table__.columns if getattr(dispute, c.key) is not None}
    stmt = insert(Dispute).values(**values).on_conflict_do_nothing(index_elements=["source_key"]).returning(Dispute.id)
    inserted = (await session.execute(stmt)).scalar_one_or_none()
    return inserted is not None


def list_query(*, team: str | None, status: str | None, customer_id: str | None,
               invoice_id: uuid.UUID | None) -> Select[Dispute]:
    stmt = select(Dispute)
    if team is not None:
        stmt = stmt.where(Dispute.owning_team == team)
    if status is not None:
        stmt = stmt.where(Dispute.status == status)
    if customer_id is not None:
        stmt = stmt.where(Dispute.customer_id == customer_id)
    if invoice_id is not None:
        stmt = stmt.where(Dispute.invoice_id == invoice_id)
    return stmt
