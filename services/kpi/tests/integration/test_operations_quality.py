"""Quality per vendor and team in the reviews' operations data: workforce's quality.reviewed, team.changed and
vendor.changed events through the broker into the kpi-operations read model, read by review_operations and
GET /reviews/operations (a vendor agent sees its own team only)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from o2c_cli.testing import Infra, ServiceHarness, bearer, problem
from o2c_common.events.contracts import workforce as wf
from o2c_common.events.examples import example_payload
from o2c_kpi.operations.models import OpsQualityReview, OpsTeam, OpsVendor
from services.kpi.tests.integration.conftest import VIEWER, wrap
from services.kpi.tests.integration.operations_support import by_key, through_broker

pytestmark = pytest.mark.integration

NOV = {"start": "2026-11-01", "end": "2026-11-30"}  # previous: October, by default


def reviewed(team: str | None, score: str, day: date, *defects: str | tuple[str, str, str]) -> wf.QualityReviewed:
    typed = [wf.DefectType(code=d[0], category=d[1], label=d[2]) for d in defects if isinstance(d, tuple)]
    codes = tuple(d if isinstance(d, str) else d[0] for d in defects)
    return example_payload(wf.QualityReviewed, sample_id=uuid.uuid4(), team=team, score=Decimal(score),
                           defects=codes, defect_types=tuple(typed), reviewed_at=datetime.combine(
                               day, datetime.min.time(), UTC).replace(hour=10), agent=f"agent-of-{team}")


async def test_quality_per_vendor_and_team_from_the_events(api: ServiceHarness, infra: Infra) -> None:
    run = uuid.uuid4().hex[:6]
    vendor, one, two, own = f"acme-{run}", f"acme-1-{run}", f"acme-2-{run}", f"inhouse-{run}"
    wrong_po, late = ("wrong_po", "data", "Wrong or missing PO"), ("late_note", "communication", "Late note")
    facts = [
        example_payload(wf.VendorChanged, vendor_id=uuid.uuid4(), code=vendor, name="Acme BPO"),
        *[example_payload(wf.TeamChanged, team_id=uuid.uuid4(), team=t, vendor_code=v)
          for t, v in ((one, vendor), (two, vendor), (own, None))],
        reviewed(one, "90", date(2026, 11, 2), wrong_po),
        reviewed(one, "100", date(2026, 11, 15)),
        reviewed(one, "80", date(2026, 11, 30), wrong_po, late),
        reviewed(two, "70", date(2026, 11, 3), "tax_wrong"),  # from a producer before defect_types: code only
        reviewed(own, "100", date(2026, 11, 20)),
        reviewed(one, "60", date(2026, 10, 31)),  # the previous period
        reviewed(one, "0", date(2026, 12, 1)),  # after the period
    ]

    async def ready() -> bool:
        async with api.db.sessionmaker() as s:
            n = await s.scalar(select(func.count()).where(OpsQualityReview.team.in_([one, two, own])))
            teams = await s.scalar(select(func.count()).where(OpsTeam.team.in_([one, two, own])))
            return n == 7 and teams == 3 and await s.get(OpsVendor, vendor) is not None

    await through_broker(api.db, infra.kafka_bootstrap, [wrap(f) for f in facts], ready)

    answer = await api.client.get("/reviews/operations", params=NOV, headers=VIEWER)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    acme = next(v for v in body["current"]["quality"]["vendors"] if v["vendor_code"] == vendor)
    assert acme["vendor"] == "Acme BPO"
    assert (acme["figures"]["reviewed"], acme["figures"]["average_score"]) == (4, "85.00")  # (90+100+80+70)/4
    assert acme["figures"]["average_score_text"] == "85 %"
    assert [(c["label"], c["count"]) for c in acme["figures"]["by_category"]] == [
        ("Data", 2), ("Communication", 1), ("Uncategorised", 1)]
    teams = by_key_json(acme["teams"], "team")
    assert set(teams) == {one, two}
    assert (teams[one]["figures"]["reviewed"], teams[one]["figures"]["average_score"]) == (3, "90.00")
    data = teams[one]["figures"]["by_category"][0]
    assert data["defects"] == [{"code": "wrong_po", "label": "Wrong or missing PO", "count": 2}]
    assert teams[two]["figures"]["by_category"][0]["defects"] == [{"code": "tax_wrong", "label": "Tax wrong",
                                                                   "count": 1}]
    previous = next(v for v in body["previous"]["quality"]["vendors"] if v["vendor_code"] == vendor)
    assert (previous["figures"]["reviewed"], previous["figures"]["average_score"]) == (1, "60.00")
    assert (body["previous"]["start"], body["previous"]["end"]) == ("2026-10-02", "2026-10-31")  # 30 days before

    # a vendor agent: its own team's figures only, and another team's is refused
    agent = bearer("agent-x", "vendor_agent", team=one)
    mine = (await api.client.get("/reviews/operations", params=NOV, headers=agent)).json()
    assert mine["team"] == one
    assert [v["vendor_code"] for v in mine["current"]["quality"]["vendors"]] == [vendor]
    overall = mine["current"]["quality"]["overall"]
    assert (overall["reviewed"], overall["average_score"], overall["defects"]) == (3, "90.00", 3)
    refused = problem(await api.client.get("/reviews/operations", params={**NOV, "team": two}, headers=agent), 403)
    assert refused["type"].endswith("team-access-denied")

    internal = (await api.client.get("/reviews/operations", params={**NOV, "team": own}, headers=VIEWER)).json()
    assert [(v["vendor"], v["figures"]["reviewed"]) for v in internal["current"]["quality"]["vendors"]] == [
        ("Internal teams", 1)]


async def test_operations_period_is_validated_and_needs_a_reader(api: ServiceHarness) -> None:
    bad = problem(await api.client.get("/reviews/operations", params={"start": "2026-11-30", "end": "2026-11-01"},
                                       headers=VIEWER), 422)
    assert "start..end" in bad["detail"]
    assert problem(await api.client.get("/reviews/operations", params=NOV,
                                        headers=bearer("rita", "requester")), 403)
    nothing = (await api.client.get("/reviews/operations", params=NOV, headers=VIEWER)).json()
    assert nothing["current"]["quality"]["overall"] == {"reviewed": 0, "average_score": None,
                                                        "average_score_text": "—", "defects": 0, "by_category": []}


async def test_without_a_period_the_operations_are_of_the_last_thirty_days(api: ServiceHarness) -> None:
    before = datetime.now(UTC).date()
    body = (await api.client.get("/reviews/operations", headers=VIEWER)).json()
    windows = {((d - timedelta(days=59)).isoformat(), (d - timedelta(days=30)).isoformat(),
                (d - timedelta(days=29)).isoformat(), d.isoformat()) for d in (before, datetime.now(UTC).date())}
    assert (body["previous"]["start"], body["previous"]["end"], body["current"]["start"],
            body["current"]["end"]) in windows


def by_key_json(items: list[dict], key: str) -> dict:
    return {item[key]: item for item in items}


__all__ = ["by_key"]
