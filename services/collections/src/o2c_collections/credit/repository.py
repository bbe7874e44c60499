"""Credit queries: a customer's payment history (settled and still-overdue items), its disputes and exposure, and
the same for many customers in a few statements (its account row is read through ``accounts/repository.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from o2c_collections.accounts.models import Account
from o2c_collections.credit.models import CreditHoldRule
from o2c_collections.disputes.models import Dispute
from o2c_collections.promises.models import Promise, PromiseStatus
from o2c_collections.receivables.models import OpenItem, OpenItemStatus


async def history(session: AsyncSession, *, customer_id: str, as_of: date) -> list[tuple[date, date]]:
    """(due date, settled date) per invoice due by ``as_of``: its closing date, or ``as_of`` while still open."""
    stmt = (select(OpenItem.due_date, OpenItem.closed_on, OpenItem.status)
            .where(OpenItem.customer_id == customer_id, OpenItem.due_date < as_of, OpenItem.issue_date <= as_of))
    rows = (await session.execute(stmt)).all()
    return [(due, closed if status == OpenItemStatus.CLOSED and closed and closed <= as_of else as_of)
            for due, closed, status in rows]


async def dispute_count(session: AsyncSession, *, customer_id: str, as_of: date) -> int:
    stmt = select(func.count()).select_from(Dispute).where(Dispute.customer_id == customer_id,
                                                           Dispute.opened_date <= as_of)
    return int((await session.execute(stmt)).scalar_one())


async def exposure(session: AsyncSession, *, customer_id: str, currency: str | None) -> Decimal:
    stmt = select(func.coalesce(func.sum(OpenItem.open_amount), 0)).where(
        OpenItem.customer_id == customer_id, OpenItem.status == OpenItemStatus.OPEN)
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


# --- batches: every customer of a worklist or a hold run in a few statements (no query per customer) ----------


def _among(column: InstrumentedAttribute[str], ids: Sequence[str]) -> ColumnElement[bool]:
    """``column = ANY(:ids)``: one array parameter, however many customers (IN would bind one each)."""
    return column == any_(bindparam(None, list(ids), type_=ARRAY(String(64))))


async def histories(session: AsyncSession, *, customer_ids: Sequence[str],
                    as_of: date) -> dict[str, list[tuple[date, date]]]:
    """:func:`history` of each customer."""
    result: dict[str, list[tuple[date, date]]] = defaultdict(list)
    if not customer_ids:
        return result
    stmt = (select(OpenItem.customer_id, OpenItem.due_date, OpenItem.closed_on, OpenItem.status)
            .where(_among(OpenItem.customer_id, customer_ids), OpenItem.due_date < as_of, OpenItem.issue_date <= as_of))
    for customer, due, closed, status in (await session.execute(stmt)).all():
        settled = closed if status == OpenItemStatus.CLOSED and closed and closed <= as_of else as_of
        result[customer].append((due, settled))
    return result


async def dispute_counts(session: AsyncSession, *, customer_ids: Sequence[str], as_of: date) -> dict[str, int]:
    if not customer_ids:
        return {}
    stmt = (select(Dispute.customer_id, func.count()).where(_among(Dispute.customer_id, customer_ids),
                                                            Dispute.opened_date <= as_of)
            .group_by(Dispute.customer_id))
    return {customer: int(n) for customer, n in (await session.execute(stmt)).all()}


async def broken_counts(session: AsyncSession, *, customer_ids: Sequence[str]) -> dict[str, int]:
    if not customer_ids:
        return {}
    stmt = (select(Promise.customer_id, func.count()).where(_among(Promise.customer_id, customer_ids),
                                                            Promise.status == PromiseStatus.BROKEN)
            .group_by(Promise.customer_id))
    return {customer: int(n) for customer, n in (await session.execute(stmt)).all()}


async def exposures(session: AsyncSession) -> dict[tuple[str, str], Decimal]:
    """Open AR per (customer, currency)."""
    stmt = (select(OpenItem.customer_id, OpenItem.currency, func.sum(OpenItem.open_amount))
            .where(OpenItem.status == OpenItemStatus.OPEN).group_by(OpenItem.customer_id, OpenItem.currency))
    return {(customer, currency): Decimal(amount) for customer, currency, amount in (await session.execute(stmt)).all()}


async def accounts(session: AsyncSession, *, customer_ids: Sequence[str] | None = None) -> dict[str, Account]:
    """Accounts with a limit or a hold (or the ``customer_ids`` given)."""
    stmt = select(Account)
    if customer_ids is not None:
        stmt = stmt.where(_among(Account.customer_id, customer_ids))
    else:
        stmt = stmt.where((Account.credit_limit.is_not(None)) | Account.on_hold)
    return {a.customer_id: a for a in (await session.scalars(stmt)).all()}


async def hold_rules(session: AsyncSession) -> list[CreditHoldRule]:
    return list((await session.scalars(select(CreditHoldRule).order_by(CreditHoldRule.id))).all())
