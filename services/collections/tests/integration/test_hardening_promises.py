"""Issue 13 item 15: a promise to pay is bounded. Its amount leaves dunning while it is open, so it may not exceed
what is open (of the invoices it names, or of the customer in its currency), and its date may not lie years ahead
(9999-12-31 kept the amount out of dunning for ever)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.collections.tests.conftest import COLLECTOR, Service, problem


async def promise(service: Service, **fields: Any) -> Any:
    body = {"legal_entity": "US01", "customer_id": "CUST-1", "currency": "USD", "amount": "100.00",
            "promised_date": "2026-02-10", **fields}
    return await service.client.post("/promises", headers=COLLECTOR, json=body)


async def test_the_amount_may_not_exceed_what_is_open(service: Service) -> None:
    first = await service.issue("INV-P1", "300.00")
    await service.issue("INV-P2", "200.00")
    await service.issue("INV-P3", "999.00", currency="EUR")
    assert (await promise(service, amount="500.00")).status_code == 201
    body = problem(await promise(service, amount="500.01"), 422)
    assert body["type"].endswith("promise-out-of-bounds")
    assert body["errors"] == [{"pointer": "#/amount",
                               "detail": "500.01 USD is more than is open for CUST-1 in USD: 500.00 USD"}]
    body = problem(await promise(service, amount="300.01", invoice_ids=[str(first)]), 422)
    assert body["errors"][0]["detail"] == "300.01 USD is more than is open for the invoices named: 300.00 USD"
    assert problem(await promise(service, customer_id="NOBODY", amount="1.00"), 422)["errors"][0]["pointer"] == (
        "#/amount")


async def test_named_invoices_must_be_the_customers_open_ones(service: Service) -> None:
    other = await service.issue("INV-P9", "100.00", customer="CUST-2")
    body = problem(await promise(service, amount="1.00", invoice_ids=[str(other)]), 422)
    assert body["errors"] == [{"pointer": "#/invoice_ids",
                               "detail": "1 of the invoices named are not open receivables of CUST-1 in USD"}]


async def test_the_date_is_bounded(service: Service) -> None:
    await service.issue("INV-P4", "100.00")
    latest = (datetime.now(UTC) + timedelta(days=180)).date()
    assert (await promise(service, promised_date=latest.isoformat())).status_code == 201
    body = problem(await promise(service, promised_date="2999-12-31"), 422)
    assert body["errors"][0]["pointer"] == "#/promised_date"
    assert "at most 180 days ahead" in body["errors"][0]["detail"]
    # past the dates any service computes with, the edge refuses it first (o2c_common.http.dates)
    assert problem(await promise(service, promised_date="9999-12-31"), 422)["errors"][0]["pointer"] == (
        "#/promised_date")
    assert problem(await promise(service, promised_date="0001-01-01"), 422)["errors"][0]["pointer"] == (
        "#/promised_date")
