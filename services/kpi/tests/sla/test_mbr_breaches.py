"""The MBR's SLA colours agree with its breaches: a team with a breach in the period is never shown at 100 %
green, and the header's breaches are the sum of the teams' rows plus those of no team."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from o2c_kpi.sla.workers import sweep_timers_once
from services.kpi.tests.sla.conftest import FRIDAY, SUPERVISOR, Service, rejected, resubmitted

pytestmark = pytest.mark.integration

OCTOBER_FRIDAY = FRIDAY - timedelta(days=21)  # Friday 30 Oct 2026, 15:00


async def test_a_team_with_two_breaches_is_not_green(service: Service) -> None:
    # two rejections of late October not resubmitted: their 1-business-day timers fire on Monday 2 November
    await service.handle(rejected("vendor-a", OCTOBER_FRIDAY), rejected("vendor-a", OCTOBER_FRIDAY))
    service.clock.move_to(OCTOBER_FRIDAY + timedelta(days=4))
    assert await sweep_timers_once(service.transactions, settings=service.settings, clock=service.clock) == 2
    # one rejection in November resubmitted within the hour: met
    quick = rejected("vendor-a", FRIDAY)
    await service.handle(quick, resubmitted(quick, FRIDAY + timedelta(hours=1)))

    response = await service.client.get("/reports/monthly-business-review?date=2026-11-20", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    body = response.json()
    team = next(t for t in body["sla_attainment"] if t["team"] == "vendor-a")
    assert (team["met"], team["breaches"], team["total"], team["attainment_percent"]) == (1, 2, 3, "33.33")
    timer = next(d for d in team["definitions"] if d["definition_id"] == "portal-rejection-resubmitted-1bd")
    assert (timer["met"], timer["breaches"], timer["total"]) == (1, 2, 3)
    assert body["breaches"] == 2
    assert body["breaches"] == sum(t["breaches"] for t in body["sla_attainment"]) + body["unassigned_breaches"]

    page = (await service.client.get("/reports/monthly-business-review?date=2026-11-20&format=html",
                                     headers=SUPERVISOR)).text
    bar = re.search(r'<text x="4" y="(\d+)" font-size="11">vendor-a</text><rect [^>]*fill="(#[0-9a-f]+)"', page)
    assert bar is not None and bar.group(2) == "#d62728"  # red: the team breached
    assert "vendor-a: 33.33 %, 2 breaches" in page
    assert "2 SLA breaches in the period" in page
    attainment = await service.client.get("/sla/attainment?team=vendor-a&period=2026-11", headers=SUPERVISOR)
    rows = {r["definition_id"]: (r["met"], r["total"]) for r in attainment.json()["definitions"]}
    assert rows["portal-rejection-resubmitted-1bd"] == (1, 3)  # the API agrees with the report
    this_month = (await service.client.get("/sla/attainment?team=vendor-a", headers=SUPERVISOR)).json()
    assert (this_month["period"], this_month["start"]) == (service.clock().strftime("%Y-%m"), "2026-11-01")
    assert this_month["definitions"] == attainment.json()["definitions"]  # the clock is in November
