"""Cash application reading remittances through the database (issue 18): free-text numbers found by their keys
(``open_items.match_keys``), PO numbers and early-payment discounts carried by invoice.issued, another payer's
invoice named in free text, the deduction band (13.3), and the evidence shown on the payment and the worklist;
the ledger and the receivable.changed events agree at the end."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from o2c_collections.cashapp.engine import Line
from o2c_collections.receivables.service import open_receivable
from o2c_common.events.contracts.invoicing import InvoiceIssued
from services.collections.tests.conftest import COLLECTOR, Service


async def issue(service: Service, number: str, amount: str, *, customer: str = "CUST-1", **terms: Any) -> uuid.UUID:
    fact = InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=number, legal_entity="US01", customer_id=customer,
                         currency="USD", amount=Decimal(amount), tax_amount=Decimal(0), issue_date=date(2026, 1, 1),
                         due_date=date(2026, 1, 31), issued_at=datetime.now(UTC), **terms)
    async with service.transactions.begin("system:collections") as tx:
        await open_receivable(tx, fact=fact, event_id=uuid.uuid4())
    return fact.invoice_id


async def test_free_text_numbers_po_numbers_and_discounts_through_the_database(service: Service) -> None:
    meant = await issue(service, "US01-2026-000123", "500.00", po_number="PO-4500012345")
    twin = await issue(service, "US01-2026-000124", "500.00", po_number="PO-4500099999")
    assert await service.rows("SELECT match_keys FROM open_items WHERE invoice_id = :i", i=meant) == [
        (["US012026000123", "US012026123"],)]
    paid = await service.pay("500.00", remittance=[{"reference": "PAYMENT FOR inv#US012026123"}])
    assert [a["invoice_id"] for a in paid["applications"]] == [str(meant)]
    assert {"field": "remittance[0].reference", "text": "US012026123", "rule": "invoice_number:in_text",
            "invoice_number": "US01-2026-000123", "outcome": "named",
            "why": "invoice number of US01-2026-000123 (customer CUST-1)"} in paid["evidence"]
    by_po = await service.pay("500.00", remittance=[{"reference": "PO 4500099999"}])
    assert [(a["invoice_id"], a["rule"]) for a in by_po["applications"]] == [(str(twin), "po_number")]
    receivable = (await service.client.get(f"/receivables/{twin}", headers=COLLECTOR)).json()
    assert receivable["po_number"] == "PO-4500099999"

    discounted = await issue(service, "US01-2026-000130", "1000.00", discount_percent=Decimal(2),
                             discount_until=date(2026, 1, 11))
    await issue(service, "US01-2026-000131", "1000.00", discount_percent=Decimal(2), discount_until=date(2026, 1, 11))
    on_time = await service.pay("980.00", remittance=[{"reference": "US01-2026-000130"}], value_date="2026-01-10")
    assert on_time["status"] == "applied" and on_time["applications"][0]["rule"] == "early_payment_discount"
    ledger = (await service.client.get(f"/receivables/{discounted}/ledger", headers=COLLECTOR)).json()
    assert [(e["kind"], e["amount"], e["reason"]) for e in ledger] == [
        ("invoice", "1000.00", None), ("payment", "-980.00", "cash_application"),
        ("tolerance_write_off", "-20.00", "early_payment_discount")]
    late = await service.pay("980.00", remittance=[{"reference": "US01-2026-000131"}], value_date="2026-01-20")
    assert late["applications"][0]["rule"] == "reference_deduction"
    assert await service.rows("SELECT amount, reason, remittance_reason FROM deductions") == [
        (Decimal("20.000000"), "unclassified", "early-payment discount taken late (2 % until 2026-01-11)")]
    await assert_ledger_and_events_agree(service)


async def test_what_must_not_match_stays_unapplied_with_its_evidence_on_the_worklist(service: Service) -> None:
    mine = await issue(service, "US01-2026-000200", "300.00")
    await issue(service, "US01-2026-000201", "300.00")
    await issue(service, "US01-2026-000900", "300.00", customer="CUST-2")
    foreign = await service.pay("300.00", remittance=[{"reference": "INVOICES US01-2026-000200 AND 900"}])
    assert foreign["status"] == "unapplied" and "another payer" in foreign["explanation"]
    assert [e["invoice_number"] for e in foreign["evidence"] if e["outcome"] == "rejected"] == ["US01-2026-000900"]
    short = await service.pay("100.00", remittance=[{"reference": "US01-2026-000200", "amount": "100.00",
                                                     "reason_code": "pricing"}])
    assert short["status"] == "unapplied" and "outside the deduction band" in short["explanation"]
    assert short["candidates"][0]["invoice_number"] == "US01-2026-000200"
    assert {c["open_amount"] for c in short["candidates"] + foreign["candidates"]} == {"300.00"}  # minor units
    queue = (await service.client.get("/payments/unapplied", headers=COLLECTOR)).json()["items"]
    shown = {p["id"]: p for p in queue}
    assert shown[foreign["id"]]["evidence"] == foreign["evidence"] and shown[short["id"]]["candidates"]
    assert await service.open_amount(mine) == Decimal("300.00")
    assert await service.scalar("SELECT count(*) FROM deductions") == 0
    await assert_ledger_and_events_agree(service)


async def assert_ledger_and_events_agree(service: Service) -> None:
    """Every open item equals the sum of its ledger entries, and the last receivable.changed of each invoice (what
    invoicing and kpi mirror) carries that open amount."""
    drift = await service.rows(
        "SELECT o.invoice_number FROM open_items o JOIN ledger_entries e USING (invoice_id) "
        "GROUP BY o.invoice_id, o.invoice_number, o.open_amount HAVING o.open_amount <> sum(e.amount)")
    assert drift == []
    announced = await service.rows(
        "SELECT DISTINCT ON (p->>'invoice_id') p->>'invoice_id', p->>'open_amount_after' FROM (SELECT "
        "convert_from(payload, 'UTF8')::jsonb AS p FROM outbox WHERE event_type LIKE '%receivable.changed%') e "
        "ORDER BY p->>'invoice_id', (p->>'sequence')::int DESC")
    opened = {str(i): a for i, a in await service.rows("SELECT invoice_id, open_amount FROM open_items")}
    assert {i: Decimal(a) for i, a in announced} == opened


async def test_naming_another_customers_invoice_never_waits_on_its_lock(service: Service) -> None:
    """Only the payer's and its group's items are locked: a booking naming another customer's invoice (held by
    another transaction, e.g. another import chunk) is decided without waiting, so two chunks never deadlock."""
    from o2c_collections.payments.parsed import ParsedPayment
    from o2c_collections.payments.service import book
    from o2c_common.auth import Principal

    theirs = await issue(service, "US01-2026-000950", "80.00", customer="CUST-3")
    await issue(service, "US01-2026-000951", "80.00")
    async with service.db.unit_of_work() as holder:
        await holder.execute(text("SELECT 1 FROM open_items WHERE invoice_id = :i FOR UPDATE"), {"i": theirs})
        who = Principal(subject="feed", roles=frozenset({"bank_file_importer"}), kind="service")
        async with service.transactions.begin(who) as tx:
            await tx.session.execute(text("SET LOCAL lock_timeout = '5s'"))  # before: a lock wait, then this fails
            booked = await book(tx, parsed=ParsedPayment(
                bank_reference="LOCK-1", value_date=date(2026, 2, 1), currency="USD", amount=Decimal("80.00"),
                customer_id="CUST-1", lines=(Line("US01-2026-000950"),)), legal_entity="US01", source="api",
                import_id=None, settings=service.settings)
    assert booked.payment is not None and not booked.applied
    assert "another payer" in (booked.payment.explanation or "")
