"""GET /kpis and /kpis/definitions over HTTP: tokens, scopes, vendor-team confinement, bad input as problems."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from o2c_cli.testing import ServiceHarness, bearer, problem
from services.kpi.tests.integration.conftest import AGENT_A, VIEWER, ingest
from services.kpi.tests.integration.test_kpi_receivables import ledger

pytestmark = pytest.mark.integration


async def test_kpis_over_http_with_period_scope_and_units(api: ServiceHarness) -> None:
    await ingest(api.db, ledger())
    response = await api.client.get("/kpis", headers=VIEWER, params={
        "names": "dso,aging,ar_balance", "period": "month", "date": "2026-03-17", "currency": "USD"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["period_kind"], body["period_start"], body["period_end"], body["as_of"]) == (
        "month", "2026-03-01", "2026-03-31", "2026-03-31")
    assert body["scope"] == {"legal_entity": None, "currency": "USD", "customer_id": None, "team": None}
    first = body["values"][0]
    assert (first["name"], first["value"], first["unit"], first["currency"]) == ("dso", "34.32", "days", "USD")
    assert [v["name"] for v in body["values"]] == ["dso", *["aging"] * 6, "ar_balance"]
    custom = await api.client.get("/kpis", headers=VIEWER, params={
        "names": "credit_sales", "period": "custom", "start": "2026-01-01", "end": "2026-03-31", "as_of": "2026-02-01"})
    assert custom.json()["values"][0]["value"] == "2700.00" and custom.json()["as_of"] == "2026-02-01"


async def test_without_a_date_the_period_is_the_one_of_today(api: ServiceHarness) -> None:
    before = datetime.now(UTC).date()
    bare = await api.client.get("/kpis", headers=VIEWER)
    quarter = await api.client.get("/kpis", headers=VIEWER, params={"names": "ar_balance", "period": "quarter"})
    after = datetime.now(UTC).date()
    assert bare.status_code == 200 and quarter.status_code == 200, (bare.text, quarter.text)
    assert bare.json()["period_kind"] == "month" and bare.json()["values"]  # every KPI
    assert bare.json()["period_start"] in {d.replace(day=1).isoformat() for d in (before, after)}
    starts = {date(d.year, 3 * ((d.month - 1) // 3) + 1, 1).isoformat() for d in (before, after)}
    assert quarter.json()["period_kind"] == "quarter" and quarter.json()["period_start"] in starts


async def test_definitions_give_formula_unit_and_example(api: ServiceHarness) -> None:
    response = await api.client.get("/kpis/definitions", headers=VIEWER)
    assert response.status_code == 200
    by_name = {d["name"]: d for d in response.json()}
    assert by_name["count_back_dso"]["unit"] == "days" and "73.71" in by_name["count_back_dso"]["example"]
    assert by_name["aging"]["breakdown"].startswith("bucket")


async def test_a_token_is_required(api: ServiceHarness) -> None:
    for path in ("/kpis", "/kpis/definitions"):
        problem(await api.client.get(path), 401)
    problem(await api.client.get("/kpis", headers={"Authorization": "Bearer not-a-jwt"}), 401)


@pytest.mark.parametrize(("params", "slug"), [
    ({"names": "dso,no_such_kpi", "date": "2026-03-01"}, "unknown-kpi"),
    ({"period": "custom", "start": "2026-03-01"}, "invalid-period"),
    ({"period": "custom", "start": "2026-03-31", "end": "2026-03-01"}, "invalid-period"),
    ({"period": "fortnight", "date": "2026-03-01"}, None),
    ({"period": "day", "date": "2026-02-30"}, None),
    ({"period": "day", "date": "2026-03-01", "currency": "usd"}, None),
])
async def test_bad_input_is_a_422_problem(api: ServiceHarness, params: dict[str, str], slug: str | None) -> None:
    body = problem(await api.client.get("/kpis", headers=VIEWER, params=params), 422)
    if slug is not None:
        assert body["type"].endswith(f"/{slug}")


async def test_vendor_agents_see_their_own_team_only(api: ServiceHarness) -> None:
    await ingest(api.db, ledger())
    params = {"names": "ar_balance", "period": "month", "date": "2026-03-01"}
    own = await api.client.get("/kpis", headers=AGENT_A, params=params)
    assert own.status_code == 200 and own.json()["scope"]["team"] == "vendor-a"
    assert Decimal(own.json()["values"][0]["value"]) == Decimal("1550.00")  # vendor-b's customer left out
    problem(await api.client.get("/kpis", headers=AGENT_A, params={**params, "team": "vendor-b"}), 403)
    problem(await api.client.get("/kpis", headers=bearer("x", "vendor_agent"), params=params), 403)
