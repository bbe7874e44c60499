"""Overdue escalation rules on a real database: rules as data, a run emitting balance.overdue_escalated once per
breach (a second run emits nothing), breaches cleared when no longer met and a later breach being a new one, the
background run of the service, and bad input."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import httpx

from o2c_cli.testing import Infra
from o2c_collections.main import create_app
from services.collections.tests.conftest import COLLECTOR, SUPERVISOR, Service, problem, settings_for

OVER_60 = {"name": "Over 60 days and 1,000", "min_days_past_due": 61, "min_overdue_amount": "1000.00",
           "severity": "P2"}
TWO_BROKEN = {"name": "Two broken promises", "min_broken_promises": 2, "severity": "P3"}


async def put_rules(service: Service) -> None:
    for rule_id, rule in (("over-60", OVER_60), ("two-broken", TWO_BROKEN)):
        response = await service.client.put(f"/overdue-escalation/rules/{rule_id}", json=rule, headers=SUPERVISOR)
        assert response.status_code == 200, response.text


async def run(service: Service, as_of: str) -> dict[str, int]:
    response = await service.client.post(f"/overdue-escalation/runs?as_of={as_of}", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def escalations(service: Service) -> list[dict[str, object]]:
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type = 'o2c.balance.overdue_escalated.v1' "
                              "ORDER BY id")
    return [json.loads(r[0]) for r in rows]


async def broken_promise(service: Service, customer: str) -> None:
    await service.execute(
        "INSERT INTO promises (id, legal_entity, customer_id, currency, amount, paid_amount, promised_date, "
        "invoice_ids, status, recorded_by, version, recorded_at, decided_on) VALUES (gen_random_uuid(), 'US01', "
        ":c, 'USD', 10, 0, '2026-01-15', '[]', 'broken', 'carl', 1, now(), '2026-01-20')", c=customer)


async def test_one_event_per_breach_and_a_second_run_emits_nothing(service: Service) -> None:
    await put_rules(service)
    old = await service.issue("E-1", "800.00", customer="LATE", due_date=date(2026, 1, 1))  # 90 days on 04-01
    await service.issue("E-2", "300.00", customer="LATE", due_date=date(2026, 1, 15))  # 76 days
    await service.issue("E-3", "5000.00", customer="LATE", due_date=date(2026, 3, 15))  # 17 days: not counted
    await service.issue("E-4", "900.00", customer="SMALL", due_date=date(2026, 1, 1))  # under the amount
    await service.issue("E-5", "50.00", customer="PROMISER", due_date=date(2026, 3, 1))
    for _ in range(2):
        await broken_promise(service, "PROMISER")
    await broken_promise(service, "SMALL")  # one is not two
    first = await run(service, "2026-04-01")
    assert (first["escalated"], first["already_open"], first["cleared"]) == (2, 0, 0)
    events = {e["rule_id"]: e for e in await escalations(service)}
    late, promiser = events["over-60"], events["two-broken"]
    assert (late["customer_id"], late["overdue_amount"], late["max_days_past_due"]) == ("LATE", "1100.00", 90)
    assert late["severity"] == "P2" and str(old) in late["invoice_ids"] and len(late["invoice_ids"]) == 2
    assert (promiser["customer_id"], promiser["broken_promises"], promiser["overdue_amount"]) == ("PROMISER", 2,
                                                                                                "50.00")
    second = await run(service, "2026-04-01")
    next_day = await run(service, "2026-04-02")
    assert (second["escalated"], second["already_open"]) == (0, 2) and next_day["escalated"] == 0
    assert len(await escalations(service)) == 2
    breaches = (await service.client.get("/overdue-escalation/breaches?status=open", headers=COLLECTOR)).json()
    assert {b["id"] for b in breaches["items"]} == {late["breach_id"], promiser["breach_id"]}


async def test_a_cleared_breach_met_again_is_a_new_breach(service: Service) -> None:
    await put_rules(service)
    invoice = await service.issue("E-6", "2000.00", customer="AGAIN", due_date=date(2026, 1, 1))
    assert (await run(service, "2026-04-01"))["escalated"] == 1
    disputed = await service.client.post("/disputes", json={"invoice_id": str(invoice), "reason": "pricing"},
                                         headers=COLLECTOR)
    assert disputed.status_code == 201, disputed.text
    assert (await run(service, "2026-04-02"))["cleared"] == 1  # the disputed amount is held: no longer met
    dispute = disputed.json()
    resolved = await service.client.post(f"/disputes/{dispute['id']}/resolution", headers={
        **COLLECTOR, "If-Match": disputed.headers["ETag"]}, json={"outcome": "customer_pays", "root_cause": "other"})
    assert resolved.status_code == 200, resolved.text
    assert (await run(service, "2026-04-03"))["escalated"] == 1
    ids = [e["breach_id"] for e in await escalations(service)]
    assert len(ids) == 2 and ids[0] != ids[1]


async def test_the_background_run_escalates(infra: Infra, service: Service) -> None:
    await put_rules(service)
    await service.issue("E-7", "1500.00", customer="BG", due_date=date(2020, 1, 1))
    settings = settings_for(service.db.url, infra, run_workers=True, escalation_interval_s=0.05)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://collections") as client:
        for _ in range(300):
            items = (await client.get("/overdue-escalation/breaches", headers=COLLECTOR)).json()["items"]
            if items:
                break
            await asyncio.sleep(0.05)
    assert [b["customer_id"] for b in items] == ["BG"]
    assert [e["customer_id"] for e in await escalations(service)] == ["BG"]


async def test_escalation_bad_input_and_tokens(service: Service) -> None:
    for method, url in (("GET", "/overdue-escalation/rules"), ("PUT", "/overdue-escalation/rules/x"),
                        ("POST", "/overdue-escalation/runs"), ("GET", "/overdue-escalation/breaches")):
        assert problem(await service.client.request(method, url), 401)
    assert problem(await service.client.put("/overdue-escalation/rules/x", json=OVER_60, headers=COLLECTOR), 403)
    assert problem(await service.client.post("/overdue-escalation/runs", headers=COLLECTOR), 403)
    for bad in ({"name": "no condition"}, {**OVER_60, "min_days_past_due": 0}, {**OVER_60, "severity": "P9"},
                {**OVER_60, "min_overdue_amount": "-5"}):
        assert problem(await service.client.put("/overdue-escalation/rules/x", json=bad, headers=SUPERVISOR), 422)
    assert problem(await service.client.post("/overdue-escalation/runs?as_of=x", headers=SUPERVISOR), 422)
    assert problem(await service.client.get("/overdue-escalation/breaches?status=gone", headers=SUPERVISOR), 422)
