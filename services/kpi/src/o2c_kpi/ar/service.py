from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_common.money import round_money
from o2c_common.tx import Tx
from o2c_kpi.ar import repository
from o2c_kpi.ar.schemas import InvoiceOpenAmountPage, InvoiceOpenAmountRead, OpenArByCurrency, OpenArRead


async def open_ar(tx: Tx, *, as_of: date, team: str | None = None) -> OpenArRead:
    rows = await repository.open_ar(tx.session, as_of=as_of, team=team)
    return OpenArRead(as_of=as_of, totals=[
        OpenArByCurrency(currency=currency, amount=round_money(Decimal(amount), currency), invoices=count)
        for currency, amount, count in rows
    ])


async def open_amounts(tx: Tx, *, after: uuid.UUID | None, limit: int) -> InvoiceOpenAmountPage:
    """Every invoice's open amount in kpi, a page at a time (keyset on the invoice id), for the reconciliation."""
    rows = await repository.open_by_invoice(tx.session, after=after, limit=limit)
    items = [InvoiceOpenAmountRead(invoice_id=r.invoice_id, currency=r.currency,
                                   open_amount=round_money(r.open_amount, r.currency), movements=r.movements,
                                   entries=r.last_sequence) for r in rows]
    return InvoiceOpenAmountPage(items=items, next_after=rows[-1].invoice_id if len(rows) == limit else None)
