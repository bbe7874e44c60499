"""Payments through the API on a real database: rules end to end, unapplied cash, manual apply/unapply,
over-application under concurrency, as-of balances, access and bad input."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from services.collections.tests.conftest import AGENT_A, AGENT_B, COLLECTOR, IMPORTER, VIEWER, Service, problem


async def test_reference_and_amount_closes_the_invoice_and_emits_events(service: Service) -> None:
    inv = await service.issue("INV-100", "250.00")
    paid = await service.pay("250.00", remittance=[{"reference": "INV-100"}], bank_reference="BNK-1")
    assert paid["status"] == "applied" and paid["applications"][0]["rule"] == "reference_and_amount"
    assert await service.open_amount(inv) == 0
    assert await service.outbox_types() == ["receivable.changed", "payment.received", "receivable.changed",
                                            "payment.applied"]
    ledger = (await service.client.get(f"/receivables/{inv}/ledger", headers=COLLECTOR)).json()
    assert [e["kind"] for e in ledger] == ["invoice", "payment"]
    item = (await service.client.get(f"/receivables/{inv}", headers=COLLECTOR)).json()
    assert item["status"] == "closed" and item["open_amount"] == "0.00"
    audit = await service.scalar("SELECT count(*) FROM audit_log WHERE entity_id = :p", p=paid["id"])
    assert audit == 2  # received, auto-applied


async def test_short_pay_opens_a_deduction_and_ambiguity_stays_unapplied(service: Service) -> None:
    inv = await service.issue("INV-200", "1000.00")
    await service.pay("960.00", remittance=[{"reference": "INV-200", "reason_code": "promo"}])
    assert await service.open_amount(inv) == Decimal("40.00")
    assert await service.rows("SELECT reason, amount FROM deductions") == [("promo", Decimal("40.000000"))]
    await service.issue("INV-201", "75.00")
    await service.issue("INV-202", "75.00")
    paid = await service.pay("75.00")
    assert paid["status"] == "unapplied" and len(paid["candidates"]) == 2
    assert "deduction.opened" in await service.outbox_types()
    assert (await service.outbox_types())[-1] == "payment.unapplied"


async def test_manual_apply_needs_if_match_and_unapply_restores(service: Service) -> None:
    inv = await service.issue("INV-300", "500.00")
    paid = await service.pay("123.45")
    url = f"/payments/{paid['id']}/applications"
    body = {"invoice_id": str(inv), "amount": "100.00", "reason": "customer confirmed by phone"}
    assert problem(await service.client.post(url, json=body, headers=COLLECTOR), 428)
    stale = await service.client.post(url, json=body, headers={**COLLECTOR, "If-Match": '"x:1"'})
    assert problem(stale, 412)
    etag = (await service.client.get(f"/payments/{paid['id']}", headers=COLLECTOR)).headers["ETag"]
    applied = await service.client.post(url, json=body, headers={**COLLECTOR, "If-Match": etag})
    assert applied.status_code == 201, applied.text
    assert applied.json()["rule"] == "manual" and await service.open_amount(inv) == Decimal("400.00")
    reverse = await service.client.post(f"{url}/{applied.json()['id']}/reversal", json={"reason": "wrong invoice"},
                                        headers={**COLLECTOR, "If-Match": applied.headers["ETag"]})
    assert reverse.status_code == 200, reverse.text
    assert reverse.json()["unapplied_amount"] == "123.45" and await service.open_amount(inv) == Decimal("500.00")
    again = await service.client.post(f"{url}/{applied.json()['id']}/reversal", json={"reason": "twice"},
                                      headers={**COLLECTOR, "If-Match": reverse.headers["ETag"]})
    assert problem(again, 409)["type"].endswith("already-reversed")


async def test_fifty_concurrent_applications_to_one_invoice_never_over_apply(service: Service) -> None:
    inv = await service.issue("INV-400", "1000.00")
    payments = [await service.pay("100.00", customer="OTHER") for _ in range(50)]

    async def apply(payment: dict[str, object]) -> int:
        etag = (await service.client.get(f"/payments/{payment['id']}", headers=COLLECTOR)).headers["ETag"]
        response = await service.client.post(f"/payments/{payment['id']}/applications",
                                             json={"invoice_id": str(inv), "amount": "100.00"},
                                             headers={**COLLECTOR, "If-Match": etag})
        return response.status_code

    statuses = await asyncio.gather(*(apply(p) for p in payments))
    assert statuses.count(201) == 10 and statuses.count(409) == 40
    assert await service.open_amount(inv) == 0
    assert await service.scalar("SELECT sum(amount) FROM applications WHERE invoice_id = :i", i=inv) == 1000


async def test_an_over_application_says_the_amounts_in_minor_units(service: Service) -> None:
    inv = await service.issue("INV-450", "356.69")
    payment = await service.pay("500.00", customer="OTHER")
    etag = (await service.client.get(f"/payments/{payment['id']}", headers=COLLECTOR)).headers["ETag"]
    response = await service.client.post(f"/payments/{payment['id']}/applications",
                                         json={"invoice_id": str(inv), "amount": "400.00"},
                                         headers={**COLLECTOR, "If-Match": etag})
    body = problem(response, 409)
    assert body["detail"] == "400.00 USD exceeds the payment's unapplied 500.00 USD or the invoice's open 356.69 USD"
    assert (body["unapplied_amount"], body["open_amount"]) == ("500.00", "356.69")


async def test_as_of_balances_reproduce_the_past(service: Service) -> None:
    inv = await service.issue("INV-500", "300.00")
    await service.pay("300.00", remittance=[{"reference": "INV-500"}], value_date="2026-03-10")
    assert await service.open_amount(inv) == 0
    before = await service.client.get("/balances?as_of=2026-03-09&by=invoice", headers=COLLECTOR)
    assert [(b["key"], b["open_amount"]) for b in before.json()["items"]] == [(str(inv), "300.00")]
    after = await service.client.get("/balances?as_of=2026-03-10&by=customer", headers=COLLECTOR)
    assert after.json() == {"items": [], "next_cursor": None}


async def test_duplicate_bank_reference_is_refused(service: Service) -> None:
    await service.pay("10.00", bank_reference="BNK-DUP")
    again = await service.client.post("/payments", headers=COLLECTOR, json={
        "legal_entity": "US01", "currency": "USD", "amount": "10.00", "value_date": "2026-02-01",
        "bank_reference": "BNK-DUP"})
    assert problem(again, 409)["type"].endswith("duplicate-payment")
    assert await service.scalar("SELECT count(*) FROM payments") == 1


async def test_vendor_agents_see_only_their_team(service: Service) -> None:
    await service.execute("INSERT INTO accounts (customer_id, owning_team) VALUES ('CA', 'vendor-a')")
    inv = await service.issue("INV-600", "50.00", customer="CA", team="vendor-a")
    paid = await service.pay("50.00", customer="CA", headers=AGENT_A)
    assert paid["owning_team"] == "vendor-a"
    assert problem(await service.client.get(f"/payments/{paid['id']}", headers=AGENT_B), 403)
    assert problem(await service.client.get(f"/receivables/{inv}", headers=AGENT_B), 403)
    assert (await service.client.get("/payments", headers=AGENT_B)).json()["items"] == []
    assert len((await service.client.get("/payments", headers=AGENT_A)).json()["items"]) == 1
    assert (await service.client.get("/balances?as_of=2026-12-31", headers=AGENT_B)).json()["items"] == []


async def test_bad_input_and_tokens_on_every_endpoint(service: Service) -> None:
    some = "00000000-0000-0000-0000-000000000000"
    for method, url in (("GET", "/payments"), ("POST", "/payments"), ("GET", f"/payments/{some}"),
                        ("POST", f"/payments/{some}/applications"), ("POST", "/payment-imports?format=csv"),
                        ("GET", f"/payment-imports/{some}"), ("GET", "/balances?as_of=2026-01-01"),
                        ("GET", f"/receivables/{some}/ledger")):
        assert problem(await service.client.request(method, url), 401)
    bad = {"legal_entity": "US01", "currency": "usd", "amount": 10.5, "value_date": "yesterday"}
    errors = problem(await service.client.post("/payments", json=bad, headers=COLLECTOR), 422)["errors"]
    assert {e["pointer"] for e in errors} >= {"#/currency", "#/amount", "#/value_date"}
    assert problem(await service.client.post("/payments", json={**bad, "currency": "USD", "amount": "10",
                                                                "value_date": "2026-01-01"}, headers=VIEWER), 403)
    assert problem(await service.client.get("/payments/nope", headers=COLLECTOR), 422)
    assert problem(await service.client.get(f"/payments/{some}", headers=COLLECTOR), 404)
    assert problem(await service.client.get("/payments?limit=0", headers=COLLECTOR), 422)
    assert problem(await service.client.get("/payments?cursor=zzz", headers=COLLECTOR), 422)
    assert problem(await service.client.get("/balances?as_of=2026-01-01&by=planet", headers=COLLECTOR), 422)
    assert problem(await service.client.post(f"/payments/{some}/applications", json={"amount": "-1"},
                                             headers={**COLLECTOR, "If-Match": "*"}), 422)
    assert problem(await service.client.post("/payment-imports?format=xls&legal_entity=US01", content=b"x",
                                             headers=IMPORTER), 422)
    assert problem(await service.client.get(f"/payment-imports/{some}", headers=IMPORTER), 404)


async def test_unapplied_list_includes_overpayment_remainder(service: Service) -> None:
    await service.execute("INSERT INTO accounts (customer_id, owning_team, version) VALUES ('CUST-1', 'vendor-a', 1)")
    inv = await service.issue("INV-OV", "100.00")
    over = await service.pay("130.00", remittance=[{"reference": "INV-OV"}], value_date="2026-02-03")
    assert (over["status"], over["unapplied_amount"]) == ("partially_applied", "30.00")
    nothing = await service.pay("55.00", remittance=[{"reference": "NOPE"}], value_date="2026-02-02")
    assert nothing["status"] == "unapplied"
    await service.pay("10.00", remittance=[{"reference": "NOPE"}], customer="OTHER")  # another team's cash
    queue = (await service.client.get("/payments/unapplied", headers=AGENT_A)).json()["items"]
    assert [(p["id"], p["unapplied_amount"]) for p in queue] == [(nothing["id"], "55.00"), (over["id"], "30.00")]
    by_status = (await service.client.get("/payments?status=unapplied", headers=AGENT_A)).json()["items"]
    assert [p["id"] for p in by_status] == [nothing["id"]]  # the status alone leaves the remainder out
    assert len((await service.client.get("/payments/unapplied", headers=COLLECTOR)).json()["items"]) == 3
    assert (await service.client.get("/payments/unapplied", headers=AGENT_B)).json()["items"] == []
    assert await service.open_amount(inv) == 0


async def test_amounts_finer_than_the_currencys_minor_unit_are_refused(service: Service) -> None:
    """Half a yen cannot be paid: a payment, a remittance line, a bank file or a manual application naming one is a
    422, and nothing is booked."""
    yen = {"legal_entity": "US01", "customer_id": "CUST-1", "currency": "JPY", "value_date": "2026-02-01"}
    body = problem(await service.client.post("/payments", json={**yen, "amount": "1000.5"}, headers=COLLECTOR), 422)
    assert "amount 1000.5 has digits below the JPY minor unit (0 decimals)" in json.dumps(body)
    body = problem(await service.client.post("/payments", json={**yen, "amount": "1000", "remittance": [
        {"reference": "X", "amount": "999.99"}]}, headers=COLLECTOR), 422)
    assert "remittance[0].amount 999.99 has digits below the JPY minor unit" in json.dumps(body)
    usd = ("bank_reference,value_date,currency,amount,customer_id,payer_name,remittance\n"
           "B1,2026-02-01,USD,12.345,CUST-1,,\n")
    body = problem(await service.client.post("/payment-imports?format=csv&legal_entity=US01", content=usd.encode(),
                                             headers=IMPORTER), 422)
    assert "12.345 USD has digits below the currency's minor unit (2 decimals)" in json.dumps(body)
    assert "#/line/2" in json.dumps(body)
    assert await service.scalar("SELECT count(*) FROM payments") == 0

    invoice = await service.issue("JP-1", "10000", currency="JPY")
    paid = await service.pay("10000", customer="OTHER", currency="JPY")
    etag = (await service.client.get(f"/payments/{paid['id']}", headers=COLLECTOR)).headers["ETag"]
    half = await service.client.post(f"/payments/{paid['id']}/applications", headers={**COLLECTOR, "If-Match": etag},
                                     json={"invoice_id": str(invoice), "amount": "9999.5"})
    assert problem(half, 422)["type"].endswith("finer-than-minor-unit")
    assert await service.open_amount(invoice) == Decimal(10000)
