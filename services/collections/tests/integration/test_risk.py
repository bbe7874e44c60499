"""Payment risk on a real database: a supervisor trains the late-payment model from the ledger's settled invoices
(stored with its metrics, audited); each open invoice then has a prediction (GET /risk/invoices/{id}) that ranks the
collector worklist and appears among the credit risk factors."""

from __future__ import annotations

from datetime import date, timedelta

from services.collections.tests.conftest import AGENT_B, COLLECTOR, SUPERVISOR, Service, problem

AS_OF = "2026-04-01"


async def _settle(service: Service, number: str, customer: str, team: str, issued: date, late_days: int) -> None:
    due = issued + timedelta(days=30)
    await service.issue(number, "100.00", customer=customer, team=team, issue_date=issued, due_date=due)
    await service.pay("100.00", customer=customer, remittance=[{"reference": number}],
                      value_date=(due + timedelta(days=late_days)).isoformat())


async def seed(service: Service) -> dict[str, str]:
    """SLOW paid each of 10 quarterly invoices 40 days late, PROMPT on time; each has one open invoice 31 days past
    due, of the same amount: the same priority but for the risk."""
    for i in range(10):
        issued = date(2023, 1, 1) + timedelta(days=90 * i)
        await _settle(service, f"S-{i}", "SLOW", "vendor-a", issued, 40)
        await _settle(service, f"P-{i}", "PROMPT", "vendor-a", issued, 0)
    slow = await service.issue("S-OPEN", "500.00", customer="SLOW", team="vendor-a",
                               issue_date=date(2026, 1, 1), due_date=date(2026, 3, 1))
    prompt = await service.issue("P-OPEN", "500.00", customer="PROMPT", team="vendor-a",
                                 issue_date=date(2026, 1, 1), due_date=date(2026, 3, 1))
    return {"slow": str(slow), "prompt": str(prompt)}


async def test_trained_from_the_ledger_predicts_and_ranks_the_worklist(service: Service) -> None:
    ids = await seed(service)
    assert problem(await service.client.get(f"/risk/invoices/{ids['slow']}", headers=COLLECTOR), 409)[
        "type"].endswith("no-risk-model")
    before = (await service.client.get(f"/worklists?as_of={AS_OF}", headers=COLLECTOR)).json()["items"]
    assert all(r["late_probability"] is None for r in before)
    assert "predicted_late_payment" not in {f["factor"] for r in before for f in r["risk_factors"]}

    trained = await service.client.post("/risk/model/training", json={"as_of": AS_OF}, headers=SUPERVISOR)
    assert trained.status_code == 201, trained.text
    model = trained.json()
    assert model["trained_on"] == 20 and model["late_share"] == "0.500" and model["trained_by"] == "sue"
    assert [c["feature"] for c in model["coefficients"]][:2] == ["late_share", "mean_days_late"]
    assert float(model["auc"]) >= 0.9 and model["holdout_auc"] == "1.000"  # the last fifth ranked by a fit on the rest
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action = 'risk.model_trained'") == 1
    assert (await service.client.get("/risk/model", headers=COLLECTOR)).json()["id"] == model["id"]

    slow = (await service.client.get(f"/risk/invoices/{ids['slow']}?as_of={AS_OF}", headers=COLLECTOR)).json()
    prompt = (await service.client.get(f"/risk/invoices/{ids['prompt']}?as_of={AS_OF}", headers=COLLECTOR)).json()
    assert float(slow["late_probability"]) > 0.7 > 0.3 > float(prompt["late_probability"])
    assert float(slow["expected_days_late"]) > 20 > 5 > float(prompt["expected_days_late"])
    assert slow["model_id"] == model["id"] and slow["features"]["late_share"] == "0.885"  # (10 + 3 x 0.5) / 13

    rows = (await service.client.get(f"/worklists?as_of={AS_OF}", headers=COLLECTOR)).json()["items"]
    assert [(r["customer_id"], r["late_probability"]) for r in rows] == [
        ("SLOW", slow["late_probability"]), ("PROMPT", prompt["late_probability"])]
    factor = next(f for f in rows[0]["risk_factors"] if f["factor"] == "predicted_late_payment")
    assert factor["value"] == slow["late_probability"] and factor["points"] > 10 and "S-OPEN" in factor["explanation"]
    credit = (await service.client.get(f"/credit/SLOW?as_of={AS_OF}", headers=COLLECTOR)).json()
    assert credit["risk_score"] == rows[0]["risk_score"]


async def test_risk_permissions_and_bad_input(service: Service) -> None:
    ids = await seed(service)
    assert (await service.client.post("/risk/model/training", json={}, headers=COLLECTOR)).status_code == 403
    few = await service.client.post("/risk/model/training", json={"as_of": "2024-06-01"}, headers=SUPERVISOR)
    assert "a model needs at least 20" in problem(few, 422)["detail"]
    assert problem(await service.client.post("/risk/model/training", json={"as_of": "soon"}, headers=SUPERVISOR),
                   422)
    assert (await service.client.post("/risk/model/training", json={}, headers=SUPERVISOR)).status_code == 201
    unknown = "00000000-0000-0000-0000-000000000000"
    assert problem(await service.client.get(f"/risk/invoices/{unknown}", headers=COLLECTOR), 404)
    assert problem(await service.client.get(f"/risk/invoices/{ids['slow']}", headers=AGENT_B), 403)
    closed = await service.scalar("SELECT invoice_id FROM open_items WHERE invoice_number = 'S-0'")
    assert problem(await service.client.get(f"/risk/invoices/{closed}", headers=COLLECTOR), 422)
