"""GET /kpis/consolidated on real PostgreSQL: money KPIs of invoices in USD, GBP, EUR and AED summed in a
reporting currency at the ECB rates of 2024-06-28 (hand-computed below), the currency without a rate named and
left out, non-money KPIs returned untouched, and every currency's part equal to what GET /kpis says."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from o2c_cli.testing import ServiceHarness, bearer, problem
from services.kpi.tests.integration.conftest import AGENT_A, VIEWER, ingest, invoice

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "ecb"
SUPERVISOR = bearer("sue", "ar_supervisor")
JUNE = {"period": "month", "date": "2024-06-15", "names": "ar_balance,past_due_ar,aging,dso"}


async def book(api: ServiceHarness) -> None:
    """Open AR at 2024-06-30: USD 1,070.50 current + 214.10 past due, GBP 846.38, EUR 500.00 (team vendor-b),
    AED 367.30 (no ECB rate)."""
    events = []
    for amount, currency, issued, due, team in (
            ("1070.50", "USD", date(2024, 6, 3), date(2024, 7, 3), "vendor-a"),
            ("214.10", "USD", date(2024, 4, 1), date(2024, 5, 1), "vendor-a"),
            ("846.38", "GBP", date(2024, 6, 3), date(2024, 7, 3), "vendor-a"),
            ("500.00", "EUR", date(2024, 6, 3), date(2024, 7, 3), "vendor-b"),
            ("367.30", "AED", date(2024, 6, 3), date(2024, 7, 3), "vendor-a")):
        events += invoice(amount, issued, due, currency=currency, team=team).issued()
    await ingest(api.db, events)
    response = await api.client.post("/fx/rates/ecb", content=(DATA / "eurofxref-daily.xml").read_bytes(),
                                     headers=SUPERVISOR)
    assert response.status_code == 200, response.text


def by_name(body: dict, name: str) -> dict:
    found = [v for v in body["values"] if v["name"] == name and v["dimension"] is None]
    assert len(found) == 1, body["values"]
    return found[0]


async def test_money_kpis_are_summed_in_the_reporting_currency_with_their_detail(api: ServiceHarness) -> None:
    await book(api)
    response = await api.client.get("/kpis/consolidated", params={**JUNE, "currency": "EUR"}, headers=VIEWER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["currency"], body["as_of"], body["rate_date"]) == ("EUR", "2024-06-30", "2024-06-28")
    assert body["missing_currencies"] == ["AED"]

    ar = by_name(body, "ar_balance")
    # USD 1,284.60 / 1.0705 = 1,200.00; GBP 846.38 / 0.84638 = 1,000.00; EUR 500.00; AED has no rate
    assert Decimal(ar["value"]) == Decimal("2700.00") and ar["missing"] == ["AED"]
    assert ar["note"] == "leaves out 367.30 AED: no rate to EUR on or before 2024-06-30"
    parts = {d["currency"]: d for d in ar["detail"]}
    assert {c: (Decimal(d["value"]), d["converted"] and Decimal(d["converted"])) for c, d in parts.items()} == {
        "AED": (Decimal("367.30"), None), "EUR": (Decimal("500.00"), Decimal("500.00")),
        "GBP": (Decimal("846.38"), Decimal("1000.00")), "USD": (Decimal("1284.60"), Decimal("1200.00"))}
    assert (parts["USD"]["rate"], parts["USD"]["rate_date"]) == ("0.9341429239", "2024-06-28")
    assert (parts["EUR"]["rate"], parts["AED"]["rate"]) == ("1", None)

    past_due = by_name(body, "past_due_ar")  # USD 214.10 / 1.0705 = 200.00; the others owe nothing past due
    assert (Decimal(past_due["value"]), past_due["missing"]) == (Decimal("200.00"), [])
    aged = [v for v in body["values"] if v["name"] == "aging" and v["value"] is not None
            and Decimal(v["value"]) == Decimal("200.00")]
    assert len(aged) == 1 and [d["currency"] for d in aged[0]["detail"] if Decimal(d["value"])] == ["USD"]

    # DSO is not money: untouched, one per currency, as GET /kpis computes it
    plain = (await api.client.get("/kpis", params=JUNE, headers=VIEWER)).json()["values"]
    assert body["other_values"] == [v for v in plain if v["name"] == "dso"]
    assert {v["currency"] for v in body["other_values"]} == {"AED", "EUR", "GBP", "USD"}
    # every currency's part is what GET /kpis says in that currency
    for v in plain:
        if v["name"] == "ar_balance":
            assert Decimal(parts[v["currency"]]["value"]) == Decimal(v["value"])


async def test_cross_rates_scope_and_refusals(api: ServiceHarness) -> None:
    await book(api)
    jpy = (await api.client.get("/kpis/consolidated", params={**JUNE, "currency": "JPY", "names": "ar_balance"},
                                headers=VIEWER)).json()
    # in yen through the euro: 1,200.00 EUR x 171.94 + 1,000.00 EUR x 171.94 + 500.00 EUR x 171.94 = 464,238
    assert Decimal(by_name(jpy, "ar_balance")["value"]) == Decimal("464238")
    # a vendor agent sees its own team: vendor-b's EUR invoice is not in it
    own = (await api.client.get("/kpis/consolidated", params={**JUNE, "names": "ar_balance"},
                                headers=AGENT_A)).json()
    assert Decimal(by_name(own, "ar_balance")["value"]) == Decimal("2200.00") and own["scope"]["team"] == "vendor-a"
    problem(await api.client.get("/kpis/consolidated", params={**JUNE, "team": "vendor-b"}, headers=AGENT_A), 403)
    problem(await api.client.get("/kpis/consolidated", params={**JUNE, "currency": "eur"}, headers=VIEWER), 422)
    unknown = problem(await api.client.get("/kpis/consolidated", params={**JUNE, "names": "nope"}, headers=VIEWER),
                      422)
    assert unknown["type"].endswith("unknown-kpi")
    # before any rate: every currency but the reporting one is named, nothing guessed
    early = (await api.client.get("/kpis/consolidated", params={
        "period": "custom", "start": "2024-06-01", "end": "2024-06-27", "names": "ar_balance"},
        headers=VIEWER)).json()
    ar = by_name(early, "ar_balance")
    assert (Decimal(ar["value"]), ar["missing"], early["rate_date"]) == (Decimal("500.00"), ["AED", "GBP", "USD"],
                                                                        None)


async def test_a_rate_older_than_35_days_is_not_used_and_the_note_says_why(api: ServiceHarness) -> None:
    await book(api)  # ECB rates of 2024-06-28; AED has none
    aed = await api.client.put("/fx/rates/2024-05-24/AED", json={"rate": "3.9000", "reason": "bank rate"},
                               headers={**SUPERVISOR, "If-None-Match": "*"})
    assert aed.status_code == 200, aed.text
    body = (await api.client.get("/kpis/consolidated", params={**JUNE, "currency": "EUR"},
                                 headers=VIEWER)).json()
    ar = by_name(body, "ar_balance")  # 2024-05-24 is 37 days before 2024-06-30
    assert (Decimal(ar["value"]), ar["missing"], body["missing_currencies"]) == (Decimal("2700.00"), ["AED"], ["AED"])
    assert ar["note"] == ("leaves out 367.30 AED: the latest rate, of 2024-05-24, is more than 35 days before "
                          "2024-06-30")
    parts = {d["currency"]: d for d in ar["detail"]}
    assert (parts["AED"]["rate"], parts["AED"]["rate_date"], parts["AED"]["converted"]) == (None, "2024-05-24", None)

    fresh = await api.client.put("/fx/rates/2024-05-27/AED", json={"rate": "3.9000", "reason": "bank rate"},
                                 headers={**SUPERVISOR, "If-None-Match": "*"})
    assert fresh.status_code == 200, fresh.text  # 34 days before: used (367.30 / 3.9 = 94.18)
    body = (await api.client.get("/kpis/consolidated", params={**JUNE, "currency": "EUR"},
                                 headers=VIEWER)).json()
    ar = by_name(body, "ar_balance")
    assert (Decimal(ar["value"]), ar["missing"], ar["note"]) == (Decimal("2794.18"), [], None)
