"""Acceptance of the KPI engine (issue 5, "Done when" #1): the IBM late-payment history (2,466 invoices, each
issued on InvoiceDate and paid in full on SettledDate) is replayed through the running services — invoices into
invoicing, payments into collections, the kpi service learning everything from their events — and DSO,
count-back DSO, best possible DSO, ADD, CEI and the aging buckets of every month of 2013 must equal a
computation straight from the CSV, to the cent and to 0.01 day.

The expected figures are computed here with plain Decimal arithmetic on the CSV, not with the service's code.
All rows go to one legal entity (US01) and currency (USD); other tests' US01 invoices are dated 2026 and do not
touch 2012-2014.
"""

from __future__ import annotations

import asyncio
import calendar
import csv
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from o2c_cli.history import DEFAULT_HISTORY, load_rows, mint_replay_token, replay
from o2c_cli.stack import Stack

from .conftest import client

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "examples" / "data" / "ibm-late-payment-histories.csv"
NAMES = "dso,count_back_dso,best_possible_dso,add,cei,aging"
Row = tuple[date, date, date, Decimal]  # invoice date, due date, settled date, amount
# 2,466 invoices and payments through invoicing and collections: about 4 minutes on a busy 2-core machine
pytestmark = pytest.mark.timeout(900)


def read_csv() -> list[Row]:
    def day(text: str) -> date:
        return datetime.strptime(text.strip(), "%m/%d/%Y").date()

    with CSV.open(newline="", encoding="utf-8-sig") as f:
        return [(day(r["InvoiceDate"]), day(r["DueDate"]), day(r["SettledDate"]), Decimal(r["InvoiceAmount"]))
                for r in csv.DictReader(f)]


def cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def open_at(rows: list[Row], d: date) -> list[Row]:
    """Invoices owed at the end of day d: issued on or before d, paid after d."""
    return [r for r in rows if r[0] <= d < r[2]]


def sales(rows: list[Row], first: date, last: date) -> Decimal:
    return sum((r[3] for r in rows if first <= r[0] <= last), Decimal(0))


def expected_month(rows: list[Row], year: int, month: int) -> dict[str, Any]:
    first, days = date(year, month, 1), calendar.monthrange(year, month)[1]
    end = date(year, month, days)
    owed = open_at(rows, end)
    ar = sum((r[3] for r in owed), Decimal(0))
    current = sum((r[3] for r in owed if r[1] >= end), Decimal(0))
    credit = sales(rows, first, end)
    ar_start = sum((r[3] for r in open_at(rows, first - timedelta(days=1))), Decimal(0))
    dso = ar / credit * days
    best = current / credit * days
    cei = (ar_start + credit - ar) / (ar_start + credit - current) * 100
    # count-back: whole months back from the period's month while AR left >= the month's sales
    left, walked, m_first = ar, Decimal(0), first
    while True:
        m_days = calendar.monthrange(m_first.year, m_first.month)[1]
        m_sales = sales(rows, m_first, date(m_first.year, m_first.month, m_days))
        if left < m_sales or left == 0:
            count_back = walked + (left / m_sales * m_days if left else 0)
            break
        left -= m_sales
        walked += m_days
        m_first = (m_first - timedelta(days=1)).replace(day=1)
    buckets = dict.fromkeys(("current", "1-30", "31-60", "61-90", "91-120", "over_120"), Decimal(0))
    for _, due, _, amount in owed:
        late = (end - due).days
        label = ("current" if late <= 0 else "1-30" if late <= 30 else "31-60" if late <= 60 else
                 "61-90" if late <= 90 else "91-120" if late <= 120 else "over_120")
        buckets[label] += amount
    return {"dso": cents(dso), "count_back_dso": cents(count_back), "best_possible_dso": cents(best),
            "add": cents(dso - best), "cei": cents(cei), "aging": {k: cents(v) for k, v in buckets.items()}}


def test_kpis_of_every_month_of_2013_match_the_csv(stack: Stack) -> None:
    rows = read_csv()
    history = load_rows(ROOT / DEFAULT_HISTORY)
    assert len(history) == len(rows) == 2466
    urls = {f"{name}_url": f"http://127.0.0.1:{stack.config.ports[name]}" for name in ("invoicing", "collections")}
    started = time.monotonic()
    result = asyncio.run(replay(rows=history, token=mint_replay_token(), concurrency=12, **urls))
    assert result.errors == []
    print(f"replay through invoicing and collections: {time.monotonic() - started:.0f}s")

    kpi = client(stack, "kpi")
    scope = {"legal_entity": "US01", "currency": "USD"}
    total = sum((r[3] for r in rows), Decimal(0))
    # every invoice and every payment has reached the read models once all the history's sales are there and
    # nothing is owed after the last settlement
    everything = {"names": "credit_sales,ar_balance", "period": "custom", "start": "2012-01-01",
                  "end": "2014-01-31", **scope}
    deadline, seen = time.monotonic() + 120, {}
    while time.monotonic() < deadline:
        values = kpi.get("/kpis", params=everything).json()["values"]
        seen = {v["name"]: Decimal(v["value"]) for v in values}
        if seen == {"credit_sales": total, "ar_balance": Decimal(0)}:
            break
        time.sleep(0.5)
    assert seen == {"credit_sales": total, "ar_balance": Decimal(0)}
    print(f"kpi read models complete {time.monotonic() - started:.0f}s after the replay started")

    for month in range(1, 13):
        response = kpi.get("/kpis", params={"names": NAMES, "period": "month", "date": f"2013-{month:02d}-01",
                                            **scope})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["period_start"], body["as_of"]) == (f"2013-{month:02d}-01",
                                                          f"2013-{month:02d}-{calendar.monthrange(2013, month)[1]}")
        got: dict[str, Any] = {"aging": {}}
        for v in body["values"]:
            assert v["currency"] == "USD"
            if v["name"] == "aging":
                got["aging"][v["dimension"]] = Decimal(v["value"])
            else:
                got[v["name"]] = Decimal(v["value"])
        assert got == expected_month(rows, 2013, month), f"2013-{month:02d}"
