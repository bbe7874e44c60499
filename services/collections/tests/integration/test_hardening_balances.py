"""Issue 13 item 15: `/balances` is paged like every list (`limit`, `next_cursor`), in key then currency order, so
a ledger with many customers or invoices is never read whole into one answer."""

from __future__ import annotations

from typing import Any

from services.collections.tests.conftest import SUPERVISOR, Service, problem


async def pages(service: Service, query: str) -> list[list[tuple[Any, str, str]]]:
    out, cursor = [], None
    while True:
        url = f"/balances?{query}" + (f"&cursor={cursor}" if cursor else "")
        response = await service.client.get(url, headers=SUPERVISOR)
        assert response.status_code == 200, response.text
        body = response.json()
        out.append([(b["key"], b["currency"], b["open_amount"]) for b in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


async def test_balances_come_a_page_at_a_time_in_key_order(service: Service) -> None:
    for i, customer in enumerate(("C-5", "C-1", "C-4", "C-2", "C-3")):
        await service.issue(f"INV-B{i}", f"{i + 1}00.00", customer=customer)
    await service.issue("INV-BE", "50.00", customer="C-1", currency="EUR")
    assert await pages(service, "as_of=2026-12-31&by=customer&limit=2") == [
        [("C-1", "EUR", "50.00"), ("C-1", "USD", "200.00")],
        [("C-2", "USD", "400.00"), ("C-3", "USD", "500.00")],
        [("C-4", "USD", "300.00"), ("C-5", "USD", "100.00")]]
    problem(await service.client.get("/balances?as_of=2026-12-31&limit=201", headers=SUPERVISOR), 422)
    problem(await service.client.get("/balances?as_of=2026-12-31&cursor=nonsense", headers=SUPERVISOR), 422)


async def test_a_key_without_value_pages_too(service: Service) -> None:
    await service.issue("INV-T1", "10.00", customer="C-1", team="vendor-a")
    await service.issue("INV-T2", "20.00", customer="C-2")
    await service.issue("INV-T3", "30.00", customer="C-3", team="vendor-b")
    assert await pages(service, "as_of=2026-12-31&by=team&limit=1") == [
        [(None, "USD", "20.00")], [("vendor-a", "USD", "10.00")], [("vendor-b", "USD", "30.00")]]
