"""Bank-file booking as a bulk path (issue 16 item 1): a chunk books its payments with a few multi-row statements,
with the same decisions, rows, events and audit as the per-payment path; a chunk that fails books nothing of
itself and its lines are named."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c_collections.payments.bulk import BookedMeanwhile, book_chunk
from o2c_collections.payments.parsers import parse_file
from o2c_collections.payments.service import book
from o2c_common.auth import Principal, Role
from o2c_common.events.bundle import row_events
from services.collections.tests.conftest import COLLECTOR, IMPORTER, Service

HEADER = "bank_reference,value_date,currency,amount,customer_id,payer_name,remittance"
DROPPED = {"payment_id", "invoice_id", "application_id", "deduction_id", "promise_id", "import_id"}


async def world(service: Service, p: str) -> bytes:
    """Invoices of the payers ``p``-C1 … ``p``-C4 and a bank file paying them in every way the engine decides:
    by reference, a combination, short within tolerance, a deduction, an invoice paid twice, an unknown payer,
    cash for a customer with an open promise, a line twice."""
    for number, amount, customer in (("1", "100.00", "C1"), ("2", "50.00", "C2"), ("3", "70.00", "C2"),
                                     ("4", "1000.00", "C3"), ("5", "200.00", "C1"), ("6", "300.00", "C4")):
        await service.issue(f"{p}-INV-{number}", amount, customer=f"{p}-{customer}")
    promise = await service.client.post("/promises", headers=COLLECTOR, json={
        "legal_entity": "US01", "customer_id": f"{p}-C4", "currency": "USD", "amount": "300.00",
        "promised_date": (date.today() + timedelta(days=5)).isoformat()})
    assert promise.status_code == 201, promise.text
    lines = [f"{p}R1,2026-02-03,USD,100.00,{p}-C1,Acme,{p}-INV-1", f"{p}R2,2026-02-03,USD,120.00,{p}-C2,Beta,",
             f"{p}R3,2026-02-03,USD,998.00,{p}-C3,Gamma,{p}-INV-4", f"{p}R4,2026-02-03,USD,190.00,{p}-C1,Acme,"
             f"{p}-INV-5::pricing", f"{p}R5,2026-02-04,USD,100.00,{p}-C1,Acme,{p}-INV-1",
             f"{p}R6,2026-02-04,USD,10.00,,Nobody,", f"{p}R7,2026-02-04,USD,300.00,{p}-C4,Delta,{p}-INV-6",
             f"{p}R1,2026-02-03,USD,100.00,{p}-C1,Acme,{p}-INV-1"]
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def same(value: Any, p: str) -> Any:
    """``value`` with the world's prefix made neutral and ids and instants dropped."""
    if isinstance(value, dict):
        return {k: same(v, p) for k, v in value.items() if k not in DROPPED and not k.endswith("_at")}
    if isinstance(value, list):
        return [same(v, p) for v in value]
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d+", value):
        return Decimal(value)  # the per-payment path writes amounts as read back (100.000000), the bulk as given
    return re.sub(rf"\b{p}(-|R)", r"X\1", value) if isinstance(value, str) else value


async def outcome(service: Service, p: str, after: int, upto: int) -> dict[str, Any]:
    payments = await service.rows(
        "SELECT bank_reference, customer_id, owning_team, amount, unapplied_amount, status, version, explanation, "
        "candidates, evidence FROM payments WHERE bank_reference LIKE :p ORDER BY bank_reference", p=f"{p}R%")
    applications = await service.rows(
        "SELECT p.bank_reference, o.invoice_number, a.amount, a.rule, a.confidence FROM applications a JOIN payments "
        "p ON p.id = a.payment_id JOIN open_items o ON o.invoice_id = a.invoice_id WHERE p.bank_reference LIKE :p "
        "ORDER BY 1, 2", p=f"{p}R%")
    entries = await service.rows(
        "SELECT o.invoice_number, e.sequence, e.kind, e.amount, e.reason, e.posted_by, e.note FROM ledger_entries e "
        "JOIN open_items o ON o.invoice_id = e.invoice_id WHERE o.invoice_number LIKE :p ORDER BY 1, 2", p=f"{p}-%")
    items = await service.rows("SELECT invoice_number, open_amount, status, entries, version FROM open_items "
                               "WHERE invoice_number LIKE :p ORDER BY 1", p=f"{p}-%")
    rows = await service.rows("SELECT event_type, headers, payload FROM outbox WHERE id > :after AND id <= :upto "
                              "ORDER BY id", after=after, upto=upto)
    # The bulk path bundles its events by type (each payment's and invoice's own in order, bundle.py's tests); the
    # two paths write the same events.
    events = sorted(((t, payload) for row in rows for t, _, payload in row_events(*row)),
                    key=lambda e: (e[0], json.dumps(same(json.loads(e[1]), p), sort_keys=True, default=str)))
    audits = await service.rows(
        "SELECT a.actor, a.action, a.after FROM audit_log a JOIN payments p ON a.entity_id = p.id::text "
        "WHERE a.entity_type = 'payment' AND p.bank_reference LIKE :p ORDER BY a.id", p=f"{p}R%")
    promise = await service.scalar("SELECT paid_amount FROM promises WHERE customer_id = :c", c=f"{p}-C4")
    return same({"payments": [list(r) for r in payments], "applications": [list(r) for r in applications],
                 "entries": [list(r) for r in entries], "items": [list(r) for r in items],
                 "events": [[t, json.loads(bytes(payload))] for t, payload in events],
                 "audit": [list(r) for r in audits], "promise": promise}, p)


