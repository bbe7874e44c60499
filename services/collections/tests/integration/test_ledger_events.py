"""receivable.changed: every ledger entry, whatever posted it (invoice, payment, tolerance write-off, reversal, credit
note, deduction and dispute write-offs), is announced from the one posting function with its invoice's next
sequence (gapless), the signed amount as posted and the running figures; the republish command announces them
again; /receivables/open-amounts pages the same figures for the reconciliation."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from typer.testing import CliRunner

from o2c_cli.collections import app as collections_cli
from o2c_collections.receivables.handlers import on_credit_note_issued_reduce_receivable
from o2c_common.events import Event
from o2c_common.events.contracts.collections import ReceivableChanged
from o2c_common.events.contracts.invoicing import CreditNoteIssued
from services.collections.tests.conftest import COLLECTOR, INTEGRATION, SUPERVISOR, Service, problem, token

SUPERVISOR_2 = token("sam", "ar_supervisor")


async def changes(service: Service, invoice_id: uuid.UUID | None = None) -> list[ReceivableChanged]:
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type = 'o2c.receivable.changed.v1' ORDER BY id")
    found = [ReceivableChanged.model_validate(json.loads(r[0])) for r in rows]
    return [c for c in found if invoice_id is None or c.invoice_id == invoice_id]


async def figures(service: Service, invoice_id: uuid.UUID) -> dict[str, Any]:
    rows = await service.rows("SELECT open_amount, entries, cash_applied_amount, credited_amount, written_off_amount "
                              "FROM open_items WHERE invoice_id = :i", i=invoice_id)
    return dict(zip(("open", "entries", "cash", "credited", "written_off"), rows[0], strict=True))


async def assert_mirrors_the_ledger(service: Service, invoice_id: uuid.UUID) -> list[ReceivableChanged]:
    """The events of the invoice, numbered 1..n without a gap, sum to its ledger and end at its figures."""
    events = await changes(service, invoice_id)
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    ledger = await service.rows("SELECT sequence, kind, amount FROM ledger_entries WHERE invoice_id = :i "
                                "ORDER BY sequence", i=invoice_id)
    assert [(e.sequence, e.kind, e.amount) for e in events] == [(s, k, Decimal(a)) for s, k, a in ledger]
    now = await figures(service, invoice_id)
    last = events[-1]
    assert (last.open_amount_after, last.sequence) == (now["open"], now["entries"])
    assert (last.cash_applied_total, last.credited_total, last.written_off_total) == (
        now["cash"], now["credited"], now["written_off"])
    assert sum(e.amount for e in events) == now["open"]
    return events


async def credit(service: Service, invoice_id: uuid.UUID, amount: str, **links: Any) -> uuid.UUID:
    note_id = uuid.uuid4()
    fact = CreditNoteIssued(invoice_id=invoice_id, invoice_number="X", legal_entity="US01", customer_id="CUST-1",
                            credit_note_id=note_id, credit_note_number=f"CN-{note_id.hex[:6]}", currency="USD",
                            amount=Decimal(amount), tax_amount=Decimal(0), full=False, reason="deduction_credited",
                            issue_date=date(2026, 2, 15), issued_at=datetime(2026, 2, 15, 9, tzinfo=UTC), **links)
    async with service.transactions.begin("system:collections") as tx:
        await on_credit_note_issued_reduce_receivable(tx, Event.new(fact, source="/o2c/invoicing"))
    return note_id


async def with_etag(service: Service, url: str, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    etag = (await service.client.get(url, headers=headers)).headers["ETag"]
    return await service.client.post(f"{url}/{path}", json=body, headers={**headers, "If-Match": etag})


async def write_off_dispute(service: Service, invoice_id: uuid.UUID) -> dict[str, Any]:
    opened = await service.client.post("/disputes", json={"invoice_id": str(invoice_id), "reason": "quality"},
                                       headers=COLLECTOR)
    url = f"/disputes/{opened.json()['id']}"
    asked = await with_etag(service, url, "resolution", {"outcome": "written_off", "root_cause": "quality"},
                            SUPERVISOR)
    assert asked.status_code == 200, asked.text
    approved = await with_etag(service, url, "write-off-decision", {"approve": True}, SUPERVISOR_2)
    assert approved.status_code == 200, approved.text
    return dict(approved.json())


async def test_every_posting_path_announces_its_entry_with_the_running_figures(service: Service) -> None:
    # invoice + payment + tolerance write-off (3.15 within the tolerance)
    tolerance = await service.issue("INV-L1", "1000.00")
    await service.pay("996.85", remittance=[{"reference": "INV-L1"}])
    events = await assert_mirrors_the_ledger(service, tolerance)
    assert [(e.kind, e.amount, e.reason) for e in events] == [
        ("invoice", Decimal("1000.00"), None), ("payment", Decimal("-996.85"), "cash_application"),
        ("tolerance_write_off", Decimal("-3.15"), "tolerance")]
    assert events[-1].open_amount_after == 0 and events[-1].written_off_total == Decimal("3.15")
    assert events[1].payment_id == events[2].payment_id and events[2].application_id == events[1].application_id
    applied = json.loads(await service.scalar("SELECT payload FROM outbox WHERE event_type = 'o2c.payment.applied.v1' "
                                              "ORDER BY id DESC LIMIT 1"))
    assert Decimal(applied["applications"][0]["tolerance_written_off"]) == Decimal("3.15")

    # a manual reversal reopens the item
    reversed_ = await service.issue("INV-L2", "200.00")
    paid = await service.pay("200.00", remittance=[{"reference": "INV-L2"}])
    application = paid["applications"][0]["id"]
    etag = (await service.client.get(f"/payments/{paid['id']}", headers=COLLECTOR)).headers["ETag"]
    undone = await service.client.post(f"/payments/{paid['id']}/applications/{application}/reversal",
                                       json={"reason": "wrong customer"}, headers={**COLLECTOR, "If-Match": etag})
    assert undone.status_code == 200, undone.text
    events = await assert_mirrors_the_ledger(service, reversed_)
    assert [(e.kind, e.open_amount_after, e.cash_applied_total) for e in events] == [
        ("invoice", 200, 0), ("payment", 0, 200), ("reversal", 200, 0)]

    # credit notes: capped at what is open, as posted; nothing open is audited, not posted
    credited = await service.issue("INV-L3", "100.00")
    await credit(service, credited, "30.00")
    await credit(service, credited, "500.00")  # only 70.00 is open
    await credit(service, credited, "10.00")  # nothing is open
    events = await assert_mirrors_the_ledger(service, credited)
    assert [e.amount for e in events] == [100, -30, -70] and events[-1].credited_total == 100
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action = 'receivable.credit_not_needed'") == 1

    # a deduction written off with a second supervisor's approval
    deducted = await service.issue("INV-L4", "1000.00")
    await service.pay("960.00", remittance=[{"reference": "INV-L4", "reason_code": "pricing"}])
    listed = (await service.client.get("/deductions", headers=COLLECTOR)).json()["items"]
    deduction = next(d for d in listed if d["invoice_number"] == "INV-L4")
    url = f"/deductions/{deduction['id']}"
    assert (await with_etag(service, url, "resolution", {"resolution": "written_off"}, SUPERVISOR)).status_code == 200
    assert (await with_etag(service, url, "write-off-decision", {"approve": True}, SUPERVISOR_2)).status_code == 200
    events = await assert_mirrors_the_ledger(service, deducted)
    assert (events[-1].kind, events[-1].amount, events[-1].reason) == ("write_off", Decimal("-40.00"), "deduction")
    assert str(events[-1].deduction_id) == deduction["id"] and events[-1].open_amount_after == 0

    # a dispute written off (asked by one supervisor, approved by another)
    disputed = await service.issue("INV-L5", "800.00")
    dispute = await write_off_dispute(service, disputed)
    events = await assert_mirrors_the_ledger(service, disputed)
    assert (events[-1].kind, events[-1].amount, events[-1].reason) == ("write_off", Decimal("-800.00"), "dispute")
    assert str(events[-1].dispute_id) == dispute["id"] and events[-1].written_off_total == Decimal("800.00")


async def test_open_amounts_page_the_ledger_figures_for_the_reconciliation(service: Service) -> None:
    invoices = sorted([await service.issue(f"INV-O{n}", "100.00") for n in range(3)])
    await service.pay("40.00", remittance=[{"reference": "INV-O1", "amount": "40.00"}])
    assert problem(await service.client.get("/receivables/open-amounts", headers=COLLECTOR), 403)
    assert problem(await service.client.get("/receivables/open-amounts?limit=1001", headers=INTEGRATION), 422)
    first = (await service.client.get("/receivables/open-amounts?limit=2", headers=INTEGRATION)).json()
    assert [i["invoice_id"] for i in first["items"]] == [str(i) for i in invoices[:2]]
    assert first["next_after"] == str(invoices[1])
    rest = (await service.client.get(f"/receivables/open-amounts?after={first['next_after']}",
                                     headers=SUPERVISOR)).json()
    assert [i["invoice_id"] for i in rest["items"]] == [str(invoices[2])] and rest["next_after"] is None
    every = {i["invoice_number"]: i for i in first["items"] + rest["items"]}
    assert every["INV-O1"] | {"invoice_id": None} == {
        "invoice_id": None, "invoice_number": "INV-O1", "customer_id": "CUST-1", "owning_team": None,
        "currency": "USD", "original_amount": "100.00", "open_amount": "60.00", "entries": 2,
        "cash_applied_amount": "40.00", "credited_amount": "0.00", "written_off_amount": "0.00"}
    for item in every.values():
        events = await assert_mirrors_the_ledger(service, uuid.UUID(item["invoice_id"]))
        assert (Decimal(item["open_amount"]), item["entries"]) == (events[-1].open_amount_after, events[-1].sequence)


async def test_a_lookup_answers_the_receivables_of_the_invoices_asked_for_only(service: Service) -> None:
    invoices = [await service.issue(f"INV-Q{n}", "100.00") for n in range(3)]
    await service.pay("40.00", remittance=[{"reference": "INV-Q1", "amount": "40.00"}])
    url = "/receivables/open-amounts/lookup"
    unknown = uuid.uuid4()
    asked = {"invoice_ids": [str(invoices[2]), str(unknown), str(invoices[1]), str(invoices[2])]}
    found = (await service.client.post(url, json=asked, headers=INTEGRATION)).json()["items"]
    assert [i["invoice_id"] for i in found] == sorted([str(invoices[1]), str(invoices[2])])
    paged = (await service.client.get("/receivables/open-amounts", headers=INTEGRATION)).json()["items"]
    assert found == [i for i in paged if i["invoice_id"] in asked["invoice_ids"]]
    assert next(i for i in found if i["invoice_number"] == "INV-Q1")["open_amount"] == "60.00"
    assert problem(await service.client.post(url, json=asked, headers=COLLECTOR), 403)
    assert problem(await service.client.post(url, json={"invoice_ids": []}, headers=INTEGRATION), 422)
    too_many = {"invoice_ids": [str(uuid.uuid4()) for _ in range(1001)]}
    assert problem(await service.client.post(url, json=too_many, headers=INTEGRATION), 422)
    assert problem(await service.client.post(url, json={"invoice_ids": ["INV-Q1"]}, headers=INTEGRATION), 422)


async def test_republish_announces_every_entry_again_in_sequence_order(service: Service) -> None:
    first = await service.issue("INV-R1", "300.00")
    await service.pay("100.00", remittance=[{"reference": "INV-R1", "amount": "100.00"}])
    second = await service.issue("INV-R2", "50.00")
    before = {i: await assert_mirrors_the_ledger(service, i) for i in (first, second)}
    await service.execute("DELETE FROM outbox")
    result = await asyncio.to_thread(CliRunner().invoke, collections_cli,
                                     ["republish-ledger", "--database-url", service.db.url, "--batch", "1"])
    assert result.exit_code == 0, result.output
    for invoice_id, events in before.items():
        again = await assert_mirrors_the_ledger(service, invoice_id)
        assert [e.model_dump(exclude={"posted_at"}) for e in again] == [
            e.model_dump(exclude={"posted_at"}) for e in events]
    assert len(await changes(service)) == 3
