from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.events.contracts.collections import PaymentApplied
from o2c_common.events.contracts.invoicing import CreditNoteIssued, InvoiceIssued
from o2c_common.money import round_money
from o2c_kpi.ar import repository
from o2c_kpi.ar.schemas import OpenArByCurrency, OpenArRead


def _movement(event_id: uuid.UUID, line: int, *, invoice_id: uuid.UUID, customer_id: str, legal_entity: str,
              currency: str, kind: str, amount: Decimal, effective_date: date) -> dict[str, object]:
    return {"event_id": event_id, "line": line, "invoice_id": invoice_id, "customer_id": customer_id,
            "legal_entity": legal_entity, "currency": currency, "kind": kind, "amount": amount,
            "effective_date": effective_date}


async def record_invoice_issued(session: AsyncSession, *, event_id: uuid.UUID, fact: InvoiceIssued) -> None:
    await repository.add_movements(session, [_movement(
        event_id, 0, invoice_id=fact.invoice_id, customer_id=fact.customer_id, legal_entity=fact.legal_entity,
        currency=fact.currency, kind="invoice", amount=fact.amount, effective_date=fact.issue_date)])


async def record_payment_applied(session: AsyncSession, *, event_id: uuid.UUID, fact: PaymentApplied) -> None:
    await repository.add_movements(session, [
        _movement(event_id, i, invoice_id=a.invoice_id, customer_id=fact.customer_id,
                  legal_entity=fact.legal_entity, currency=fact.currency, kind="cash", amount=-a.amount,
                  effective_date=fact.applied_date)
        for i, a in enumerate(fact.applications)
    ])


async def record_credit_note(session: AsyncSession, *, event_id: uuid.UUID, fact: CreditNoteIssued) -> None:
    await repository.add_movements(session, [_movement(
        event_id, 0, invoice_id=fact.invoice_id, customer_id=fact.customer_id, legal_entity=fact.legal_entity,
        currency=fact.currency, kind="credit_note", amount=-fact.amount, effective_date=fact.issue_date)])


async def open_ar(session: AsyncSession, *, as_of: date) -> OpenArRead:
    rows = await repository.open_ar(session, as_of=as_of)
    return OpenArRead(as_of=as_of, totals=[
        OpenArByCurrency(currency=currency, amount=round_money(Decimal(amount), currency), invoices=count)
        for currency, amount, count in rows
    ])
