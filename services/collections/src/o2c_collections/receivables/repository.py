from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.receivables.models import LedgerEntry, OpenItem


async def get(session: AsyncSession, *, invoice_id: uuid.UUID) -> OpenItem | None:
    return await session.get(OpenItem, invoice_id)


async def add(session: AsyncSession, item: OpenItem, entry: LedgerEntry) -> None:
    session.add(item)
    await session.flush()
    session.add(entry)
    await session.flush()


def list_query(*, customer_id: str | None, team: str | None) -> Select[OpenItem]:
    stmt = select(OpenItem)
    if customer_id is not None:
        stmt = stmt.where(OpenItem.customer_id == customer_id)
    if team is not None:
        stmt = stmt.where(OpenItem.owning_team == team)
    return stmt