async def test_a_chunk_books_as_the_payments_one_by_one_would(service: Service) -> None:
    bulk_file, one_by_one_file = await world(service, "A"), await world(service, "B")
    response = await service.client.post("/payment-imports?format=csv&legal_entity=US01", content=bulk_file,
                                         headers=IMPORTER)
    assert response.status_code == 202, response.text
    middle = await service.scalar("SELECT coalesce(max(id), 0) FROM outbox")
    with service.statements() as bulk_statements:
        await service.process_imports()
    job = (await service.client.get(response.headers["location"], headers=IMPORTER)).json()
    assert (job["booked"], job["duplicates"], job["applied"], job["errors"]) == (7, 1, 5, 0)
    between = await service.scalar("SELECT coalesce(max(id), 0) FROM outbox")
    importer = Principal(subject="bank-feed", roles=frozenset({Role.BANK_FILE_IMPORTER.value}), kind="service")
    with service.statements() as single_statements:
        async with service.transactions.begin(importer) as tx:
            for parsed in parse_file(one_by_one_file, "csv").payments:
                async with tx.session.begin_nested():
                    await book(tx, parsed=parsed, legal_entity="US01", source="csv", import_id=None,
                               settings=service.settings)
    end = await service.scalar("SELECT max(id) FROM outbox")
    bulk, single = await outcome(service, "A", middle, between), await outcome(service, "B", between, end)
    assert bulk == single
    assert [r[5] for r in bulk["payments"]] == ["applied", "applied", "applied", "applied", "unapplied",
                                                "unapplied", "applied"]
    assert bulk["promise"] == single["promise"] == 300
    # the five plain payments in a few statements; the deduction and the promise by the per-payment path
    assert len(bulk_statements) < len(single_statements) * 0.6, (len(bulk_statements), len(single_statements))


async def test_a_large_chunk_takes_a_few_statements_whatever_its_size(service: Service) -> None:
    rows = []
    for n in range(60):
        await service.issue(f"L-INV-{n}", f"{100 + n}.00", customer=f"L-C{n % 7}")
        rows.append(f"LR{n},2026-02-03,USD,{100 + n}.00,L-C{n % 7},Payer {n},L-INV-{n}")
    content = ("\n".join([HEADER, *rows]) + "\n").encode()
    response = await service.client.post("/payment-imports?format=csv&legal_entity=US01", content=content,
                                         headers=IMPORTER)
    assert response.status_code == 202, response.text
    with service.statements() as seen:
        await service.process_imports()
    job = (await service.client.get(response.headers["location"], headers=IMPORTER)).json()
    assert (job["booked"], job["applied"], job["errors"]) == (60, 60, 0)
    booking = [s for s in seen if "payment_import" not in s]
    assert len(booking) <= 25, "\n".join(s.split("\n")[0][:100] for s in booking)
    received = await service.rows("SELECT event_type, headers, payload FROM outbox "
                                  "WHERE event_type = 'o2c.payment.received.v1'")
    assert len([e for row in received for e in row_events(*row)]) == 60 and len(received) < 60  # bundled
    assert await service.scalar("SELECT count(*) FROM open_items WHERE invoice_number LIKE 'L-%' "
                                "AND status = 'closed' AND open_amount = 0 AND entries = 2") == 60
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action = 'payment.auto_applied'") == 60


async def test_a_payment_and_a_manual_application_write_their_events_and_audit_in_one_statement_each(
        service: Service) -> None:
    await service.issue("R-INV-1", "80.00", customer="R-C1")
    second = await service.issue("R-INV-2", "90.00", customer="R-C1")
    with service.statements() as seen:
        paid = await service.client.post("/payments", headers=COLLECTOR, json={
            "legal_entity": "US01", "customer_id": "R-C1", "currency": "USD", "amount": "80.00",
            "value_date": "2026-02-03", "remittance": [{"reference": "R-INV-1"}]})
    assert paid.status_code == 201 and paid.json()["status"] == "applied", paid.text
    assert [s.split()[1] for s in seen if s.startswith(("COPY outbox", "COPY audit"))] \
        == ["outbox", "audit_log"]  # payment.received, receivable.changed, payment.applied; two audit entries
    unapplied = await service.client.post("/payments", headers=COLLECTOR, json={
        "legal_entity": "US01", "currency": "USD", "amount": "90.00", "value_date": "2026-02-03"})
    with service.statements() as seen:
        applied = await service.client.post(
            f"/payments/{unapplied.json()['id']}/applications", json={"invoice_id": str(second), "amount": "90.00"},
            headers={**COLLECTOR, "If-Match": unapplied.headers["etag"]})
    assert applied.status_code == 201, applied.text
    assert [s.split()[1] for s in seen if s.startswith(("COPY outbox", "COPY audit"))] == ["outbox", "audit_log"]
    assert (await service.outbox_types())[-2:] == ["receivable.changed", "payment.applied"]
    assert await service.open_amount(second) == 0


