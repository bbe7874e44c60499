"""The collections 500s schemathesis found, each closed as a class (issue 15): a breach cleared and met again on
the same day, a second policy for a segment, a bank CSV with bare CRs or a NUL."""

from __future__ import annotations

import json
from datetime import date

from services.collections.tests.conftest import ADMIN, COLLECTOR, SUPERVISOR, Service, problem

OVER_60 = {"name": "Over 60 days", "min_days_past_due": 61, "min_overdue_amount": "1000.00", "severity": "P2"}
HEADER = "bank_reference,value_date,currency,amount,customer_id,payer_name,remittance"


async def run(service: Service, as_of: str) -> dict[str, int]:
    response = await service.client.post(f"/overdue-escalation/runs?as_of={as_of}", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_breach_cleared_and_met_again_on_the_same_day_is_reopened(service: Service) -> None:
    assert (await service.client.put("/overdue-escalation/rules/over-60", json=OVER_60,
                                     headers=SUPERVISOR)).status_code == 200
    invoice = await service.issue("EDGE-1", "2000.00", customer="AGAIN", due_date=date(2026, 1, 1))
    assert (await run(service, "2026-04-01"))["escalated"] == 1
    disputed = await service.client.post("/disputes", json={"invoice_id": str(invoice), "reason": "pricing"},
                                         headers=COLLECTOR)
    assert disputed.status_code == 201, disputed.text
    assert (await run(service, "2026-04-01"))["cleared"] == 1
    resolved = await service.client.post(f"/disputes/{disputed.json()['id']}/resolution", headers={
        **COLLECTOR, "If-Match": disputed.headers["ETag"]}, json={"outcome": "customer_pays", "root_cause": "other"})
    assert resolved.status_code == 200, resolved.text
    again = await run(service, "2026-04-01")  # the same as_of: the breach id is the same one
    assert (again["escalated"], again["already_open"]) == (1, 0)
    assert (await run(service, "2026-04-01"))["already_open"] == 1
    rows = await service.rows("SELECT status, cleared_on FROM escalation_breaches")
    assert [(r[0], r[1]) for r in rows] == [("open", None)]
    events = [json.loads(r[0]) for r in await service.rows(
        "SELECT payload FROM outbox WHERE event_type = 'o2c.balance.overdue_escalated.v1' ORDER BY id")]
    assert len(events) == 2 and events[0]["breach_id"] == events[1]["breach_id"]


async def test_a_second_policy_for_a_segment_is_409(service: Service) -> None:
    policies = {p["id"]: p for p in (await service.client.get("/dunning/policies", headers=COLLECTOR)).json()}
    standard = {"segment": "standard", "levels": policies["standard"]["levels"]}
    body = problem(await service.client.put("/dunning/policies/standard-2", json=standard, headers=SUPERVISOR), 409)
    assert body["type"].endswith("/dunning-segment-taken") and body["policy_id"] == "standard"
    assert (await service.client.put("/dunning/policies/standard", json=standard,
                                     headers=SUPERVISOR)).status_code == 200  # the holder itself may change it
    assert await service.scalar("SELECT count(*) FROM dunning_policies WHERE segment = 'standard'") == 1


async def test_a_bank_csv_with_bare_crs_is_read_and_a_broken_one_is_422(service: Service) -> None:
    mac = (HEADER + "\r" + "CR-1,2026-02-03,USD,10.00,CUST-9,,\r").encode()
    accepted = await service.client.post("/payment-imports?format=csv&legal_entity=US01", content=mac,
                                         headers={**ADMIN, "Content-Type": "application/octet-stream"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["total_lines"] == 1
    for broken, line in ((HEADER + "\nCR-2,2026-02-03,USD,10.00,CUST\r-9,,\n", 2),
                         (HEADER + "\nCR-3,2026-02-03,USD,10.00,CUST-9,,\nCR-4,2026-02-03,USD,1\x00,C,,\n", 3)):
        refused = await service.client.post("/payment-imports?format=csv&legal_entity=US01", content=broken.encode(),
                                            headers={**ADMIN, "Content-Type": "application/octet-stream"})
        assert problem(refused, 422)["errors"][0]["pointer"] == f"#/line/{line}"
    assert await service.scalar("SELECT count(*) FROM payment_imports") == 1
