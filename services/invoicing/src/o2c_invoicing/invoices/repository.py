from __future__ import annotations

import uuid
from datetime import date
from typing import Any, cast

from sqlalchemy import Insert, Select, String, Table, bindparam, case, exists, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from o2c_common.db.plumbing import audit_log_table
from o2c_invoicing.invoices.models import Invoice, InvoiceLine, InvoiceNumberSequence, InvoiceStatusChange
from o2c_invoicing.profiles.models import BillingProfile


async def next_number(session: AsyncSession, *, series: str, year: int) -> int:
    """Gapless: the counter row is locked until the caller's transaction ends, so numbers are taken in turn
    and a rolled-back transaction gives its number back."""
    stmt = (
        pg_insert(InvoiceNumberSequence)
        .values(legal_entity=series, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[InvoiceNumberSequence.legal_entity, InvoiceNumberSequence.year],
            set_={"last_number": InvoiceNumberSequence.last_number + 1},
        )
        .returning(InvoiceNumberSequence.last_number)
    )
    return int((await session.execute(stmt)).scalar_one())


async def insert_draft(session: AsyncSession, *, invoice: dict[str, Any], lines: list[dict[str, Any]],
                       history: dict[str, Any], audit: dict[str, Any], team_from_profile: bool) -> str | None:
    """The creation hot path as ONE statement (data-modifying CTEs on Core tables: no ORM bookkeeping, one
    round trip): the invoice, its lines, its first status row and its audit entry. With ``team_from_profile``
    the owning team is resolved in the same statement: the customer's billing profile's when there is one,
    else the invoice's own. Returns the owning team stored."""
    values = dict(invoice)
    if team_from_profile:
        customer = BillingProfile.customer_id == invoice["customer_id"]
        values["owning_team"] = case(
            (exists().where(customer), select(BillingProfile.owning_team).where(customer).scalar_subquery()),
            else_=bindparam("requested_team", invoice["owning_team"], type_=String))
    invoices, lines_table, history_table = (cast(Table, m.__table__) for m in (Invoice, InvoiceLine,
                                                                              InvoiceStatusChange))
    created = insert(invoices).values(values).returning(invoices.c.owning_team).cte("created")
    stmt = select(created.c.owning_team).add_cte(
        _insert_rows(lines_table, lines).cte("lines"),
        insert(history_table).values(history).cte("history"),
        insert(audit_log_table).values(audit).cte("audit"),
    )
    team: str | None = (await session.execute(stmt)).scalar_one()
    return team


def _insert_rows(table: Table, rows: list[dict[str, Any]]) -> Insert:
    """INSERT … SELECT FROM unnest(<one array per column>): any number of rows in one statement that, unlike a
    multi-row VALUES, SQLAlchemy compiles once and caches."""
    names = list(rows[0])
    arrays = [bindparam(f"{table.name}_{name}", [row[name] for row in rows], type_=ARRAY(table.c[name].type))
              for name in names]
    source = func.unnest(*arrays).table_valued(*names).render_derived(name="source")
    return insert(table).from_select(names, select(*(source.c[name] for name in names)))


async def add(session: AsyncSession, invoice: Invoice) -> Invoice:
    session.add(invoice)
    await session.flush()
    return invoice


async def add_history(session: AsyncSession, **values: Any) -> None:
    await session.execute(insert(InvoiceStatusChange), [values])


async def get(session: AsyncSession, *, invoice_id: uuid.UUID, for_update: bool = False) -> Invoice | None:
    stmt = select(Invoice).where(Invoice.id == invoice_id).options(
        selectinload(Invoice.lines), selectinload(Invoice.approvals))
    if for_update:
        stmt = stmt.with_for_update(of=Invoice).execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def history(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[InvoiceStatusChange]:
    stmt = select(InvoiceStatusChange).where(InvoiceStatusChange.invoice_id == invoice_id)\
        .order_by(InvoiceStatusChange.id)
    return list((await session.scalars(stmt)).all())


async def number_taken(session: AsyncSession, *, legal_entity: str, number: str) -> bool:
    stmt = select(Invoice.id).where(Invoice.legal_entity == legal_entity, Invoice.number == number)
    return (await session.execute(stmt)).first() is not None


async def same_id_or_number(session: AsyncSession, *, invoice_id: uuid.UUID | None, legal_entity: str,
                            number: str) -> list[tuple[uuid.UUID, str, str | None]]:
    """(id, legal entity, number) of the invoices holding this id or this entity's number (at most two)."""
    clause = (Invoice.legal_entity == legal_entity) & (Invoice.number == number)
    if invoice_id is not None:
        clause = clause | (Invoice.id == invoice_id)
    rows = await session.execute(select(Invoice.id, Invoice.legal_entity, Invoice.number).where(clause))
    return [(r[0], r[1], r[2]) for r in rows]


def list_query(*, customer_id: str | None, team: str | None, status: str | None = None,
               issued_from: date | None = None) -> Select[Invoice]:
    stmt = select(Invoice).options(selectinload(Invoice.lines), selectinload(Invoice.approvals))
    if customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == customer_id)
    if team is not None:
        stmt = stmt.where(Invoice.owning_team == team)
    if status is not None:
        stmt = stmt.where(Invoice.status == status)
    if issued_from is not None:
        stmt = stmt.where(Invoice.issue_date >= issued_from)
    return stmt
