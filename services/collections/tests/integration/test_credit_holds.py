"""Automatic credit holds on a real database: rules as data (over the credit limit, a risk score at or above a
threshold) place holds and release the holds they placed, with events; a second run changes nothing; holds placed
by people stay; bad input writes nothing."""

from __future__ import annotations

import json
from datetime import date

from services.collections.tests.conftest import COLLECTOR, SUPERVISOR, Service, problem

LATER = date(2026, 5, 1)  # not yet due as of 04-01: no days late, a score of 0


async def run(service: Service) -> dict[str, int]:
    response = await service.client.post("/credit-holds/runs?as_of=2026-04-01", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    return {k: v for k, v in response.json().items() if k != "as_of"}


async def events(service: Service) -> list[tuple[str, dict[str, str]]]:
    rows = await service.rows("SELECT event_type, payload FROM outbox WHERE event_type LIKE 'o2c.credit.%' ORDER BY id")
    return [(t.removeprefix("o2c.credit.").removesuffix(".v1"), json.loads(p)) for t, p in rows]


async def test_rules_place_and_release_holds_once(service: Service) -> None:
    for rule_id, rule in (("over-limit", {"name": "over the limit", "over_limit": True}),
                          ("risk-40", {"name": "score 40 or worse", "min_risk_score": 40})):
        response = await service.client.put(f"/credit-holds/rules/{rule_id}", json=rule, headers=SUPERVISOR)
        assert response.status_code == 200, response.text
    await service.issue("L-1", "800.00", customer="LIM", due_date=LATER)
    await service.issue("K-1", "800.00", customer="OK", due_date=LATER)
    await service.issue("R-1", "100.00", customer="RISK", due_date=date(2026, 1, 1))  # 90 days late: score 40
    await service.issue("M-1", "100.00", customer="MAN", due_date=LATER)
    await service.execute("INSERT INTO accounts (customer_id, credit_limit, credit_currency) VALUES "
                          "('LIM', 500, 'USD'), ('OK', 1000, 'USD')")
    await service.execute("INSERT INTO accounts (customer_id, on_hold, hold_id, hold_reason, hold_placed_at) "
                          "VALUES ('MAN', true, gen_random_uuid(), 'manual', now())")  # a person's hold

    assert await run(service) == {"evaluated": 4, "placed": 2, "released": 0, "unchanged_on_hold": 1}
    held = dict(await service.rows("SELECT customer_id, hold_rule_id FROM accounts WHERE on_hold ORDER BY 1"))
    assert held == {"LIM": "over-limit", "MAN": None, "RISK": "risk-40"}
    placed = await events(service)
    assert [(t, p["customer_id"], p["reason"]) for t, p in placed] == [
        ("hold_placed", "LIM", "over_credit_limit"), ("hold_placed", "RISK", "risk_score")]
    assert placed[0][1]["exposure"] == "800.00" and placed[1][1]["risk_score"] == 40
    assert placed[0][1]["placed_by"] == "system:credit-hold-rules"

    assert await run(service) == {"evaluated": 4, "placed": 0, "released": 0, "unchanged_on_hold": 3}
    assert len(await events(service)) == 2  # idempotent: nothing emitted twice

    await service.pay("400.00", customer="LIM", remittance=[{"reference": "L-1", "amount": "400.00"}])  # 400 < 500
    assert await run(service) == {"evaluated": 4, "placed": 0, "released": 1, "unchanged_on_hold": 2}
    released = (await events(service))[2]
    assert (released[0], released[1]["customer_id"], released[1]["reason"]) == ("hold_released", "LIM", "paid_down")
    assert released[1]["hold_id"] == placed[0][1]["hold_id"]
    held = dict(await service.rows("SELECT customer_id, hold_rule_id FROM accounts WHERE on_hold ORDER BY 1"))
    assert held == {"MAN": None, "RISK": "risk-40"}  # the person's hold is never released by the rules
    audits = await service.rows("SELECT action, actor FROM audit_log WHERE entity_type = 'account' ORDER BY id")
    assert [a for a, _ in audits] == ["credit.hold_placed", "credit.hold_placed", "credit.hold_released"]
    listed = (await service.client.get("/credit-holds/rules", headers=COLLECTOR)).json()
    assert [r["id"] for r in listed] == ["over-limit", "risk-40"]


async def test_hold_rules_bad_input_and_roles_write_nothing(service: Service) -> None:
    for body in ({"name": "no condition"}, {"name": "x", "min_risk_score": 101}, {"name": "", "over_limit": True},
                 {"name": "x", "over_limit": True, "colour": "red"}):
        assert problem(await service.client.put("/credit-holds/rules/r1", json=body, headers=SUPERVISOR), 422)
    assert problem(await service.client.put("/credit-holds/rules/bad%20id", json={"name": "x", "over_limit": True},
                                            headers=SUPERVISOR), 422)
    assert problem(await service.client.put("/credit-holds/rules/r1", json={"name": "x", "over_limit": True},
                                            headers=COLLECTOR), 403)
    assert problem(await service.client.post("/credit-holds/runs", headers=COLLECTOR), 403)
    assert problem(await service.client.post("/credit-holds/runs?as_of=soon", headers=SUPERVISOR), 422)
    for method, url in (("GET", "/credit-holds/rules"), ("PUT", "/credit-holds/rules/r1"),
                        ("POST", "/credit-holds/runs")):
        assert problem(await service.client.request(method, url), 401)
    for table in ("credit_hold_rules", "audit_log", "outbox"):
        assert await service.scalar(f"SELECT count(*) FROM {table}") == 0, table
