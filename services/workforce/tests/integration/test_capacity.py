"""Item 3: productivity and backlog from events, and the capacity plan of the worked example in
docs/workforce.md (forecast with weekday and month-end seasonality, Erlang C for the desk, workload for a
back-office queue, rostered agents from shift calendars, what-ifs)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from o2c_common.events.contracts.collections import DisputeOpened, DisputeResolved, PaymentApplied, PaymentReceived
from o2c_common.events.contracts.invoicing import InvoiceIssued, InvoiceSubmitted
from o2c_common.events.examples import example_payload
from services.workforce.tests.conftest import AGENT_A, AGENT_B, NOW, SUPERVISOR, Service, problem

pytestmark = pytest.mark.integration
DOC = Path(__file__).resolve().parents[4] / "docs" / "workforce.md"


async def test_items_per_agent_and_day_handling_times_and_backlog_from_events(service: Service) -> None:
    await service.org()
    disputes = [uuid.uuid4() for _ in range(3)]
    for i, dispute in enumerate(disputes):
        await service.handle(example_payload(DisputeOpened, dispute_id=dispute, owning_team="vendor-a",
                                             opened_at=NOW - timedelta(hours=10 - i)))
    for minutes, dispute in zip((60, 120), disputes[:2], strict=True):
        opened = NOW - timedelta(hours=10 - disputes.index(dispute))
        await service.handle(example_payload(DisputeResolved, dispute_id=dispute, owning_team="vendor-a",
                                             resolved_by="ana", opened_at=opened,
                                             resolved_at=opened + timedelta(minutes=minutes)))
    invoice = uuid.uuid4()
    await service.handle(example_payload(InvoiceSubmitted, invoice_id=invoice, owning_team="vendor-b",
                                         submitted_by="ben", submitted_at=NOW))  # completion before arrival
    await service.handle(example_payload(InvoiceIssued, invoice_id=invoice, owning_team="vendor-b",
                                         issued_at=NOW - timedelta(minutes=45)))
    window = {"since": (NOW - timedelta(days=1)).isoformat(), "until": (NOW + timedelta(days=1)).isoformat()}
    rows = await service.get("/productivity", **window)
    assert [(r["agent"], r["day"], r["process"], r["items"], r["average_handling_minutes"]) for r in rows] == [
        ("ana", NOW.date().isoformat(), "dispute_resolution", 2, "90.00"),
        ("ben", NOW.date().isoformat(), "invoice_submission", 1, "45.00")]
    assert rows[0]["average_handling_text"] == "90 minutes"
    assert [r["agent"] for r in await service.get("/productivity", headers=AGENT_B, **window)] == ["ben"]
    problem(await service.client.get("/productivity", params={**window, "team": "vendor-a"}, headers=AGENT_B), 403)
    problem(await service.client.get("/productivity", params={"since": window["until"], "until": window["since"]},
                                     headers=SUPERVISOR), 422)
    [backlog] = await service.get("/backlog", headers=AGENT_A)
    assert (backlog["process"], backlog["team"], backlog["open_items"]) == ("dispute_resolution", "vendor-a", 1)
    assert backlog["process_name"] == "Dispute resolution"
    await service.handle(example_payload(InvoiceIssued, invoice_id=uuid.uuid4(), owning_team="vendor-b",
                                         issued_at=NOW, historical=True))  # imported history: no work today
    assert await service.get("/backlog", headers=AGENT_B) == []


HISTORY = """
INSERT INTO work_items (id, process, item_key, owning_team, arrived_at)
SELECT gen_random_uuid(), CAST(:process AS varchar),
       CAST(:process AS varchar) || '-' || (d AT TIME ZONE 'UTC')::date || '-' || n, 'vendor-a', d + interval '9 hours'
FROM generate_series('2026-11-23 00:00+00'::timestamptz, '2026-12-20 00:00+00'::timestamptz, interval '1 day') d
CROSS JOIN LATERAL generate_series(1, CASE
    WHEN extract(isodow FROM d AT TIME ZONE 'UTC') > 5 THEN 0
    WHEN (d AT TIME ZONE 'UTC')::date IN ('2026-11-26', '2026-11-27', '2026-11-30') THEN CAST(:month_end AS int)
    ELSE CAST(:weekday AS int) END) n
