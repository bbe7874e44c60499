from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.pages import newest_first
from o2c_collections.promises.models import Promise, PromiseStatus
from o2c_collections.promises.schemas import PromiseRead
from o2c_collections.receivables.models import OpenItem, OpenItemStatus
from o2c_common.http import Page, PageRequest


async def add(session: AsyncSession, promise: Promise) -> Promise:
    session.add(promise)
    await session.flush()
    return promise


async def open_amount(session: AsyncSession, *, customer_id: str, currency: str,
                      invoice_ids: Sequence[uuid.UUID]) -> tuple[Decimal, int]:
    """(open amount, open items counted) of the customer's open items in ``currency``; only of ``invoice_ids``
    when some are named."""
    stmt = select(func.coalesce(func.sum(OpenItem.open_amount), 0), func.count()).where(
        OpenItem.customer_id == customer_id, OpenItem.currency == currency, OpenItem.status == OpenItemStatus.OPEN)
    if invoice_ids:
        stmt = stmt.where(OpenItem.invoice_id.in_(invoice_ids))
    amount, count = (await session.execute(stmt)).one()
    return Decimal(amount), int(count)


async def due_for_decision(session: AsyncSession, *, as_of: date, limit: int) -> list[Promise]:
    """Open promises reached (paid in full) or past their date, locked; other replicas skip them."""
    stmt = (select(Promise).where(Promise.status == PromiseStatus.OPEN,
                                  or_(Promise.paid_amount >= Promise.amount, Promise.promised_date < as_of))
            .order_by(Promise.promised_date, Promise.id).limit(limit).with_for_update(skip_locked=True))
    return list((await session.scalars(stmt)).all())


async def broken_count(session: AsyncSession, *, customer_id: str) -> int:
    stmt = select(func.count()).select_from(Promise).where(Promise.customer_id == customer_id,
                                                           Promise.status == PromiseStatus.BROKEN)
    return int((await session.execute(stmt)).scalar_one())


async def open_for_cash(session: AsyncSession, *, customer_id: str, currency: str,
                        applied_date: date) -> list[Promise]:
    """The customer's open promises in ``currency`` still running on ``applied_date``, oldest first, locked."""
    stmt = (select(Promise).where(Promise.customer_id == customer_id, Promise.currency == currency,
                                  Promise.status == PromiseStatus.OPEN, Promise.promised_date >= applied_date)
            .order_by(Promise.promised_date, Promise.id).with_for_update())
    return list((await session.scalars(stmt)).all())


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[PromiseRead]:
    return await newest_first(session, Promise, page=page, at=Promise.recorded_at, item=PromiseRead.model_validate,
                              filters={Promise.owning_team: team, Promise.status: status,
                                       Promise.customer_id: customer_id})


async def customers_promising(session: AsyncSession, *, customer_ids: Sequence[str]) -> set[str]:
    """Which of ``customer_ids`` have an open promise to pay (cash applied for them may count towards it)."""
    if not customer_ids:
        return set()
    stmt = select(Promise.customer_id).where(Promise.customer_id.in_(list(customer_ids)),
                                             Promise.status == PromiseStatus.OPEN).distinct()
    return set((await session.scalars(stmt)).all())
