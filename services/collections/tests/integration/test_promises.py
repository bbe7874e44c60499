"""Promise-to-pay on a real database: recorded, kept from cash applied, broken when the date passes (with the
customer's broken count), decided by the API check and by the background check of the running service."""

from __future__ import annotations

import asyncio
import json

import httpx

from o2c_cli.testing import Infra
from o2c_collections.main import create_app
from services.collections.tests.conftest import AGENT_B, COLLECTOR, SUPERVISOR, Service, problem, settings_for


async def promise(service: Service, amount: str, promised_date: str, customer: str = "CUST-1") -> dict[str, str]:
    response = await service.client.post("/promises", headers=COLLECTOR, json={
        "legal_entity": "US01", "customer_id": customer, "currency": "USD", "amount": amount,
        "promised_date": promised_date})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_kept_from_cash_applied_and_broken_when_the_date_passes(service: Service) -> None:
    await service.issue("INV-T1", "500.00")
    await service.issue("INV-T2", "700.00")
    kept = await promise(service, "500.00", "2026-02-05")
    first_broken = await promise(service, "700.00", "2026-02-10")
    await service.pay("700.00", remittance=[{"reference": "INV-T2"}])  # 2026-02-01: oldest promise first
    early = await service.client.post("/promises/check?as_of=2026-02-03", headers=SUPERVISOR)
    assert early.json() == {"as_of": "2026-02-03", "kept": 1, "broken": 0}
    second = await promise(service, "100.00", "2026-02-20")
    late = await service.client.post("/promises/check?as_of=2026-03-01", headers=SUPERVISOR)
    assert late.json()["broken"] == 2 and late.json()["kept"] == 0
    again = await service.client.post("/promises/check?as_of=2026-03-01", headers=SUPERVISOR)
    assert again.json() == {"as_of": "2026-03-01", "kept": 0, "broken": 0}
    statuses = {p["id"]: (p["status"], p["paid_amount"])
                for p in (await service.client.get("/promises", headers=COLLECTOR)).json()["items"]}
    assert statuses == {kept["id"]: ("kept", "500.00"), first_broken["id"]: ("broken", "200.00"),
                        second["id"]: ("broken", "0.00")}
    types = await service.outbox_types()
    assert types.count("promise_to_pay.recorded") == 3 and types.count("promise_to_pay.kept") == 1
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type = 'o2c.promise_to_pay.broken.v1' "
                              "ORDER BY id")
    assert sorted(json.loads(r[0])["broken_count"] for r in rows) == [1, 2]


async def test_the_background_check_decides_due_promises(infra: Infra, service: Service) -> None:
    await service.issue("INV-L1", "10.00", customer="LATE")
    await promise(service, "10.00", "2020-01-01", customer="LATE")
    settings = settings_for(service.db.url, infra, run_workers=True, promise_check_interval_s=0.05)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://collections") as client:
        for _ in range(300):
            items = (await client.get("/promises?status=broken", headers=COLLECTOR)).json()["items"]
            if items:
                break
            await asyncio.sleep(0.05)
    assert [p["customer_id"] for p in items] == ["LATE"]


async def test_promises_bad_input_access_and_tokens(service: Service) -> None:
    for method, url in (("GET", "/promises"), ("POST", "/promises"), ("POST", "/promises/check")):
        assert problem(await service.client.request(method, url), 401)
    assert problem(await service.client.post("/promises/check", headers=COLLECTOR), 403)
    bad = {"legal_entity": "US01", "customer_id": "C", "currency": "usd", "amount": 5.5, "promised_date": "soon"}
    errors = problem(await service.client.post("/promises", json=bad, headers=COLLECTOR), 422)["errors"]
    assert {e["pointer"] for e in errors} >= {"#/currency", "#/amount", "#/promised_date"}
    await service.execute("INSERT INTO accounts (customer_id, owning_team) VALUES ('CA', 'vendor-a')")
    denied = await service.client.post("/promises", headers=AGENT_B, json={
        "legal_entity": "US01", "customer_id": "CA", "currency": "USD", "amount": "5.00",
        "promised_date": "2026-05-01"})
    assert problem(denied, 403)
    await service.issue("INV-CA", "5.00", customer="CA")
    await promise(service, "5.00", "2026-05-01", customer="CA")
    assert (await service.client.get("/promises", headers=AGENT_B)).json()["items"] == []
