"""The capacity outlook in the reviews' operations data: workforce's capacity.outlook_published through the broker
into the kpi-operations read model, the latest one per queue kept (an older one heard late changes nothing), with
readable day summaries and the days short; a vendor agent sees its team's queues only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from o2c_cli.testing import Infra, ServiceHarness, bearer
from o2c_common.events.contracts import workforce as wf
from o2c_kpi.operations.models import OpsCapacityOutlook
from services.kpi.tests.integration.conftest import VIEWER, wrap
from services.kpi.tests.integration.operations_support import through_broker

pytestmark = pytest.mark.integration

NOV = {"start": "2026-11-01", "end": "2026-11-30"}
MONDAY = date(2026, 12, 7)


def outlook(process: str, team: str, published: datetime, required: list[int],
            rostered: int = 5) -> wf.CapacityOutlookPublished:
    days = tuple(wf.OutlookDay(day=MONDAY + timedelta(days=i), forecast_arrivals=Decimal("96.00") + i,
                               required_agents=r, rostered_agents=rostered, gap=rostered - r)
                 for i, r in enumerate(required))
    return wf.CapacityOutlookPublished(process=process, team=team, model="erlang_c", days=days,
                                       published_at=published)


async def test_latest_outlook_per_queue_with_day_summaries(api: ServiceHarness, infra: Infra) -> None:
    run = uuid.uuid4().hex[:6]
    desk, back = f"desk-{run}", f"back-{run}"
    t0 = datetime(2026, 12, 4, 6, tzinfo=UTC)
    facts = [outlook("case_handling", desk, t0 + timedelta(days=1), [4, 6, 5, 7, 5]),  # the latest
             outlook("case_handling", desk, t0, [9, 9, 9, 9, 9]),  # older, heard after it: ignored
             outlook("invoice_submission", back, t0, [2, 2, 2, 2, 2], rostered=2)]

    async def ready() -> bool:
        async with api.db.sessionmaker() as s:
            rows = (await s.scalars(select(OpsCapacityOutlook).where(OpsCapacityOutlook.team.in_([desk, back])))).all()
            return len(rows) == 2

    await through_broker(api.db, infra.kafka_bootstrap, [wrap(f) for f in facts], ready)

    body = (await api.client.get("/reviews/operations", params=NOV, headers=VIEWER)).json()
    queues = {(q["process"], q["team"]): q for q in body["capacity_outlook"]}
    handling = queues[("case_handling", desk)]
    assert handling["process_label"] == "Case handling"
    assert handling["published_at"].startswith("2026-12-05")
    assert [(d["day"], d["required_agents"], d["rostered_agents"], d["gap"]) for d in handling["days"]] == [
        ("2026-12-07", 4, 5, 1), ("2026-12-08", 6, 5, -1), ("2026-12-09", 5, 5, 0), ("2026-12-10", 7, 5, -2),
        ("2026-12-11", 5, 5, 0)]
    assert handling["short_days"] == 2
    assert [d["summary"] for d in handling["days"][:3]] == [
        "96 items forecast: 4 agents required, 5 rostered — 1 spare",
        "97 items forecast: 6 agents required, 5 rostered — 1 short",
        "98 items forecast: 5 agents required, 5 rostered — on plan"]
    assert queues[("invoice_submission", back)]["short_days"] == 0

    mine = (await api.client.get("/reviews/operations", params=NOV,
                                 headers=bearer("d", "vendor_agent", team=desk))).json()
    assert [(q["process"], q["team"]) for q in mine["capacity_outlook"]] == [("case_handling", desk)]
