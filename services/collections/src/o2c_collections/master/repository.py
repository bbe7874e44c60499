"""The account master's queries: a page of accounts, the parents of a chain, and moving a customer's open items and
unapplied cash to its new owning team."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts.models import Account
from o2c_collections.cashapp.models import Payment
from o2c_collections.deductions.models import Deduction, DeductionStatus
from o2c_collections.disputes.models import Dispute, DisputeStatus
from o2c_collections.master.schemas import AccountRead
from o2c_collections.receivables.models import OpenItem
from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest


async def list_page(session: AsyncSession, *, page: PageRequest, collector: str | None, team: str | None,
                    parent: str | None, segment: str | None) -> Page[AccountRead]:
    """Accounts of the master (version 1 on: a row made for a credit check alone is not one) by customer id."""
    stmt = where_equal(select(Account).where(Account.version > 0),
                       {Account.collector: collector, Account.owning_team: team,
                        Account.parent_customer_id: parent, Account.segment: segment})
    return await keyset_page(session, stmt, page=page, order_by=(Account.customer_id,),
                             item=AccountRead.model_validate)


async def parents(session: AsyncSession, *, customer_ids: Sequence[str]) -> dict[str, str | None]:
    """customer id → parent customer id of the accounts among ``customer_ids`` that exist."""
    if not customer_ids:
        return {}
    stmt = select(Account.customer_id, Account.parent_customer_id).where(Account.customer_id.in_(customer_ids))
    return {c: p for c, p in (await session.execute(stmt)).all()}


async def move_team(session: AsyncSession, *, customer_id: str, team: str | None) -> tuple[int, int]:
    """The customer's open items, its payments with unapplied cash and its unresolved disputes and deductions moved
    to ``team``: (items, payments)."""
    items = await session.execute(update(OpenItem).where(OpenItem.customer_id == customer_id)
                                  .values(owning_team=team, version=OpenItem.version + 1))
    payments = await session.execute(update(Payment).where(Payment.customer_id == customer_id,
                                                           Payment.unapplied_amount > 0)
                                     .values(owning_team=team, version=Payment.version + 1))
    await session.execute(update(Dispute).where(Dispute.customer_id == customer_id,
                                                Dispute.status != DisputeStatus.RESOLVED)
                          .values(owning_team=team, version=Dispute.version + 1))
    await session.execute(update(Deduction).where(Deduction.customer_id == customer_id,
                                                  Deduction.status != DeductionStatus.RESOLVED)
                          .values(owning_team=team, version=Deduction.version + 1))
    return items.rowcount or 0, payments.rowcount or 0  # type: ignore[attr-defined]
