"""``invoice.issued`` handled a partition batch at a time: the receivables of every invoice in the batch opened with
a fixed number of statements, each exactly once (a redelivery under another event id, an invoice opened before),
with its ledger entry, its ``receivable.changed`` carrying its own event's correlation id, its audit entry, and the
account master's team."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from o2c_collections.receivables.handlers import on_invoices_issued_open_receivables
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceIssued

from ..conftest import Service

pytestmark = pytest.mark.integration


def issued(number: str, *, customer: str = "CUST-B", amount: str = "100.00") -> Event[InvoiceIssued]:
    fact = InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id=customer,
                         currency="USD", amount=Decimal(amount), tax_amount=Decimal(0), issue_date=date(2026, 3, 1),
                         due_date=date(2026, 3, 31), issued_at=datetime.now(UTC), owning_team="billing")
    return Event.new(fact, source="o2c.invoicing", correlation_id=f"corr-{number}")


async def handle(service: Service, events: list[Event[InvoiceIssued]]) -> None:
    async with service.transactions.begin("system:collections") as tx:
        await on_invoices_issued_open_receivables(tx, events)


async def test_the_statements_of_a_batch_do_not_grow_with_its_events(service: Service) -> None:
    with service.statements() as small:
        await handle(service, [issued(f"S-{n}") for n in range(2)])
    with service.statements() as large:
        await handle(service, [issued(f"L-{n}") for n in range(120)])
    assert len(large) == len(small) <= 8, large
    assert await service.scalar("SELECT count(*) FROM open_items") == 122
    assert await service.scalar("SELECT count(*) FROM ledger_entries WHERE sequence = 1 AND kind = 'invoice'") == 122


async def test_each_invoice_opens_once_with_its_entry_event_audit_and_team(service: Service) -> None:
    await service.execute("INSERT INTO accounts (customer_id, owning_team, version) VALUES ('CUST-T', 'vendor-a', 1)")
    before = await service.issue("B-0", "50.00")  # opened earlier (the history importer, or an earlier batch)
    teamed, plain = issued("B-1", customer="CUST-T", amount="10.00"), issued("B-2", amount="20.00")
    again = Event.new(plain.data, source="o2c.invoicing", correlation_id="corr-again")  # redelivered, another id
    earlier = issued("B-0")
    earlier = Event.new(earlier.data.model_copy(update={"invoice_id": before}), source="o2c.invoicing")
    outbox_before = await service.scalar("SELECT count(*) FROM outbox")

    await handle(service, [teamed, plain, again, earlier])

    rows = await service.rows("SELECT invoice_number, owning_team, open_amount, entries FROM open_items "
                              "WHERE invoice_number IN ('B-0', 'B-1', 'B-2') ORDER BY invoice_number")
    assert [tuple(r) for r in rows] == [("B-0", None, Decimal("50.00"), 1), ("B-1", "vendor-a", Decimal("10.00"), 1),
                                        ("B-2", "billing", Decimal("20.00"), 1)]
    entries = await service.rows("SELECT invoice_id, amount, source_event_id, owning_team FROM ledger_entries "
                                 "WHERE invoice_id IN (:a, :b) ORDER BY amount", a=teamed.data.invoice_id,
                                 b=plain.data.invoice_id)
    assert [tuple(e) for e in entries] == [(teamed.data.invoice_id, Decimal("10.00"), teamed.id, "vendor-a"),
                                           (plain.data.invoice_id, Decimal("20.00"), plain.id, "billing")]
    events = await service.rows("SELECT headers, payload FROM outbox ORDER BY id OFFSET :n", n=outbox_before)
    assert len(events) == 2  # one receivable.changed per receivable opened, none for the repeat and the earlier one
    announced = [(json.loads(bytes(payload))["invoice_number"], dict(headers)["ce_correlationid"])
                 for headers, payload in events]
    assert announced == [("B-1", "corr-B-1"), ("B-2", "corr-B-2")]
    first = json.loads(bytes(events[0][1]))
    assert (first["sequence"], first["kind"], first["open_amount_after"], first["owning_team"]) == (
        1, "invoice", "10.00", "vendor-a")
    audits = await service.rows("SELECT actor, entity_id, correlation_id FROM audit_log "
                                "WHERE action = 'receivable.opened' AND entity_id IN (:a, :b) ORDER BY id",
                                a=str(teamed.data.invoice_id), b=str(plain.data.invoice_id))
    assert [tuple(a) for a in audits] == [("system:collections", str(teamed.data.invoice_id), "corr-B-1"),
                                          ("system:collections", str(plain.data.invoice_id), "corr-B-2")]
