from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.escalations.models import Breach, BreachStatus, EscalationRule
from o2c_collections.escalations.schemas import BreachRead
from o2c_collections.pages import newest_first
from o2c_collections.promises.models import Promise, PromiseStatus
from o2c_collections.receivables.models import OpenItem, OpenItemStatus
from o2c_common.http import Page, PageRequest


async def rules(session: AsyncSession) -> list[EscalationRule]:
    return list((await session.scalars(select(EscalationRule).order_by(EscalationRule.id))).all())


async def overdue_items(session: AsyncSession, *, as_of: date) -> list[OpenItem]:
    """Open items past due with an amount not held by a dispute or deduction."""
    stmt = (select(OpenItem).where(OpenItem.status == OpenItemStatus.OPEN, OpenItem.due_date < as_of,
                                   OpenItem.issue_date <= as_of, OpenItem.open_amount > OpenItem.disputed_amount)
            .order_by(OpenItem.customer_id, OpenItem.currency, OpenItem.due_date, OpenItem.invoice_id))
    return list((await session.scalars(stmt)).all())


async def broken_promises(session: AsyncSession, *, as_of: date) -> dict[str, int]:
    stmt = (select(Promise.customer_id, func.count())
            .where(Promise.status == PromiseStatus.BROKEN, Promise.decided_on <= as_of).group_by(Promise.customer_id))
    return {customer: int(count) for customer, count in (await session.execute(stmt)).all()}


async def insert_breach(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Opens the breach of ``values`` (its id is derived from rule, customer, currency and ``as_of``): False when
    the rule already has an open breach for the customer and currency. A breach cleared earlier on the same
    ``as_of`` and met again is reopened (same id), never inserted twice."""
    stmt = insert(Breach).values(**values).on_conflict_do_nothing().returning(Breach.id)
    if (await session.execute(stmt)).scalar_one_or_none() is not None:
        return True
    still_open = (select(Breach.id).where(Breach.rule_id == values["rule_id"],
                                          Breach.customer_id == values["customer_id"],
                                          Breach.currency == values["currency"], Breach.status == BreachStatus.OPEN))
    reopen = (update(Breach).where(Breach.id == values["id"], Breach.status == BreachStatus.CLEARED,
                                   ~still_open.exists())
              .values(status=BreachStatus.OPEN, cleared_on=None).returning(Breach.id)
              .execution_options(synchronize_session=False))
    return (await session.execute(reopen)).scalar_one_or_none() is not None


async def open_breaches(session: AsyncSession, *, rule_id: str) -> list[Breach]:
    stmt = (select(Breach).where(Breach.rule_id == rule_id, Breach.status == BreachStatus.OPEN)
            .with_for_update(skip_locked=True))
    return list((await session.scalars(stmt)).all())


async def breaches_page(session: AsyncSession, *, page: PageRequest, status: str | None,
                        customer_id: str | None) -> Page[BreachRead]:
    return await newest_first(session, Breach, page=page, at=Breach.created_at, item=BreachRead.model_validate,
                              filters={Breach.status: status, Breach.customer_id: customer_id})
