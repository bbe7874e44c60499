"""Credit risk and holds on a real database: the score from payment history (average days late and its trend,
broken promises, disputes) with its factors, the credit limit against exposure, holds placed and released with
events, audited, guarded by If-Match; vendor agents read their team's accounts only."""

from __future__ import annotations

import json
from datetime import date

from services.collections.tests.conftest import AGENT_A, AGENT_B, COLLECTOR, SUPERVISOR, VIEWER, Service, problem


async def history(service: Service) -> None:
    """Paid 10, 10 days late long ago; 50 days late recently and 30 days overdue now (as of 04-01)."""
    for number, due, paid in (("C-1", date(2025, 9, 1), "2025-09-11"), ("C-2", date(2025, 10, 1), "2025-10-11"),
                              ("C-3", date(2026, 2, 1), "2026-03-23")):
        await service.issue(number, "100.00", customer="CR", issue_date=date(2025, 8, 1), due_date=due)
        await service.pay("100.00", customer="CR", remittance=[{"reference": number}], value_date=paid)
    open_item = await service.issue("C-4", "100.00", customer="CR", issue_date=date(2026, 2, 1),
                                    due_date=date(2026, 3, 2))
    promised = await service.client.post("/promises", headers=COLLECTOR, json={
        "legal_entity": "US01", "customer_id": "CR", "currency": "USD", "amount": "10.00",
        "promised_date": "2026-03-10"})
    assert promised.status_code == 201, promised.text
    assert (await service.client.post("/promises/check?as_of=2026-03-20", headers=SUPERVISOR)).json()["broken"] == 1
    disputed = await service.client.post("/disputes", headers=COLLECTOR, json={
        "invoice_id": str(open_item), "amount": "20.00", "reason": "pricing", "opened_date": "2026-03-15"})
    assert disputed.status_code == 201, disputed.text


async def test_score_shows_its_factors(service: Service) -> None:
    await history(service)
    response = await service.client.get("/credit/CR?as_of=2026-04-01", headers=COLLECTOR)
    assert response.status_code == 200, response.text
    body = response.json()
    factors = {f["factor"]: (f["value"], f["points"]) for f in body["factors"]}
    # average (10+10+50+30)/4 = 25 days -> 17 of 40; recent 40 vs earlier 10 -> +30 -> 20 of 20;
    # one broken promise 10; one dispute 5
    assert factors == {"average_days_late": ("25.0", 17), "days_late_trend": ("30.0", 20),
                       "broken_promises": ("1", 10), "disputes": ("1", 5)}
    assert body["risk_score"] == 52 and body["exposure"] == "100.00" and body["credit_limit"] is None
    early = (await service.client.get("/credit/CR?as_of=2025-12-01", headers=COLLECTOR)).json()
    assert {f["factor"]: f["points"] for f in early["factors"]}["average_days_late"] == 7  # 10 days -> 6.7
    assert problem(await service.client.get("/credit/NOBODY", headers=COLLECTOR), 404)


async def test_limit_and_hold_placed_and_released_with_events(service: Service) -> None:
    await service.issue("C-9", "800.00", customer="HOLD")
    etag = (await service.client.get("/credit/HOLD", headers=COLLECTOR)).headers["ETag"]
    limit = {"credit_limit": "500.00", "currency": "USD"}
    assert problem(await service.client.put("/credit/HOLD/limit", json=limit, headers=SUPERVISOR), 428)
    assert problem(await service.client.put("/credit/HOLD/limit", json=limit, headers=COLLECTOR), 403)
    response = await service.client.put("/credit/HOLD/limit", json=limit, headers={**SUPERVISOR, "If-Match": etag})
    assert response.status_code == 200, response.text
    assert (response.json()["available"], response.json()["over_limit"]) == ("-300.00", True)
    stale = await service.client.post("/credit/HOLD/hold", json={"reason": "over_credit_limit"},
                                      headers={**COLLECTOR, "If-Match": etag})
    assert problem(stale, 412)
    etag = response.headers["ETag"]
    placed = await service.client.post("/credit/HOLD/hold", json={"reason": "over_credit_limit"},
                                       headers={**COLLECTOR, "If-Match": etag})
    assert placed.status_code == 200, placed.text
    assert placed.json()["on_hold"] and placed.json()["hold_reason"] == "over_credit_limit"
    again = await service.client.post("/credit/HOLD/hold", json={},
                                      headers={**COLLECTOR, "If-Match": placed.headers["ETag"]})
    assert problem(again, 409)["type"].endswith("already-on-hold")
    released = await service.client.post("/credit/HOLD/hold/release", json={"reason": "paid_down"},
                                         headers={**COLLECTOR, "If-Match": placed.headers["ETag"]})
    assert released.status_code == 200 and not released.json()["on_hold"]
    not_held = await service.client.post("/credit/HOLD/hold/release", json={},
                                         headers={**COLLECTOR, "If-Match": released.headers["ETag"]})
    assert problem(not_held, 409)
    rows = await service.rows("SELECT event_type, payload FROM outbox WHERE event_type LIKE 'o2c.credit.%' ORDER BY id")
    events = [(t.removeprefix("o2c.").removesuffix(".v1"), json.loads(p)) for t, p in rows]
    assert [t for t, _ in events] == ["credit.hold_placed", "credit.hold_released"]
    assert events[0][1]["hold_id"] == events[1][1]["hold_id"] and events[0][1]["exposure"] == "800.00"
    assert events[0][1]["credit_limit"] == "500.00" and events[0][1]["placed_by"] == "carl"
    audits = await service.rows("SELECT action FROM audit_log WHERE entity_id = 'HOLD' ORDER BY id")
    assert [a[0] for a in audits] == ["credit.limit_set", "credit.hold_placed", "credit.hold_released"]


async def test_credit_bad_input_access_and_tokens(service: Service) -> None:
    await service.execute("INSERT INTO accounts (customer_id, owning_team) VALUES ('TA', 'vendor-a')")
    assert (await service.client.get("/credit/TA", headers=AGENT_A)).status_code == 200
    assert problem(await service.client.get("/credit/TA", headers=AGENT_B), 403)
    assert problem(await service.client.post("/credit/TA/hold", json={}, headers=AGENT_A), 403)
    for method, url in (("GET", "/credit/TA"), ("PUT", "/credit/TA/limit"), ("POST", "/credit/TA/hold"),
                        ("POST", "/credit/TA/hold/release")):
        assert problem(await service.client.request(method, url), 401)
    assert problem(await service.client.get("/credit/TA", headers=VIEWER), 403)
    assert problem(await service.client.get("/credit/TA?as_of=soon", headers=COLLECTOR), 422)
    bad = {"credit_limit": "-1", "currency": "usd"}
    assert problem(await service.client.put("/credit/TA/limit", json=bad, headers={**SUPERVISOR, "If-Match": "*"}), 422)
    assert problem(await service.client.post("/credit/TA/hold", json={"reason": "whim"},
                                             headers={**COLLECTOR, "If-Match": "*"}), 422)
    etag = (await service.client.get("/credit/TA", headers=COLLECTOR)).headers["ETag"]
    no_entity = await service.client.post("/credit/TA/hold", json={}, headers={**COLLECTOR, "If-Match": etag})
    assert problem(no_entity, 422)
