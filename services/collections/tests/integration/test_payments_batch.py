"""POST /payments/batch (issue 16 item 2): many payments in one call, booked as POST /payments would one by one,
answered per row (created, duplicate, problem); resending books nothing twice; the ledger agrees."""

from __future__ import annotations

from typing import Any

from services.collections.tests.conftest import AGENT_A, AGENT_B, COLLECTOR, VIEWER, Service, problem


def body(reference: str | None, amount: str, customer: str = "CUST-1", invoice: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"legal_entity": "US01", "customer_id": customer, "currency": "USD", "amount": amount,
                           "value_date": "2026-02-03"}
    if reference:
        row["bank_reference"] = reference
    if invoice:
        row["remittance"] = [{"reference": invoice}]
    return row


async def test_each_payment_is_answered_and_booked_once(service: Service) -> None:
    one = await service.issue("INV-B1", "100.00")
    two = await service.issue("INV-B2", "40.00")
    payments = [body("BR-1", "100.00", invoice="INV-B1"), body("BR-1", "100.00", invoice="INV-B1"),
                body("BR-3", "-5"), body(None, "40.00")]
    response = await service.client.post("/payments/batch", headers=COLLECTOR, json={"payments": payments})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["created"], answer["duplicates"], answer["problems"]) == (2, 1, 1)
    first, twice, bad, plain = answer["results"]
    assert (first["status"], first["applied"], twice["status"]) == ("created", True, "duplicate")
    assert twice["payment_id"] == first["payment_id"]
    assert bad["status"] == "problem" and bad["problem"]["status"] == 422
    assert [e["pointer"] for e in bad["problem"]["errors"]] == ["#/payments/2/amount"]
    assert (plain["status"], plain["applied"]) == ("created", True)
    again = (await service.client.post("/payments/batch", headers=COLLECTOR,
                                       json={"payments": payments[:1]})).json()
    assert again["results"][0] == {**first, "status": "duplicate", "applied": False}
    assert await service.scalar("SELECT count(*) FROM payments") == 2
    assert (await service.outbox_types()).count("payment.received") == 2
    assert await service.open_amount(one) == 0 and await service.open_amount(two) == 0
    detail = (await service.client.get(f"/payments/{first['payment_id']}", headers=COLLECTOR)).json()
    assert detail["status"] == "applied" and detail["applications"][0]["invoice_id"] == str(one)
    # the ledger agrees with the open items: what was applied left the receivables
    assert await service.scalar("SELECT sum(amount) FROM ledger_entries WHERE invoice_id IN (:a, :b)",
                                a=one, b=two) == 0


async def test_who_may_batch_and_how_many(service: Service) -> None:
    denied = await service.client.post("/payments/batch", headers=VIEWER, json={"payments": [body("V", "1.00")]})
    problem(denied, 403)
    too_many = await service.client.post("/payments/batch", headers=COLLECTOR,
                                         json={"payments": [body(f"M{n}", "1.00") for n in range(1001)]})
    assert problem(too_many, 422)["errors"][0]["pointer"] == "#/payments"
    await service.execute("INSERT INTO accounts (customer_id, owning_team) VALUES ('CA', 'vendor-a'), "
                          "('CB', 'vendor-b')")
    await service.issue("INV-A1", "50.00", customer="CA", team="vendor-a")
    mixed = (await service.client.post("/payments/batch", headers=AGENT_A, json={"payments": [
        body("A-1", "50.00", customer="CA"), body("B-1", "50.00", customer="CB")]})).json()
    own, other = mixed["results"]
    assert (own["status"], own["applied"]) == ("created", True)
    assert other["status"] == "problem" and other["problem"]["status"] == 403
    assert await service.scalar("SELECT count(*) FROM payments WHERE bank_reference = 'B-1'") == 0
    # a bank reference another team booked is a duplicate without that team's payment id; the team's own keeps it
    again = (await service.client.post("/payments/batch", headers=AGENT_B, json={"payments": [
        body("A-1", "50.00", customer="CB")]})).json()
    assert again["results"][0]["status"] == "duplicate" and again["results"][0]["payment_id"] is None
    retried = (await service.client.post("/payments/batch", headers=AGENT_A, json={"payments": [
        body("A-1", "50.00", customer="CA")]})).json()
    assert retried["results"][0]["payment_id"] == own["payment_id"]


async def test_imported_history_is_booked_as_such_and_its_application_says_so(service: Service) -> None:
    await service.issue("INV-H1", "70.00")
    await service.issue("INV-H2", "30.00")
    for historical, reference, invoice in ((True, "H-1", "INV-H1"), (False, "H-2", "INV-H2")):
        answer = (await service.client.post("/payments/batch", headers=COLLECTOR, json={
            "historical": historical, "payments": [body(reference, "70.00" if historical else "30.00",
                                                        invoice=invoice)]})).json()
        assert answer["results"][0]["applied"] is True, answer
    sources = dict(await service.rows("SELECT bank_reference, source FROM payments"))
    assert sources == {"H-1": "history_import", "H-2": "api"}
    applied = await service.rows("SELECT convert_from(payload, 'UTF8')::jsonb FROM outbox "
                                 "WHERE event_type = 'o2c.payment.applied.v1' ORDER BY id")
    assert [(p["applications"][0]["invoice_number"], p["historical"]) for (p,) in applied] == [
        ("INV-H1", True), ("INV-H2", False)]


async def test_imported_history_pays_only_the_invoices_it_names(service: Service) -> None:
    """History says which invoices a payment paid: only those of the payer's open items are its candidates (read and
    locked), where today's cash is matched against all of them."""
    today = await service.issue("INV-T1", "50.00", customer="CUST-T")
    lone = await service.issue("INV-N1", "60.00", customer="CUST-N")
    named, twin = (await service.issue("INV-M1", "25.00", customer="CUST-M"),
                   await service.issue("INV-M2", "25.00", customer="CUST-M"))

    async def batch(historical: bool, *payments: dict[str, Any]) -> list[dict[str, Any]]:
        response = await service.client.post("/payments/batch", headers=COLLECTOR,
                                             json={"historical": historical, "payments": list(payments)})
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    [live] = await batch(False, body("T-1", "50.00", customer="CUST-T"))  # names nothing: the payer's one item
    assert live["applied"] is True and await service.open_amount(today) == 0
    unnamed, paid = await batch(True, body("N-1", "60.00", customer="CUST-N"),
                                body("M-1", "25.00", customer="CUST-M", invoice="INV-M1"))
    assert unnamed["applied"] is False and await service.open_amount(lone) == 60
    assert paid["applied"] is True
    assert (await service.open_amount(named), await service.open_amount(twin)) == (0, 25)
    candidates = await service.scalar("SELECT candidates FROM payments WHERE bank_reference = 'M-1'")
    assert {c["invoice_number"] for c in candidates} <= {"INV-M1"}
    for invoice in (today, lone, named, twin):  # the ledger agrees with the open items, to the cent
        assert await service.scalar("SELECT sum(amount) FROM ledger_entries WHERE invoice_id = :i",
                                    i=invoice) == await service.open_amount(invoice)
