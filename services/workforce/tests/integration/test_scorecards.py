"""Item 4: scorecards per agent, team and vendor (SLA attainment, quality, productivity, backlog age, attrition,
tenure) and the ranking that surfaces under- and top performers with the reasons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from o2c_common.events.contracts.collections import DisputeOpened, DisputeResolved
from o2c_common.events.examples import example_payload
from services.workforce.tests.conftest import AGENT_B, SUPERVISOR, Service, problem

pytestmark = pytest.mark.integration
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PERIOD = {"since": "2026-11-30", "until": "2026-12-05"}


async def resolve(service: Service, agent: str, team: str, *, day: int, minutes: int) -> None:
    opened = MONDAY + timedelta(days=day)
    await service.handle(example_payload(DisputeResolved, dispute_id=uuid.uuid4(), owning_team=team,
                                         resolved_by=agent, opened_at=opened,
                                         resolved_at=opened + timedelta(minutes=minutes)))


async def review_all(service: Service, scores: dict[str, bool]) -> None:
    for sample in (await service.get("/quality/samples"))["items"]:
        etag = (await service.client.get(f"/quality/samples/{sample['id']}", headers=SUPERVISOR)).headers["ETag"]
        body = {"answers": {"root_cause": True, "documented": scores[sample["agent"]]}}
        response = await service.client.post(f"/quality/samples/{sample['id']}/review", json=body,
                                             headers={**SUPERVISOR, "If-Match": etag})
        assert response.status_code == 200, response.text


async def scenario(service: Service) -> None:
    agents = await service.org()
    carl = await service.client.get(f"/agents/{agents['carl']['id']}", headers=SUPERVISOR)
    await service.client.patch(f"/agents/{agents['carl']['id']}", json={"exit_date": "2026-12-04"},
                               headers={**SUPERVISOR, "If-Match": carl.headers["ETag"]})
    await service.client.put("/quality/checklists/dispute_resolution", headers=SUPERVISOR, json={
        "items": [{"code": "root_cause", "text": "Root cause right"}, {"code": "documented", "text": "Documented"}]})
    await service.post("/quality/rules", {"process": "dispute_resolution", "mode": "count", "count": 1,
                                          "period": "week"})
    for i in range(10):
        await resolve(service, "ana", "vendor-a", day=i % 4, minutes=60)
    for i in range(3):
        await resolve(service, "carl", "vendor-a", day=i, minutes=600)  # over the 480-minute default target
    for i in range(8):
        await resolve(service, "ben", "vendor-b", day=i % 4, minutes=100)
    await review_all(service, {"ana": True, "carl": False, "ben": True})
    await service.handle(example_payload(DisputeOpened, dispute_id=uuid.uuid4(), owning_team="vendor-b",
                                         opened_at=datetime.now(UTC) - timedelta(hours=30)))


async def test_agents_are_ranked_with_the_reasons(service: Service) -> None:
    await scenario(service)
    board = await service.get("/scorecards", level="agent", **PERIOD)
    cards = {c["key"]: c for c in board["cards"]}
    ana, carl, ben = cards["ana"], cards["carl"], cards["ben"]
    assert (ana["items"], ana["items_per_day"], ana["sla_attainment"], ana["quality"]) == (10, "2.00", "100.00",
                                                                                         "100.00")
    assert (carl["items"], carl["items_per_day"], carl["sla_attainment"], carl["quality"]) == (3, "0.75", "0.00",
                                                                                             "50.00")
    assert (ana["rank"], ana["verdict"], ben["rank"], ben["verdict"]) == (1, "top", 2, "steady")
    assert (carl["rank"], carl["verdict"]) == (3, "under")
    assert carl["reasons"] == ["Quality 50 % is below the 95 % target",
                               "SLA attainment 0 % is below the 90 % target",
                               "0.75 items a day, 54.55 % of the median (1.38)"]
    assert carl["summary"].startswith("Carl Diaz: rank 3 of 3, under target — Quality 50 %")
    assert ana["tenure_months"] == "6.1" and ana["headcount"] == 1
    mine = await service.get("/scorecards", level="agent", headers=AGENT_B, **PERIOD)
    assert [c["key"] for c in mine["cards"]] == ["ben"]
    problem(await service.client.get("/scorecards", params={**PERIOD, "team": "vendor-a"}, headers=AGENT_B), 403)
    problem(await service.client.get("/scorecards", params={"since": "2026-12-05", "until": "2026-11-30"},
                                     headers=SUPERVISOR), 422)


async def test_without_a_period_the_scorecards_are_of_the_last_thirty_days(service: Service) -> None:
    await scenario(service)
    before = datetime.now(UTC).date()
    board = await service.get("/scorecards")
    windows = {((d - timedelta(days=29)).isoformat(), (d + timedelta(days=1)).isoformat())
               for d in (before, datetime.now(UTC).date())}
    assert board["level"] == "agent" and (board["since"], board["until"]) in windows
    since = await service.get("/scorecards", since=PERIOD["since"])
    assert (since["since"], since["until"]) == (PERIOD["since"], board["until"])


async def test_teams_and_vendors_carry_attrition_backlog_and_tenure(service: Service) -> None:
    await scenario(service)
    teams = {c["key"]: c for c in (await service.get("/scorecards", level="team", **PERIOD))["cards"]}
    a, b = teams["vendor-a"], teams["vendor-b"]
    assert (a["items"], a["sla_attainment"], a["quality"], a["headcount"]) == (13, "76.92", "75.00", 1)
    assert a["attrition"] == "66.67" and b["attrition"] == "0.00"  # one leaver over an average of 1.5
    assert float(b["backlog_oldest_hours"]) >= 30 and a["backlog_oldest_hours"] is None
    assert a["verdict"] == "under" and b["verdict"] == "top" and a["name"] == "Acme Manila"
    vendors = {c["key"]: c for c in (await service.get("/scorecards", level="vendor", **PERIOD))["cards"]}
    assert set(vendors) == {"acme", "globex"} and vendors["globex"]["name"] == "Globex Services"
    assert vendors["acme"]["items"] == 13 and vendors["acme"]["reasons"][0] == "Quality 75 % is below the 95 % target"


async def test_a_running_hypercare_window_holds_the_team_to_its_tighter_target(service: Service) -> None:
    await scenario(service)
    before = {c["key"]: c for c in (await service.get("/scorecards", level="agent", **PERIOD))["cards"]}
    assert before["ben"]["sla_attainment"] == "100.00"
    await service.post("/hypercare", {"team": "vendor-b", "starts_on": "2026-11-01", "ends_on": "2026-12-31",
                                      "target_minutes": {"dispute_resolution": 90}})
    after = {c["key"]: c for c in (await service.get("/scorecards", level="agent", **PERIOD))["cards"]}
    assert after["ben"]["sla_attainment"] == "0.00" and after["ben"]["verdict"] == "under"
    assert after["ana"]["sla_attainment"] == "100.00"  # another team: its queue's target still
