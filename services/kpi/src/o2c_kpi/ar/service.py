from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c_common.money import round_money
from o2c_common.tx import Tx
from o2c_kpi.ar import repository
from o2c_kpi.ar.schemas import OpenArByCurrency, OpenArRead


async def open_ar(tx: Tx, *, as_of: date) -> OpenArRead:
    rows = await repository.open_ar(tx.session, as_of=as_of)
    return OpenArRead(as_of=as_of, totals=[
        OpenArByCurrency(currency=currency, amount=round_money(Decimal(amount), currency), invoices=count)
        for currency, amount, count in rows
    ])
