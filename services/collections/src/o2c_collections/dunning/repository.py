from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts.models import Account
from o2c_collections.dunning.models import (
    DunningPolicy,
    DunningStatement,
    DunningStatementItem,
    DunningTemplate,
    StatementStatus,
)
from o2c_collections.promises.models import Promise, PromiseStatus
from o2c_collections.receivables.models import OpenItem, OpenItemStatus
from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest


async def policies(session: AsyncSession) -> list[DunningPolicy]:
    return list((await session.scalars(select(DunningPolicy).order_by(DunningPolicy.id))).all())


async def get_policy(session: AsyncSession, *, policy_id: str, for_update: bool = False) -> DunningPolicy | None:
    stmt = select(DunningPolicy).where(DunningPolicy.id == policy_id)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).one_or_none()


async def policy_of_segment(session: AsyncSession, *, segment: str) -> DunningPolicy | None:
    stmt = select(DunningPolicy).where(DunningPolicy.segment == segment)
    return (await session.scalars(stmt)).one_or_none()


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


async def templates(session: AsyncSession) -> list[DunningTemplate]:
    stmt = select(DunningTemplate).order_by(DunningTemplate.template, DunningTemplate.language)
    return list((await session.scalars(stmt)).all())


async def get_template(session: AsyncSession, *, template: str, language: str,
                       for_update: bool = False) -> DunningTemplate | None:
    stmt = select(DunningTemplate).where(DunningTemplate.template == template, DunningTemplate.language == language)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).one_or_none()


async def last_sent(session: AsyncSession, *, customer_ids: Sequence[str]
                    ) -> dict[tuple[str, str], tuple[DunningStatement, set[uuid.UUID]]]:
    """Per (customer, currency): the last statement sent (highest cycle, then level) and the invoices it listed."""
    if not customer_ids:
        return {}
    stmt = (select(DunningStatement).where(DunningStatement.customer_id.in_(customer_ids),
                                           DunningStatement.status == StatementStatus.SENT)
            .order_by(DunningStatement.cycle, DunningStatement.level))
    last = {(s.customer_id, s.currency): s for s in (await session.scalars(stmt)).all()}  # the highest wins
    if not last:
        return {}
    listed: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    rows = await session.execute(select(DunningStatementItem.statement_id, DunningStatementItem.invoice_id)
                                 .where(DunningStatementItem.statement_id.in_([s.id for s in last.values()])))
    for statement_id, invoice_id in rows.all():
        listed[statement_id].add(invoice_id)
    return {key: (s, listed[s.id]) for key, s in last.items()}


async def claim_slot(session: AsyncSession, values: dict[str, Any]) -> tuple[DunningStatement, bool]:
    """The statement of the slot (customer, currency, cycle, level), locked: (the new one, True), or (the one the
    slot has, False)."""
    stmt = (insert(DunningStatement).values(**values)
            .on_conflict_do_nothing(constraint="uq_dunning_statements_slot").returning(DunningStatement.id))
    new_id = (await session.execute(stmt)).scalar_one_or_none()
    found = (await session.scalars(select(DunningStatement).where(
        DunningStatement.customer_id == values["customer_id"], DunningStatement.currency == values["currency"],
        DunningStatement.cycle == values["cycle"], DunningStatement.level == values["level"])
        .with_for_update().execution_options(populate_existing=True))).one()
    return found, new_id is not None


async def replace_items(session: AsyncSession, *, statement_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    await session.execute(delete(DunningStatementItem).where(DunningStatementItem.statement_id == statement_id))
    await session.execute(insert(DunningStatementItem), rows)


async def items_of(session: AsyncSession, *, statement_ids: Sequence[uuid.UUID]) -> list[DunningStatementItem]:
    if not statement_ids:
        return []
    stmt = (select(DunningStatementItem).where(DunningStatementItem.statement_id.in_(statement_ids))
            .order_by(DunningStatementItem.statement_id, DunningStatementItem.due_date,
                      DunningStatementItem.invoice_number))
    return list((await session.scalars(stmt)).all())


async def statements_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                          customer_id: str | None, run_id: uuid.UUID | None) -> Page[DunningStatement]:
    stmt = where_equal(select(DunningStatement), {DunningStatement.owning_team: team, DunningStatement.status: status,
                                                  DunningStatement.customer_id: customer_id,
                                                  DunningStatement.run_id: run_id})
    return await keyset_page(session, stmt, page=page, order_by=(DunningStatement.created_at, DunningStatement.id),
                             item=lambda row: row, descending=True)
