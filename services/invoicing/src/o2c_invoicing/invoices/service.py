from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import NotFound
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_common.outbox import Outbox
from o2c_invoicing.invoices import repository
from o2c_invoicing.invoices.models import Invoice, InvoiceLine
from o2c_invoicing.invoices.schemas import InvoiceCreate, InvoiceRead
from o2c_invoicing.invoices.totals import line_amounts


async def create_and_issue(
    session: AsyncSession, *, data: InvoiceCreate, preparer: Principal, outbox: Outbox
) -> Invoice:
    """Walking-skeleton flow: store the invoice, give it its number and post it as issued."""
    issue_date = data.issue_date or datetime.now(UTC).date()
    invoice = Invoice(
        id=uuid.uuid4(), legal_entity=data.legal_entity, customer_id=data.customer_id, currency=data.currency,
        issue_date=issue_date, due_date=issue_date + timedelta(days=data.payment_terms_days),
        po_number=data.po_number, owning_team=data.owning_team, status="issued", created_by=preparer.subject,
        lines=[],
    )
    for position, line in enumerate(data.lines, start=1):
        net, tax = line_amounts(line.quantity, line.unit_price, line.tax_rate, data.currency)
        invoice.lines.append(InvoiceLine(
            position=position, description=line.description, quantity=line.quantity, unit_price=line.unit_price,
            tax_rate=line.tax_rate, net_amount=net, tax_amount=tax,
        ))
    invoice.net_amount = sum((line.net_amount for line in invoice.lines), start=Decimal(0))
    invoice.tax_amount = sum((line.tax_amount for line in invoice.lines), start=Decimal(0))
    invoice.total_amount = invoice.net_amount + invoice.tax_amount
    invoice.number = await _allocate_number(session, legal_entity=data.legal_entity, issue_date=issue_date)
    await repository.add(session, invoice)
    await record_audit(session, actor=preparer.subject, action="invoice.issued", entity_type="invoice",
                       entity_id=str(invoice.id), after={"number": invoice.number, "total": invoice.total_amount})
    await outbox.emit(session, InvoiceIssued(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, currency=invoice.currency, amount=invoice.total_amount,
        tax_amount=invoice.tax_amount, issue_date=invoice.issue_date, due_date=invoice.due_date,
        issued_at=datetime.now(UTC), owning_team=invoice.owning_team, po_number=invoice.po_number,
    ))
    return invoice


async def get(session: AsyncSession, *, invoice_id: uuid.UUID) -> Invoice:
    invoice = await repository.get(session, invoice_id=invoice_id)
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    return invoice


async def _allocate_number(session: AsyncSession, *, legal_entity: str, issue_date: date) -> str:
    seq = await repository.next_invoice_number(session, legal_entity=legal_entity, year=issue_date.year)
    return f"{legal_entity}-{issue_date.year}-{seq:06d}"


async def list_page(session: AsyncSession, *, page: PageRequest, customer_id: str | None,
                    team: str | None) -> Page[InvoiceRead]:
    stmt = keyset_select(repository.list_query(customer_id=customer_id, team=team), page=page,
                         order_by=(Invoice.created_at, Invoice.id), descending=True)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda i: (i.created_at, i.id), item=InvoiceRead.model_validate)
