"""AR, aging, DSO family and CEI on a small hand-computed ledger (numbers worked out in the comments)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from o2c_common.db import Database
from o2c_common.events import Event
from o2c_kpi.kpis.schemas import Period, Scope
from services.kpi.tests.integration.conftest import compute, ingest, invoice, value

pytestmark = pytest.mark.integration

D = Decimal
MARCH = Period.month(date(2026, 3, 1))
AR_NAMES = ["ar_balance", "current_ar", "past_due_ar", "average_days_past_due", "aging", "credit_sales", "dso",
            "count_back_dso", "best_possible_dso", "add", "cei"]


def ledger() -> list[Event]:
    a = invoice("1000.00", date(2026, 1, 15), date(2026, 1, 31))
    b = invoice("500.00", date(2026, 3, 10), date(2026, 4, 9))
    c = invoice("300.00", date(2026, 2, 1), date(2026, 3, 1))
    d = invoice("200.00", date(2026, 3, 20), date(2026, 3, 25))
    e = invoice("100.00", date(2026, 4, 2), date(2026, 5, 2))
    f = invoice("700.00", date(2026, 3, 5), date(2026, 4, 4), customer_id="CUST-2", team="vendor-b")
    return [a.issued(), b.issued(), c.issued(), d.issued(), e.issued(), f.issued(),
            a.paid("400.00", date(2026, 3, 10)), d.credited("50.00", date(2026, 3, 28)),
            f.paid("700.00", date(2026, 3, 30))]


async def test_march_figures_match_the_hand_computation(kpi_db: Database) -> None:
    await ingest(kpi_db, ledger())
    values = await compute(kpi_db, AR_NAMES, MARCH)
    # At 31 Mar: A 600 (59 days past due), B 500 current, C 300 (30 days), D 150 (6 days); F paid, E not issued.
    assert value(values, "ar_balance", currency="USD") == D("1550.00")
    assert value(values, "current_ar", currency="USD") == D("500.00")
    assert value(values, "past_due_ar", currency="USD") == D("1050.00")
    assert value(values, "average_days_past_due", currency="USD") == D("43.14")  # 45,300 / 1,050
    aging = {v.dimension: v.value for v in values if v.name == "aging"}
    assert aging == {"current": D("500.00"), "1-30": D("450.00"), "31-60": D("600.00"), "61-90": D("0.00"),
                     "91-120": D("0.00"), "over_120": D("0.00")}
    assert value(values, "credit_sales", currency="USD") == D("1400.00")  # B + D + F
    assert value(values, "dso", currency="USD") == D("34.32")  # 1,550 / 1,400 x 31
    assert value(values, "best_possible_dso", currency="USD") == D("11.07")  # 500 / 1,400 x 31
    assert value(values, "add", currency="USD") == D("23.25")
    assert value(values, "cei", currency="USD") == D("52.27")  # (1,300 + 1,400 - 1,550) / (1,300 + 1,400 - 500)
    assert value(values, "count_back_dso", currency="USD") == D("45.00")  # 31 + 150 / 300 x 28
    units = {v.name: v.unit for v in values}
    assert units["dso"] == "days" and units["ar_balance"] == "money" and units["cei"] == "percent"


async def test_scope_and_as_of_filter_the_facts(kpi_db: Database) -> None:
    await ingest(kpi_db, ledger())
    team_a = await compute(kpi_db, ["ar_balance", "credit_sales", "dso"], MARCH, Scope(team="vendor-a"))
    assert value(team_a, "ar_balance", currency="USD") == D("1550.00")
    assert value(team_a, "credit_sales", currency="USD") == D("700.00")
    assert value(team_a, "dso", currency="USD") == D("68.64")  # 1,550 / 700 x 31
    cust_2 = await compute(kpi_db, ["ar_balance", "credit_sales", "dso", "aging"], MARCH, Scope(customer_id="CUST-2"))
    assert value(cust_2, "ar_balance", currency="USD") == D("0.00")
    assert value(cust_2, "dso", currency="USD") == D("0.00")
    # mid-March: A 600, B 500, C 300, F 700 (paid only on 30 Mar)
    mid = await compute(kpi_db, ["ar_balance"], Period.month(date(2026, 3, 1), as_of=date(2026, 3, 15)))
    assert value(mid, "ar_balance", currency="USD") == D("2100.00")
    assert await compute(kpi_db, ["ar_balance"], MARCH, Scope(currency="EUR")) == []
    assert await compute(kpi_db, ["ar_balance"], MARCH, Scope(legal_entity="DE01")) == []
    april_day = await compute(kpi_db, ["credit_sales"], Period.day(date(2026, 4, 2)))
    assert value(april_day, "credit_sales", currency="USD") == D("100.00")
    q1 = await compute(kpi_db, ["credit_sales"], Period.quarter(date(2026, 2, 14)))
    assert value(q1, "credit_sales", currency="USD") == D("2700.00")  # A + C + B + D + F


async def test_a_period_without_credit_sales_has_no_dso(kpi_db: Database) -> None:
    await ingest(kpi_db, ledger())
    values = await compute(kpi_db, ["dso", "best_possible_dso", "add", "ar_balance"], Period.day(date(2026, 3, 31)))
    assert value(values, "dso", currency="USD") is None
    assert value(values, "add", currency="USD") is None
    assert value(values, "ar_balance", currency="USD") == D("1550.00")
