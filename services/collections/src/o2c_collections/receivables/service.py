from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.receivables import repository
from o2c_collections.receivables.models import LedgerEntry, OpenItem
from o2c_collections.receivables.schemas import OpenItemRead
from o2c_common.auth import Principal, ensure_team_access
from o2c_common.errors import NotFound
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.http import Page, PageRequest, build_page, keyset_select


async def open_receivable(session: AsyncSession, *, fact: InvoiceIssued, event_id: uuid.UUID) -> OpenItem | None:
    """Opens the invoice's receivable; a second delivery of the same invoice changes nothing."""
    if await repository.get(session, invoice_id=fact.invoice_id) is not None:
        return None
    item = OpenItem(
        invoice_id=fact.invoice_id, invoice_number=fact.invoice_number, legal_entity=fact.legal_entity,
        customer_id=fact.customer_id, owning_team=fact.owning_team, currency=fact.currency,
        original_amount=fact.amount, open_amount=fact.amount, issue_date=fact.issue_date, due_date=fact.due_date,
        status="open",
    )
    entry = LedgerEntry(invoice_id=fact.invoice_id, kind="invoice", amount=fact.amount,
                        effective_date=fact.issue_date, source_event_id=event_id)
    await repository.add(session, item, entry)
    return item


async def get(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal) -> OpenItem:
    item = await repository.get(session, invoice_id=invoice_id)
    if item is None:
        raise NotFound(f"no receivable for invoice {invoice_id}")
    ensure_team_access(principal, owning_team=item.owning_team)
    return item


async def list_page(session: AsyncSession, *, page: PageRequest, customer_id: str | None,
                    team: str | None) -> Page[OpenItemRead]:
    stmt = keyset_select(repository.list_query(customer_id=customer_id, team=team), page=page,
                         order_by=(OpenItem.due_date, OpenItem.invoice_id))
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda i: (i.due_date, i.invoice_id), item=OpenItemRead.model_validate)
