"""Patterns learned from manual applications (issue 18 items 3, 4): a person confirms the top candidates of an
unapplied payment in one call; the payer's reference format and name are remembered, used for the next payment
with the same never-guess rule, listed and removable; the ledger and the events agree at the end."""

from __future__ import annotations

from decimal import Decimal

from services.collections.tests.conftest import AGENT_A, AGENT_B, COLLECTOR, Service, problem
from services.collections.tests.integration.test_cashapp_remittance import assert_ledger_and_events_agree


async def etag(service: Service, payment_id: str) -> str:
    return (await service.client.get(f"/payments/{payment_id}", headers=COLLECTOR)).headers["ETag"]


async def test_confirming_a_candidate_teaches_the_payers_format_and_name(service: Service) -> None:
    first = await service.issue("US01-2026-000123", "400.00")
    await service.issue("US01-2026-000124", "400.00")
    await service.issue("US01-2026-000777", "400.00", customer="CUST-2")
    unread = await service.pay("400.00", remittance=[{"reference": "ACME/123/26"}])
    assert unread["status"] == "unapplied" and unread["explanation"].startswith("unapplied: several open items")
    assert str(first) in {c["invoice_id"] for c in unread["candidates"]}
    url = f"/payments/{unread['id']}/confirmation"
    refused = await service.client.post(url, json={"invoice_ids": [unread["id"]]},
                                        headers={**COLLECTOR, "If-Match": await etag(service, unread["id"])})
    assert problem(refused, 422)["type"].endswith("not-a-candidate")
    assert problem(await service.client.post(url, json={"invoice_ids": [str(first)]}, headers=COLLECTOR), 428)
    confirmed = await service.client.post(url, json={"invoice_ids": [str(first)], "reason": "ACME writes it so"},
                                          headers={**COLLECTOR, "If-Match": await etag(service, unread["id"])})
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["payment"]["status"] == "applied" and body["applications"][0]["rule"] == "manual"
    assert [(p["kind"], p["example"], p["number"]) for p in body["learned"]] == [
        ("reference_format", "ACME/123/26", "US01-{year}-{seq}")]

    # the next payment written the same way is read by the learned format: twins told apart
    await service.issue("US01-2026-000125", "400.00")
    await service.issue("US01-2026-000126", "400.00")
    nxt = await service.pay("400.00", remittance=[{"reference": "ACME/124/26"}])
    assert nxt["status"] == "applied" and nxt["applications"][0]["rule"] == "reference_and_amount"
    assert any(e["rule"].startswith("invoice_number:learned:") for e in nxt["evidence"])
    # never guess: the format naming another payer's invoice stops the match
    other = await service.pay("400.00", remittance=[{"reference": "ACME/777/26"}])
    assert other["status"] == "unapplied" and "another payer" in other["explanation"]

    listed = (await service.client.get("/cash-application/patterns?customer_id=CUST-1", headers=COLLECTOR)).json()
    assert [p["value"] for p in listed["items"]] == [body["learned"][0]["value"]]
    pattern_id = listed["items"][0]["id"]
    assert problem(await service.client.delete(f"/cash-application/patterns/{pattern_id}", headers=AGENT_B), 403)
    gone = await service.client.delete(f"/cash-application/patterns/{pattern_id}", headers=COLLECTOR)
    assert gone.status_code == 204
    forgotten = await service.pay("400.00", remittance=[{"reference": "ACME/125/26"}])
    assert forgotten["status"] == "unapplied"
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'cashapp.pattern_%'") == 2
    await assert_ledger_and_events_agree(service)


async def test_a_payer_name_learned_by_hand_identifies_the_next_payment(service: Service) -> None:
    meant = await service.issue("US01-2026-000300", "250.00", customer="CUST-9")
    await service.issue("US01-2026-000301", "90.00", customer="CUST-9")
    anonymous = await service.pay("250.00", customer=None, payer_name="ACME Holdings EU")
    assert anonymous["status"] == "unapplied"
    applied = await service.client.post(
        f"/payments/{anonymous['id']}/applications", json={"invoice_id": str(meant), "amount": "250.00"},
        headers={**COLLECTOR, "If-Match": await etag(service, anonymous["id"])})
    assert applied.status_code == 201, applied.text
    listed = (await service.client.get("/cash-application/patterns?customer_id=CUST-9", headers=COLLECTOR)).json()
    assert [(p["kind"], p["value"]) for p in listed["items"]] == [("alias", "ACMEHOLDINGSEU")]
    later = await service.pay("90.00", customer=None, payer_name="ACME HOLDINGS EU")
    assert later["status"] == "applied" and later["customer_id"] == "CUST-9"
    assert later["evidence"][0]["rule"] == "alias"
    # a name learned for two customers names neither
    await service.issue("US01-2026-000400", "70.00", customer="CUST-8")
    await service.execute("INSERT INTO cashapp_patterns (id, customer_id, kind, value, example, invoice_number, "
                          "payment_id, learned_by) VALUES (gen_random_uuid(), 'CUST-8', 'alias', 'ACMEHOLDINGSEU', "
                          "'x', 'US01-2026-000400', gen_random_uuid(), 'sue')")
    shared = await service.pay("70.00", customer=None, payer_name="Acme Holdings EU")
    assert shared["status"] == "unapplied" and shared["customer_id"] is None
    assert await service.open_amount(meant) == Decimal(0)
    await assert_ledger_and_events_agree(service)


async def test_a_vendor_agents_application_teaches_no_payer_name(service: Service) -> None:
    """Aliases route every team's cash: an agent of one team applying an anonymous payment of its own does not make
    the payer's name theirs (nor, by a second claim, silence another team's alias)."""
    mine = await service.issue("US01-2026-000500", "0.01", customer="CUST-A1", team="vendor-a")
    posted = await service.pay("0.01", customer=None, payer_name="BIG CORP GMBH", headers=AGENT_A)
    applied = await service.client.post(
        f"/payments/{posted['id']}/applications", json={"invoice_id": str(mine), "amount": "0.01"},
        headers={**AGENT_A, "If-Match": await etag(service, posted["id"])})
    assert applied.status_code == 201, applied.text
    assert await service.scalar("SELECT count(*) FROM cashapp_patterns WHERE kind = 'alias'") == 0
    later = await service.pay("500.00", customer=None, payer_name="Big Corp GmbH")
    assert later["customer_id"] is None and later["status"] == "unapplied"
