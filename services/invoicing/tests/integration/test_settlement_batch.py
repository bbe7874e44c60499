"""receivable.changed mirrored a partition batch at a time: the figures after the last entry of each invoice, one
status row per entry, an audit entry per change of settlement status, one ``invoice.paid`` when it settles, a
redelivery and an unknown invoice's entry skipped, and a fixed number of statements whatever the batch's size."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

from o2c_common.events import Event
from o2c_common.events.contracts.collections import ReceivableChanged
from o2c_invoicing.invoices.handlers import on_receivables_changed_mirror_settlements
from o2c_invoicing.main import CONSUMER_GROUP
from services.invoicing.tests.conftest import INTEGRATION, Service
from services.invoicing.tests.ledger import Ledger

pytestmark = pytest.mark.integration


async def mirror(service: Service, events: list[Event[ReceivableChanged]]) -> None:
    async with service.app.state.transactions.begin(f"system:{CONSUMER_GROUP}") as tx:
        await on_receivables_changed_mirror_settlements(tx, events)


async def test_a_batch_of_entries_mirrors_as_one_by_one_would(service: Service) -> None:
    ledger, other = Ledger(await service.issued()), Ledger(await service.issued())
    elsewhere = Ledger({**other.invoice, "id": str(uuid.uuid4())})  # an invoice not stored here
    opened = ledger.opened()
    first_payment = ledger.post("payment", "-100.00", payment_id=uuid.uuid4())
    events = [opened, other.opened(), first_payment, elsewhere.opened(),
              ledger.post("payment", "-10.01", payment_id=uuid.uuid4())]
    issued = await service.scalar("SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.issued.v1' LIMIT 1")
    assert json.loads(bytes(issued))["historical"] is False  # issued here: today's work, not imported history
    outbox_before = await service.scalar("SELECT count(*) FROM outbox")
    invoice_id = uuid.UUID(str(ledger.invoice["id"]))
    version_before = await service.scalar("SELECT version FROM invoices WHERE id = :i", i=invoice_id)
    with service.statements() as sent:
        await mirror(service, events)
    assert len(sent) <= 5, sent  # lock, update, status rows, audit, outbox
    rows = {r["invoice_id"]: r for r in (await service.client.get(
        "/settlements", headers=INTEGRATION, params={"limit": 1000})).json()["items"]}
    mine, theirs = rows[str(ledger.invoice["id"])], rows[str(other.invoice["id"])]
    assert (mine["settlement_status"], Decimal(mine["ledger_open_amount"]), mine["ledger_sequence"]) == (
        "settled", Decimal(0), 3)
    assert (theirs["settlement_status"], theirs["ledger_sequence"]) == ("open", 1)
    assert str(elsewhere.invoice["id"]) not in rows
    notes = await service.rows("SELECT note FROM invoice_status_changes WHERE invoice_id = :i AND note LIKE "
                               "'settlement:%' ORDER BY id", i=uuid.UUID(str(ledger.invoice["id"])))
    assert [n[0] for n in notes] == ["settlement: invoice 110.01 USD, open 110.01 USD (open)",
                                     "settlement: payment -100.00 USD, open 10.01 USD (partly_settled)",
                                     "settlement: payment -10.01 USD, open 0.00 USD (settled)"]
    audits = await service.rows("SELECT before, after FROM audit_log WHERE action = 'invoice.settlement_changed' "
                                "AND entity_id = :i ORDER BY id", i=str(ledger.invoice["id"]))
    assert [(b["settlement_status"], a["settlement_status"]) for b, a in audits] == [
        ("open", "partly_settled"), ("partly_settled", "settled")]
    assert await service.scalar("SELECT count(*) FROM outbox") == outbox_before + 1  # one invoice.paid
    assert (await service.outbox_types())[-1] == "invoice.paid"
    version = await service.scalar("SELECT version FROM invoices WHERE id = :i", i=invoice_id)
    assert version == version_before + 1  # three entries of one invoice in the batch: its version bumped once

    await mirror(service, events)  # the batch redelivered: nothing changes
    assert await service.scalar("SELECT count(*) FROM outbox") == outbox_before + 1
    assert await service.scalar("SELECT version FROM invoices WHERE id = :i", i=invoice_id) == version