async def test_what_the_per_payment_path_moved_in_a_chunk_is_what_the_next_payments_see(service: Service) -> None:
    """A combined payment naming a promising group member's invoice goes the per-payment path, which also pays the
    payer's own invoice; a later line of the same chunk naming that invoice again finds it paid, as one by one."""
    for p in ("A", "B"):
        await service.execute("INSERT INTO accounts (customer_id, parent_customer_id, owning_team) VALUES "
                              "(:parent, NULL, 'team-a'), (:child, :parent, 'team-a')",
                              parent=f"{p}-PARENT", child=f"{p}-CHILD")
        await service.issue(f"{p}-INV-1", "100.00", customer=f"{p}-PARENT")
        await service.issue(f"{p}-INV-2", "50.00", customer=f"{p}-CHILD")
        promise = await service.client.post("/promises", headers=COLLECTOR, json={
            "legal_entity": "US01", "customer_id": f"{p}-CHILD", "currency": "USD", "amount": "50.00",
            "promised_date": (date.today() + timedelta(days=5)).isoformat()})
        assert promise.status_code == 201, promise.text

    def file(p: str) -> bytes:
        lines = [f"{p}R1,2026-02-03,USD,150.00,{p}-PARENT,Parent,{p}-INV-1 {p}-INV-2",
                 f"{p}R2,2026-02-04,USD,100.00,{p}-PARENT,Parent,{p}-INV-1"]
        return ("\n".join([HEADER, *lines]) + "\n").encode()

    response = await service.client.post("/payment-imports?format=csv&legal_entity=US01", content=file("A"),
                                         headers=IMPORTER)
    assert response.status_code == 202, response.text
    middle = await service.scalar("SELECT coalesce(max(id), 0) FROM outbox")
    with service.statements() as seen:
        await service.process_imports()
    assert not [s for s in seen if s.startswith("ROLLBACK TO SAVEPOINT")], "the chunk failed and was booked again"
    between = await service.scalar("SELECT coalesce(max(id), 0) FROM outbox")
    importer = Principal(subject="bank-feed", roles=frozenset({Role.BANK_FILE_IMPORTER.value}), kind="service")
    async with service.transactions.begin(importer) as tx:
        for parsed in parse_file(file("B"), "csv").payments:
            await book(tx, parsed=parsed, legal_entity="US01", source="csv", import_id=None, settings=service.settings)
    end = await service.scalar("SELECT max(id) FROM outbox")
    bulk, single = await outcome(service, "A", middle, between), await outcome(service, "B", between, end)
    assert bulk == single
    assert [r[5] for r in bulk["payments"]] == ["applied", "unapplied"]
    assert [r[1:3] for r in bulk["items"]] == [[Decimal(0), "closed"], [Decimal(0), "closed"]]


async def test_a_payment_another_writer_books_meanwhile_fails_the_chunk_and_the_chunk_writes_nothing(
        service: Service) -> None:
    """The chunk reads its dedupe keys before it writes: a key another transaction holds uncommitted then is a
    clash when the chunk copies its payments, once the other commits. The chunk raises BookedMeanwhile (the import
    job books its lines one by one instead) and has written nothing."""
    content = ("\n".join([HEADER, "RACE-R1,2026-02-03,USD,10.00,,Someone,", "RACE-R2,2026-02-03,USD,20.00,,Other,"])
               + "\n").encode()
    parsed = parse_file(content, "csv").payments
    importer = Principal(subject="bank-feed", roles=frozenset({Role.BANK_FILE_IMPORTER.value}), kind="service")

    async def chunk() -> None:
        async with service.transactions.begin(importer) as tx:
            await book_chunk(tx, parsed, legal_entity="US01", source="csv", import_id=None, settings=service.settings)

    async with service.transactions.begin(importer) as other:
        await book(other, parsed=parsed[1], legal_entity="US01", source="csv", import_id=None,
                   settings=service.settings)
        await other.session.flush()
        booking = asyncio.create_task(chunk())
        for _ in range(300):  # until the chunk waits for the other's uncommitted key
            if await service.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND query LIKE 'COPY%payments%'"):
                break
            assert not booking.done(), booking
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the chunk never waited for the other writer's payment")
    with pytest.raises(BookedMeanwhile, match="retry the chunk"):
        await booking
    assert await service.rows("SELECT bank_reference FROM payments WHERE bank_reference LIKE 'RACE-%'") == [
        ("RACE-R2",)]
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action = 'payment.received' AND "
                                "after->>'amount' = '10.00'") == 0
