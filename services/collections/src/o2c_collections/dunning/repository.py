from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts.models import Account
from o2c_collections.dunning.models import DunningNotice, DunningPolicy
from o2c_collections.promises.models import Promise, PromiseStatus
from o2c_collections.receivables.models import OpenItem, OpenItemStatus


async def policies(session: AsyncSession) -> list[DunningPolicy]:
    return list((await session.scalars(select(DunningPolicy).order_by(DunningPolicy.id))).all())


async def get_policy(session: AsyncSession, *, policy_id: str, for_update: bool = False) -> DunningPolicy | None:
    stmt = select(DunningPolicy).where(DunningPolicy.id == policy_id)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).one_or_none()


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def overdue_items(session: AsyncSession, *, as_of: date) -> list[tuple[OpenItem, Account | None]]:
    stmt = (select(OpenItem, Account).outerjoin(Account, Account.customer_id == OpenItem.customer_id)
            .where(OpenItem.status == OpenItemStatus.OPEN, OpenItem.due_date < as_of, OpenItem.open_amount > 0)
            .order_by(OpenItem.customer_id, OpenItem.currency, OpenItem.due_date, OpenItem.invoice_id))
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def open_promises(session: AsyncSession, *, as_of: date) -> list[Promise]:
    stmt = select(Promise).where(Promise.status == PromiseStatus.OPEN, Promise.promised_date >= as_of)
    return list((await session.scalars(stmt)).all())


async def insert_notice(session: AsyncSession, values: dict[str, Any]) -> bool:
    """False when this invoice already had this level (the unique constraint makes runs idempotent)."""
    stmt = (insert(DunningNotice).values(**values)
            .on_conflict_do_nothing(index_elements=["invoice_id", "level"]).returning(DunningNotice.id))
    return (await session.execute(stmt)).scalar_one_or_none() is not None
