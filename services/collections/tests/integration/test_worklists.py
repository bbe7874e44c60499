"""Collector worklists on a real database: ranking by overdue amount x days past due x risk (1 + the credit risk
score / 100), explained; held amounts left out, filters, cursor pages, and vendor agents confined to their team's
accounts."""

from __future__ import annotations

from datetime import date

from services.collections.tests.conftest import AGENT_A, AGENT_B, COLLECTOR, SUPERVISOR, VIEWER, Service, problem

AS_OF = "2026-04-01"


async def seed(service: Service) -> None:
    await service.execute("INSERT INTO accounts (customer_id, collector, owning_team) VALUES "
                          "('BIG', 'carl', 'vendor-a'), ('OLD', 'carl', 'vendor-a'), ('RISKY', 'cora', 'vendor-b')")
    await service.issue("W-1", "1000.00", customer="BIG", team="vendor-a", due_date=date(2026, 3, 22))  # 10 d
    await service.issue("W-2", "100.00", customer="OLD", team="vendor-a", due_date=date(2026, 1, 1))  # 90 d
    await service.issue("W-3", "100.00", customer="RISKY", team="vendor-b", due_date=date(2026, 1, 1))
    await service.issue("W-4", "500.00", customer="RISKY", team="vendor-b", due_date=date(2026, 5, 1))  # not due
    disputed = await service.issue("W-5", "400.00", customer="OLD", team="vendor-a", due_date=date(2026, 1, 1))
    response = await service.client.post("/disputes", json={"invoice_id": str(disputed), "reason": "pricing"},
                                         headers=COLLECTOR)
    assert response.status_code == 201, response.text
    await service.execute("INSERT INTO promises (id, legal_entity, customer_id, owning_team, currency, amount, "
                          "paid_amount, promised_date, invoice_ids, status, recorded_by, version, recorded_at) "
                          "VALUES (gen_random_uuid(), 'US01', 'RISKY', 'vendor-b', 'USD', 10, 0, '2026-02-01', "
                          "'[]', 'broken', 'carl', 1, now())")


async def worklist(service: Service, query: str = "", headers: dict[str, str] = SUPERVISOR) -> list[dict[str, str]]:
    response = await service.client.get(f"/worklists?as_of={AS_OF}{query}", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_accounts_ranked_by_amount_days_and_risk(service: Service) -> None:
    await seed(service)
    rows = await worklist(service)
    # scores as of 04-01: RISKY 90 days late on average (40) + a broken promise (10) = 50 -> weight 1.50;
    # OLD 90 days late (40; its dispute, opened today, is after the as-of date, and its 400 is held, not counted)
    # -> 1.40; BIG 10 days late -> 7 -> 1.07
    # RISKY 100 x 90 x 1.50 = 13,500 > OLD 100 x 90 x 1.40 = 12,600 > BIG 1000 x 10 x 1.07 = 10,700
    assert [(r["customer_id"], r["overdue_amount"], r["risk_score"], r["risk_weight"], r["priority"])
            for r in rows] == [("RISKY", "100.00", 50, "1.50", "13500.00"), ("OLD", "100.00", 40, "1.40", "12600.00"),
                               ("BIG", "1000.00", 7, "1.07", "10700.00")]
    assert rows[0]["broken_promises"] == 1 and rows[0]["bucket"] == "61-90" and rows[0]["max_days_past_due"] == 90
    assert {f["factor"]: f["points"] for f in rows[0]["risk_factors"]} == {
        "average_days_late": 40, "days_late_trend": 0, "broken_promises": 10, "disputes": 0}
    assert rows[0]["explanation"] == ("100.00 USD overdue x 90 days past due x risk 1.50 (1 + score 50/100: "
                                      "average_days_late 40, broken_promises 10) = 13500.00")
    profile = (await service.client.get(f"/credit/RISKY?as_of={AS_OF}", headers=SUPERVISOR)).json()
    assert profile["risk_score"] == rows[0]["risk_score"]  # one score, as the credit profile shows it
    assert [r["customer_id"] for r in await worklist(service, "&collector=carl")] == ["OLD", "BIG"]
    assert [r["customer_id"] for r in await worklist(service, "&team=vendor-b")] == ["RISKY"]
    assert [r["customer_id"] for r in await worklist(service, "&min_overdue=500")] == ["BIG"]
    assert [r["customer_id"] for r in await worklist(service, "&bucket=1-30")] == ["BIG"]
    assert await worklist(service, "&currency=EUR") == [] and await worklist(service, "&entity=DE01") == []
    first = await service.client.get(f"/worklists?as_of={AS_OF}&limit=2", headers=COLLECTOR)
    cursor = first.json()["next_cursor"]
    rest = await service.client.get(f"/worklists?as_of={AS_OF}&limit=2&cursor={cursor}", headers=COLLECTOR)
    assert [r["customer_id"] for r in first.json()["items"] + rest.json()["items"]] == ["RISKY", "OLD", "BIG"]
    assert rest.json()["next_cursor"] is None


async def test_vendor_agents_see_only_their_teams_accounts(service: Service) -> None:
    await seed(service)
    assert [r["customer_id"] for r in await worklist(service, headers=AGENT_A)] == ["OLD", "BIG"]
    assert [r["customer_id"] for r in await worklist(service, headers=AGENT_B)] == ["RISKY"]
    assert [r["customer_id"] for r in await worklist(service, "&team=vendor-a", AGENT_A)] == ["OLD", "BIG"]
    assert problem(await service.client.get(f"/worklists?as_of={AS_OF}&team=vendor-b", headers=AGENT_A), 403)


async def test_worklists_bad_input_and_tokens(service: Service) -> None:
    assert problem(await service.client.get("/worklists"), 401)
    assert problem(await service.client.get("/worklists", headers=VIEWER), 403)
    for query in ("as_of=soon", "bucket=0-5", "min_overdue=-1", "currency=usd", "cursor=nonsense", "limit=0"):
        assert problem(await service.client.get(f"/worklists?{query}", headers=SUPERVISOR), 422), query
