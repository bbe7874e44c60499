"""Credit queries: a customer's payment history (settled and still-overdue items), its disputes and exposure,
and its account row (created on first use, locked for transitions)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts.models import Account
from o2c_collections.disputes.models import Dispute
from o2c_collections.receivables.models import OpenItem


async def history(session: AsyncSession, *, customer_id: str, as_of: date) -> list[tuple[date, date]]:
    """(due date, settled date) per invoice due by ``as_of``: its closing date, or ``as_of`` while still open."""
    stmt = (select(OpenItem.due_date, OpenItem.closed_on, OpenItem.status)
            .where(OpenItem.customer_id == customer_id, OpenItem.due_date < as_of, OpenItem.issue_date <= as_of))
    rows = (await session.execute(stmt)).all()
    return [(due, closed if status == "closed" and closed and closed <= as_of else as_of)
            for due, closed, status in rows]


async def dispute_count(session: AsyncSession, *, customer_id: str, as_of: date) -> int:
    stmt = select(func.count()).select_from(Dispute).where(Dispute.customer_id == customer_id,
                                                           Dispute.opened_date <= as_of)
    return int((await session.execute(stmt)).scalar_one())


async def exposure(session: AsyncSession, *, customer_id: str, currency: str | None) -> Decimal:
    stmt = select(func.coalesce(func.sum(OpenItem.open_amount), 0)).where(
        OpenItem.customer_id == customer_id, OpenItem.status == "open")
    if currency is not None:
        stmt = stmt.where(OpenItem.currency == currency)
    return Decimal((await session.execute(stmt)).scalar_one())


async def latest_entity(session: AsyncSession, *, customer_id: str) -> str | None:
    stmt = (select(OpenItem.legal_entity).where(OpenItem.customer_id == customer_id)
            .order_by(OpenItem.issue_date.desc(), OpenItem.invoice_id).limit(1))
    return (await session.execute(stmt)).scalar_one_or_none()


async def has_items(session: AsyncSession, *, customer_id: str) -> bool:
    stmt = select(OpenItem.invoice_id).where(OpenItem.customer_id == customer_id).limit(1)
    return (await session.execute(stmt)).first() is not None


async def account(session: AsyncSession, *, customer_id: str, for_update: bool = False) -> Account | None:
    stmt = select(Account).where(Account.customer_id == customer_id)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).one_or_none()


async def lock_or_create_account(session: AsyncSession, *, customer_id: str) -> Account:
    """The account locked ``FOR UPDATE``; a customer known only from its invoices gets its row (version 0)."""
    await session.execute(insert(Account).values(customer_id=customer_id, version=0)
                          .on_conflict_do_nothing(index_elements=["customer_id"]))
    found = await account(session, customer_id=customer_id, for_update=True)
    assert found is not None
    return found
