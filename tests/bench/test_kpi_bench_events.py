"""bench.kpi's projection events are an invoice's life as the services write it: the AR read models follow the
ledger's receivable.changed, so a mix without it would measure a projection that writes no AR movement."""

from __future__ import annotations

import random
from decimal import Decimal

from bench.kpi import make_events
from o2c_common.events import Event
from o2c_common.events.contracts.collections import PaymentApplied, ReceivableChanged
from o2c_common.events.contracts.invoicing import InvoiceIssued


def test_each_invoice_is_issued_opened_paid_and_closed_in_the_ledger() -> None:
    events = [Event.from_kafka(key, value, headers) for _, key, value, headers in make_events(12, random.Random(1))]
    assert len(events) == 12
    for n in range(0, 12, 4):
        issued, opened, applied, settled = (e.data for e in events[n:n + 4])
        assert isinstance(issued, InvoiceIssued) and isinstance(applied, PaymentApplied)
        assert isinstance(opened, ReceivableChanged) and isinstance(settled, ReceivableChanged)
        assert {opened.invoice_id, settled.invoice_id, applied.applications[0].invoice_id} == {issued.invoice_id}
        assert [(c.sequence, c.kind) for c in (opened, settled)] == [(1, "invoice"), (2, "payment")]
        assert opened.amount == issued.amount == applied.applications[0].amount == -settled.amount
        assert settled.open_amount_after == Decimal(0) and settled.payment_id == applied.payment_id
    assert {e.source for e in events} == {"/o2c/invoicing", "/o2c/collections"}  # each from its producer