"""


async def worked_example(service: Service) -> None:
    await service.org()
    for i in range(1, 6):
        await service.post("/agents", {"subject": f"desk{i}", "name": f"Desk Agent {i}", "team": "vendor-a",
                                       "start_date": "2026-06-01", "skills": ["case_handling"],
                                       "leave_dates": ["2026-12-29"] if i == 5 else []})
    await service.execute(HISTORY, process="case_handling", weekday=96, month_end=144)
    await service.execute(HISTORY, process="invoice_submission", weekday=200, month_end=200)
    for process, body in (("case_handling", {"model": "erlang_c", "team": "vendor-a", "handling_minutes": "10",
                                             "open_hours": "8", "shrinkage": "0.25", "service_level": "80",
                                             "answer_minutes": "5"}),
                          ("invoice_submission", {"model": "workload", "team": "vendor-a", "handling_minutes": "6",
                                                  "open_hours": "8", "shrinkage": "0.3", "occupancy": "0.85"})):
        response = await service.client.put(f"/capacity/queues/{process}", json=body, headers=SUPERVISOR)
        assert response.status_code == 200, response.text


def documented(name: str) -> list[list[str]]:
    """The rows of the table following ``<!-- capacity-example:<name> -->`` in docs/workforce.md."""
    text = DOC.read_text()
    block = text[text.index(f"<!-- capacity-example:{name} -->"):].split("\n\n")[1]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.splitlines()]
    return [r for r in rows[2:] if r and not re.fullmatch(r"-+", r[0])]


def table(plan: dict[str, Any]) -> list[list[str]]:
    return [[d["day"], d["forecast_arrivals"], d["traffic_erlangs"] or "—", str(d["agents_working"]),
             d["service_level"] or "—", str(d["required_agents"]), str(d["rostered_agents"]), str(d["gap"])]
            for d in plan["days"]]


async def test_the_worked_example_of_the_docs(service: Service) -> None:
    await worked_example(service)
    desk = {"process": "case_handling", "start": "2026-12-21", "days": 11, "history_weeks": 4}
    # planning staff over every team is the managers' (and viewers'), not a vendor agent's
    assert problem(await service.client.post("/capacity/plan", json=desk, headers=AGENT_A), 403)["type"].endswith(
        "missing-role")
    baseline = await service.post("/capacity/plan", desk)
    assert baseline["month_end_factor"] == "1.500" and baseline["weekday_means"]["1"] == "96.00"
    assert table(baseline) == documented("desk")
    by_day = {d["day"]: d for d in baseline["days"]}
    assert (by_day["2026-12-21"]["agents_working"], by_day["2026-12-21"]["required_agents"]) == (4, 6)  # by hand
    assert (by_day["2026-12-29"]["agents_working"], by_day["2026-12-29"]["required_agents"]) == (5, 7)
    assert by_day["2026-12-29"]["summary"] == ("144 items forecast, 24 hours of work: 7 agents required, 6 rostered"
                                               " — 1 short")
    what_if = await service.post("/capacity/plan", {**desk, "volume_factor": "1.2", "leaving": ["carl"],
                                                    "holidays": ["2026-12-24"]})
    assert table(what_if) == documented("desk-what-if")
    back_office = await service.post("/capacity/plan", {"process": "invoice_submission", "start": "2026-12-21",
                                                        "days": 1, "history_weeks": 4})
    assert table(back_office) == documented("back-office")
    assert back_office["model_statement"].startswith("Workload")
    problem(await service.client.post("/capacity/plan", json={"process": "cash_application", "start": "2026-12-21"},
                                      headers=SUPERVISOR), 404)


async def test_productivity_without_a_window_is_the_last_seven_days(service: Service) -> None:
    await service.org()
    now = datetime.now(UTC)
    for dispute, resolved in ((uuid.uuid4(), now - timedelta(hours=2)), (uuid.uuid4(), now - timedelta(days=9))):
        await service.handle(example_payload(DisputeResolved, dispute_id=dispute, owning_team="vendor-a",
                                             resolved_by="ana", opened_at=resolved - timedelta(minutes=30),
                                             resolved_at=resolved))
    rows = await service.get("/productivity")
    day = (now - timedelta(hours=2)).date().isoformat()
    assert [(r["agent"], r["day"], r["items"]) for r in rows] == [("ana", day, 1)]
    naive = (now - timedelta(days=10)).replace(tzinfo=None).isoformat()  # read as UTC, until now
    assert sum(r["items"] for r in await service.get("/productivity", since=naive)) == 2


async def test_imported_payments_are_no_work_of_todays_cash_application(service: Service) -> None:
    await service.org()
    imported, today = uuid.uuid4(), uuid.uuid4()
    await service.handle(example_payload(PaymentReceived, payment_id=imported, owning_team="vendor-a",
                                         source="history_import", received_at=NOW))
    await service.handle(example_payload(PaymentApplied, payment_id=imported, owning_team="vendor-a",
                                         applied_at=NOW, historical=True))
    await service.handle(example_payload(PaymentReceived, payment_id=today, owning_team="vendor-a", source="bai2",
                                         received_at=NOW))
    keys = await service.rows("SELECT item_key, completed_at IS NOT NULL FROM work_items "
                              "WHERE process = 'cash_application'")
    assert keys == [(str(today), False)]
    [backlog] = await service.get("/backlog")
    assert (backlog["process"], backlog["open_items"]) == ("cash_application", 1)
