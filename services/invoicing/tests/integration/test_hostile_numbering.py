"""Issue 13 item 11 (numbering): a historical import cannot take a number of the live series, so issuing after it
neither fails nor reuses a number."""

from __future__ import annotations

from datetime import date
from importlib import import_module

import pytest

from services.invoicing.tests.conftest import INTEGRATION, Service, problem

pytestmark = pytest.mark.integration

YEAR = date.today().year


def historical(number: str) -> dict[str, object]:
    return {"legal_entity": "US01", "customer_id": "CUST-1", "currency": "USD", "number": number,
            "issue_date": f"{YEAR}-01-02", "due_date": f"{YEAR}-02-01",
            "lines": [{"description": "Historical invoice", "quantity": "1", "unit_price": "55.94"}]}


async def test_a_historical_number_of_the_live_series_is_refused_and_issue_goes_on(service: Service) -> None:
    first = await service.issued()
    assert first["number"] == f"US01-{YEAR}-000001"
    before = await service.counts()
    for number in (f"US01-{YEAR}-000002", f"US01-{YEAR + 1}-000001", f"US01-{YEAR}-1000000"):
        body = problem(await service.client.post("/invoices/historical", json=historical(number),
                                                 headers=INTEGRATION), 422)
        assert body["type"].endswith("/historical-number-in-live-series") and number in body["detail"]
    assert await service.counts() == before
    second = await service.issued()
    assert second["number"] == f"US01-{YEAR}-000002"


@pytest.mark.parametrize("number", ["0000611365", f"US01-{YEAR}-2", f"US01-CN-{YEAR}-000003", f"DE01-{YEAR}-000002",
                                    f"US01-{YEAR}-0000002"])
async def test_numbers_outside_the_live_series_still_import(service: Service, number: str) -> None:
    created = await service.client.post("/invoices/historical", json=historical(number), headers=INTEGRATION)
    assert created.status_code == 201, created.text
    assert (await service.issued())["number"] == f"US01-{YEAR}-000001"


async def test_the_migration_moves_the_series_past_numbers_imported_before(service: Service) -> None:
    """Numbers imported into the live series before imports were refused: the series continues after them."""
    imported = await service.client.post("/invoices/historical", json=historical("H-1"), headers=INTEGRATION)
    await service.execute("UPDATE invoices SET number = :number WHERE id = :id",
                          number=f"US01-{YEAR}-000005", id=imported.json()["id"])
    migration = import_module("services.invoicing.migrations.versions.0006_hostile")
    await service.execute(migration.ADVANCE_PAST_IMPORTED)  # the migration's repair, run on this data
    assert (await service.issued())["number"] == f"US01-{YEAR}-000006"
