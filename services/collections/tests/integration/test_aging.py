"""Aging as of any date from the kept movements, with configurable buckets and team isolation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.collections.tests.conftest import AGENT_B, COLLECTOR, Service, problem


async def test_aging_as_of_past_dates_and_buckets(service: Service) -> None:
    await service.issue("INV-A", "100.00", due_date=date(2026, 1, 31))
    await service.issue("INV-B", "50.00", customer="CUST-2", due_date=date(2026, 3, 1))
    await service.pay("100.00", remittance=[{"reference": "INV-A"}], value_date="2026-04-15")
    march = (await service.client.get("/aging?as_of=2026-03-15&by=customer", headers=COLLECTOR)).json()
    assert [(r["key"], r["buckets"]["31-60"], r["buckets"]["1-30"], r["total"]) for r in march["items"]] == [
        ("CUST-1", "100.00", "0.00", "100.00"), ("CUST-2", "0.00", "50.00", "50.00")]
    assert march["next_cursor"] is None
    assert [(t["key"], t["buckets"]["31-60"], t["buckets"]["1-30"], t["total"]) for t in march["totals"]] == [
        ("USD", "100.00", "50.00", "150.00")]
    april = (await service.client.get("/aging?as_of=2026-04-30&by=currency&buckets=15,45", headers=COLLECTOR)).json()
    assert april["items"] == april["totals"] == [
        {"key": "USD", "currency": "USD", "as_of": "2026-04-30", "total": "50.00",
         "buckets": {"current": "0.00", "1-15": "0.00", "16-45": "0.00", ">45": "50.00"}}]
    january = (await service.client.get("/aging?as_of=2026-01-15&by=entity", headers=COLLECTOR)).json()
    assert january["items"][0]["buckets"]["current"] == "150.00"
    assert (await service.client.get("/aging?as_of=2025-12-31", headers=COLLECTOR)).json() == {
        "items": [], "next_cursor": None, "totals": []}
    assert (await service.client.get("/aging?as_of=2026-03-15", headers=AGENT_B)).json()["items"] == []
    assert problem(await service.client.get("/aging?as_of=2026-03-15&buckets=60,30", headers=COLLECTOR), 422)
    assert problem(await service.client.get("/aging?as_of=someday", headers=COLLECTOR), 422)
    assert problem(await service.client.get("/aging?as_of=2026-03-15"), 401)


async def test_aging_and_balances_without_a_date_are_as_of_today(service: Service) -> None:
    await service.issue("INV-A", "100.00", due_date=date(2026, 1, 31))
    await service.issue("INV-B", "50.00", customer="CUST-2", due_date=date(2026, 3, 1))
    await service.pay("100.00", remittance=[{"reference": "INV-A"}], value_date="2026-04-15")
    before = datetime.now(UTC).date().isoformat()
    aging = (await service.client.get("/aging", headers=COLLECTOR)).json()
    balances = (await service.client.get("/balances", headers=COLLECTOR)).json()
    today = {before, datetime.now(UTC).date().isoformat()}
    assert [(r["key"], r["as_of"] in today, r["total"]) for r in aging["items"]] == [("CUST-2", True, "50.00")]
    assert [(b["key"], b["as_of"] in today, b["open_amount"]) for b in balances["items"]] == [
        ("CUST-2", True, "50.00")]


async def test_aging_pages_by_customer_with_totals_on_the_first(service: Service) -> None:
    for n in range(5):
        await service.issue(f"INV-P{n}", f"{n + 1}.00", customer=f"CUST-{n}", team="team-a")
    await service.issue("INV-T", "10.00", customer="CUST-2", due_date=date(2026, 3, 31))
    seen, cursor, pages = [], "", 0
    while cursor is not None:
        body = (await service.client.get(f"/aging?as_of=2026-03-15&limit=2{cursor}", headers=COLLECTOR)).json()
        assert (body["totals"] is not None) == (pages == 0)
        seen += [(r["key"], r["total"]) for r in body["items"]]
        cursor = body["next_cursor"] and f"&cursor={body['next_cursor']}"
        pages += 1
    assert pages == 3
    assert seen == [("CUST-0", "1.00"), ("CUST-1", "2.00"), ("CUST-2", "13.00"), ("CUST-3", "4.00"),
                    ("CUST-4", "5.00")]
    teams = (await service.client.get("/aging?as_of=2026-03-15&by=team", headers=COLLECTOR)).json()["items"]
    assert [(r["key"], r["total"]) for r in teams] == [(None, "10.00"), ("team-a", "15.00")]
    assert problem(await service.client.get("/aging?as_of=2026-03-15&cursor=nonsense", headers=COLLECTOR), 422)
    assert problem(await service.client.get("/aging?as_of=2026-03-15&limit=0", headers=COLLECTOR), 422)
