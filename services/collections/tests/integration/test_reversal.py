"""Reversing an application undoes what came with it: the early-payment discount or tolerance written off with the
cash is written back, and a deduction the payment opened must be decided by a person first. The ledger, the open
item and the receivable.changed events agree at the end."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from services.collections.tests.conftest import COLLECTOR, Service, problem
from services.collections.tests.integration.test_cashapp_remittance import assert_ledger_and_events_agree, issue
from services.collections.tests.integration.test_sod_credits import Stack, stack  # noqa: F401 - the fixture


async def reverse(service: Service, payment: dict[str, Any]) -> Any:
    etag = (await service.client.get(f"/payments/{payment['id']}", headers=COLLECTOR)).headers["ETag"]
    application = payment["applications"][0]["id"]
    return await service.client.post(f"/payments/{payment['id']}/applications/{application}/reversal",
                                     json={"reason": "the payment bounced"}, headers={**COLLECTOR, "If-Match": etag})


async def ledger(service: Service, invoice: object) -> list[tuple[str, str, str | None]]:
    entries = (await service.client.get(f"/receivables/{invoice}/ledger", headers=COLLECTOR)).json()
    return [(e["kind"], e["amount"], e["reason"]) for e in entries]


async def test_the_discount_taken_with_the_cash_is_written_back_with_it(service: Service) -> None:
    invoice = await issue(service, "US01-2026-000300", "1000.00", discount_percent=Decimal(2),
                          discount_until=date(2026, 1, 11))
    paid = await service.pay("980.00", remittance=[{"reference": "US01-2026-000300"}], value_date="2026-01-10")
    assert paid["applications"][0]["rule"] == "early_payment_discount"
    assert await service.open_amount(invoice) == Decimal("0.00")

    undone = await reverse(service, paid)

    assert undone.status_code == 200, undone.text
    assert undone.json()["unapplied_amount"] == "980.00"
    assert (await ledger(service, invoice))[3:] == [
        ("reversal", "980.00", "reversed"), ("tolerance_write_off", "20.00", "early_payment_discount")]
    receivable = (await service.client.get(f"/receivables/{invoice}", headers=COLLECTOR)).json()
    assert (receivable["open_amount"], receivable["status"]) == ("1000.00", "open")
    assert await service.rows("SELECT written_off_amount, cash_applied_amount FROM open_items") == [
        (Decimal(0), Decimal(0))]
    [(unapplied,)] = await service.rows("SELECT convert_from(payload, 'UTF8')::jsonb FROM outbox "
                                        "WHERE event_type = 'o2c.payment.unapplied.v1'")
    unapplied = json.loads(unapplied) if isinstance(unapplied, str) else unapplied
    assert unapplied["reversed_applications"][0]["rule"] == "early_payment_discount"  # kpi takes the cash back
    [(written_back,)] = await service.rows(
        "SELECT before->>'written_off_with_it' FROM audit_log WHERE action = 'payment.unapplied'")
    assert Decimal(written_back) == Decimal(20)
    await assert_ledger_and_events_agree(service)


async def test_an_unresolved_deduction_of_the_payment_is_decided_before_the_reversal(service: Service) -> None:
    invoice = await issue(service, "US01-2026-000310", "1000.00", discount_percent=Decimal(2),
                          discount_until=date(2026, 1, 11))
    late = await service.pay("980.00", remittance=[{"reference": "US01-2026-000310"}], value_date="2026-01-20")
    assert late["applications"][0]["rule"] == "reference_deduction"
    [(deduction, held)] = await service.rows("SELECT d.id, o.disputed_amount FROM deductions d "
                                             "JOIN open_items o USING (invoice_id)")
    assert held == Decimal("20.00")
    before = await ledger(service, invoice)

    refused = await reverse(service, late)

    body = problem(refused, 409)
    assert body["type"].endswith("deduction-unresolved")
    assert str(deduction) in body["detail"] and "20.00 USD" in body["detail"]
    assert await ledger(service, invoice) == before and await service.open_amount(invoice) == Decimal("20.00")

    etag = (await service.client.get(f"/deductions/{deduction}", headers=COLLECTOR)).headers["ETag"]
    recovered = await service.client.post(f"/deductions/{deduction}/resolution", json={"resolution": "recovered"},
                                          headers={**COLLECTOR, "If-Match": etag})
    assert recovered.status_code == 200, recovered.text
    undone = await reverse(service, late)
    assert undone.status_code == 200, undone.text
    assert await service.open_amount(invoice) == Decimal("1000.00")
    assert await service.rows("SELECT disputed_amount FROM open_items WHERE invoice_id = :i", i=invoice) == [
        (Decimal("0.00"),)]
    await assert_ledger_and_events_agree(service)


async def test_a_deduction_turned_dispute_holds_the_reversal_until_the_dispute_is_resolved(service: Service) -> None:
    invoice = await issue(service, "US01-2026-000320", "1000.00", discount_percent=Decimal(2),
                          discount_until=date(2026, 1, 11))
    late = await service.pay("980.00", remittance=[{"reference": "US01-2026-000320"}], value_date="2026-01-20")
    [(deduction,)] = await service.rows("SELECT id FROM deductions")
    etag = (await service.client.get(f"/deductions/{deduction}", headers=COLLECTOR)).headers["ETag"]
    disputed = await service.client.post(f"/deductions/{deduction}/resolution", json={"resolution": "disputed"},
                                         headers={**COLLECTOR, "If-Match": etag})
    assert disputed.status_code == 200, disputed.text
    body = problem(await reverse(service, late), 409)
    assert body["type"].endswith("deduction-unresolved") and "(disputed, 20.00 USD)" in body["detail"]
    dispute = disputed.json()["dispute_id"]
    etag = (await service.client.get(f"/disputes/{dispute}", headers=COLLECTOR)).headers["ETag"]
    settled = await service.client.post(f"/disputes/{dispute}/resolution", headers={**COLLECTOR, "If-Match": etag},
                                        json={"outcome": "customer_pays", "root_cause": "pricing"})
    assert settled.status_code == 200, settled.text
    assert (await reverse(service, late)).status_code == 200
    assert await service.open_amount(invoice) == Decimal("1000.00")
    await assert_ledger_and_events_agree(service)


async def test_a_reversal_is_announced_for_the_customer_its_application_was(service: Service) -> None:
    invoice = await issue(service, "US01-2026-000330", "300.00", customer="CUST-7")
    unnamed = await service.pay("300.00", customer=None, payer_name="SOMEONE")
    etag = (await service.client.get(f"/payments/{unnamed['id']}", headers=COLLECTOR)).headers["ETag"]
    applied = await service.client.post(f"/payments/{unnamed['id']}/applications", headers={
        **COLLECTOR, "If-Match": etag}, json={"invoice_id": str(invoice), "amount": "300.00"})
    assert applied.status_code == 201, applied.text
    assert (await reverse(service, {**unnamed, "applications": [applied.json()]})).status_code == 200
    customers = await service.rows(
        "SELECT event_type, p ->> 'customer_id' FROM (SELECT id, event_type, "
        "CAST(convert_from(payload, 'UTF8') AS jsonb) AS p FROM outbox) e "
        "WHERE event_type = 'o2c.payment.applied.v1' OR event_type = 'o2c.payment.unapplied.v1' "
        "AND p ->> 'reason' = 'reversed' ORDER BY id")
    assert customers == [("o2c.payment.applied.v1", "CUST-7"), ("o2c.payment.unapplied.v1", "CUST-7")]


async def test_invoicing_mirrors_the_written_back_discount(stack: Stack) -> None:  # noqa: F811 - the fixture
    """Through both services: the discount taken with the cash and then written back with its reversal leave
    invoicing's settlement and the ledger agreeing, the invoice open again in full."""
    invoice = await stack.invoicing.issued(discount_percent="2", discount_days=10, lines=[
        {"description": "Services", "quantity": "1", "unit_price": "1000.00", "tax_rate": "0.00", "po_line": "1"}])
    await stack.relay()
    paid = await stack.collections.pay("980.00", remittance=[{"reference": invoice["number"]}],
                                       value_date=invoice["issue_date"])
    assert paid["applications"][0]["rule"] == "early_payment_discount", paid
    await stack.relay()
    assert await stack.assert_agree(invoice["id"]) == (0, 0, 20, 980, 3)
    undone = await reverse(stack.collections, paid)
    assert undone.status_code == 200, undone.text
    await stack.relay()
    assert await stack.assert_agree(invoice["id"]) == (1000, 0, 0, 0, 5)
