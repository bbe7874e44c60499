"""Open corrective actions and escalations per team in the reviews' operations data: escalation's case events and
case_action.changed through the broker into the kpi-operations read models; open at the end of each period, the
oldest's age and the 5 oldest with readable titles; a case escalated to another team counts there."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from o2c_cli.testing import Infra, ServiceHarness, bearer, problem
from o2c_common.events.contracts import escalation as esc
from o2c_common.events.examples import example_payload
from o2c_kpi.operations.models import OpsAction, OpsCase
from services.kpi.tests.integration.conftest import VIEWER, wrap
from services.kpi.tests.integration.operations_support import handle, through_broker

pytestmark = pytest.mark.integration

NOV = {"start": "2026-11-01", "end": "2026-11-30"}


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC).replace(hour=hour)


class Case:
    def __init__(self, team: str, number: str, title: str, opened: date) -> None:
        self.fact: dict[str, Any] = {"case_id": uuid.uuid4(), "case_number": number, "owning_team": team,
                                     "category": "portal", "severity": "P2", "tier": "L1", "assignee": None}
        self.title, self.opened = title, opened

    def opened_event(self) -> esc.EscalationOpened:
        return example_payload(esc.EscalationOpened, **self.fact, title=self.title, opened_at=at(self.opened))

    def escalated(self, team: str, day: date) -> esc.EscalationEscalated:
        self.fact.update(owning_team=team, tier="L2")
        return example_payload(esc.EscalationEscalated, **self.fact, from_tier="L1", escalated_at=at(day))

    def resolved(self, day: date) -> esc.EscalationResolved:
        return example_payload(esc.EscalationResolved, **self.fact, resolved_at=at(day), opened_at=at(self.opened))

    def reopened(self, day: date) -> esc.EscalationReopened:
        return example_payload(esc.EscalationReopened, **self.fact, reopened_at=at(day), reopened_count=1)

    def action(self, action_id: uuid.UUID, kind: str, text: str, created: date, due: date, status: str = "open",
               changed: date | None = None) -> esc.CaseActionChanged:
        return example_payload(esc.CaseActionChanged, **self.fact, action_id=action_id, kind=kind, description=text,
                               owner="bill", due_date=due, status=status, title=self.title,
                               change="added" if changed is None else "updated", created_at=at(created),
                               completed_at=at(changed) if status == "done" and changed else None,
                               changed_at=at(changed or created))


async def test_open_escalations_and_corrective_actions_per_team_at_each_period_end(
        api: ServiceHarness, infra: Infra) -> None:
    run = uuid.uuid4().hex[:6]
    team, l2 = f"desk-{run}", f"supervisors-{run}"
    oldest = Case(team, f"ESC-{run}-1", "Portal rejects every PO of ACME", date(2026, 10, 1))
    later = [Case(team, f"ESC-{run}-{n}", f"Case {n}", date(2026, 11, n - 2)) for n in range(3, 9)]  # Nov 1..6
    done = Case(team, f"ESC-{run}-2", "Resolved in November", date(2026, 11, 10))
    moved = Case(team, f"ESC-{run}-9", "Escalated to the supervisors", date(2026, 11, 2))
    a1, a2, a3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    facts = [
        oldest.opened_event(), *[c.opened_event() for c in later],
        done.opened_event(), done.resolved(date(2026, 11, 20)),
        moved.opened_event(), moved.escalated(l2, date(2026, 11, 3)),
        oldest.action(a1, "corrective", "Validate PO numbers before submission", date(2026, 10, 5),
                      date(2026, 11, 15)),
        oldest.action(a2, "preventive", "Train the team on the new portal", date(2026, 11, 2), date(2026, 11, 30)),
        oldest.action(a2, "preventive", "Train the team on the new portal", date(2026, 11, 2), date(2026, 11, 30),
                      status="done", changed=date(2026, 11, 10)),
        oldest.action(a3, "corrective", "Fix the ship-to master data", date(2026, 11, 3), date(2026, 12, 10),
                      status="in_progress", changed=date(2026, 11, 4)),
    ]

    async def ready() -> bool:
        async with api.db.sessionmaker() as s:
            cases = await s.scalar(select(func.count()).where(OpsCase.case_number.like(f"ESC-{run}-%"),
                                                              OpsCase.resolved_at.is_not(None)))
            routed = await s.scalar(select(func.count()).where(OpsCase.owning_team == l2))
            actions = await s.scalar(select(func.count()).where(OpsAction.case_id == oldest.fact["case_id"],
                                                                OpsAction.status != "open"))
            return (cases, routed, actions) == (1, 1, 2)

    await through_broker(api.db, infra.kafka_bootstrap, [wrap(f) for f in facts], ready)

    body = (await api.client.get("/reviews/operations", params={**NOV, "team": team}, headers=VIEWER)).json()
    [mine] = body["current"]["open_work"]
    assert mine["team"] == team
    cases = mine["escalations"]
    assert (cases["count"], cases["oldest_age_days"]) == (7, 60)  # Oct 1 09:00 to Dec 1 00:00
    assert [i["reference"] for i in cases["top"]] == [oldest.fact["case_number"]] + [
        c.fact["case_number"] for c in later[:4]]
    assert cases["top"][0]["title"] == "Portal rejects every PO of ACME"
    assert (cases["top"][0]["age_text"], cases["top"][0]["owner"], cases["top"][0]["detail"]) == (
        "60 days", "—", "P2, L1, Portal")
    actions = mine["corrective_actions"]
    assert (actions["count"], actions["oldest_age_days"]) == (2, 56)
    assert [(i["title"], i["detail"]) for i in actions["top"]] == [
        ("Validate PO numbers before submission", "Corrective action due 2026-11-15 (overdue)"),
        ("Fix the ship-to master data", "Corrective action due 2026-12-10")]

    [before] = body["previous"]["open_work"]  # at the end of October: the oldest case and its first action
    assert (before["escalations"]["count"], before["escalations"]["oldest_age_days"]) == (1, 30)
    assert [i["title"] for i in before["corrective_actions"]["top"]] == ["Validate PO numbers before submission"]

    # the escalated case is the supervisors' now; their vendor agent sees theirs, not the desk's
    theirs = (await api.client.get("/reviews/operations", params=NOV,
                                   headers=bearer("s", "vendor_agent", team=l2))).json()
    assert [(w["team"], w["escalations"]["count"], w["corrective_actions"]["count"])
            for w in theirs["current"]["open_work"]] == [(l2, 1, 0)]
    problem(await api.client.get("/reviews/operations", params={**NOV, "team": team},
                                 headers=bearer("s", "vendor_agent", team=l2)), 403)


async def test_a_reopened_case_is_open_work_again(api: ServiceHarness) -> None:
    run = uuid.uuid4().hex[:6]
    team = f"reopen-{run}"
    case = Case(team, f"ESC-{run}-1", "Credit note still missing", date(2026, 11, 2))

    async def open_cases() -> int:
        body = (await api.client.get("/reviews/operations", params={**NOV, "team": team}, headers=VIEWER)).json()
        return sum(w["escalations"]["count"] for w in body["current"]["open_work"])

    await handle(api.db, [wrap(case.opened_event()), wrap(case.resolved(date(2026, 11, 5)))])
    assert await open_cases() == 0
    await handle(api.db, [wrap(case.reopened(date(2026, 11, 9)))])
    assert await open_cases() == 1
    resolved_at = await api.scalar("SELECT resolved_at FROM kpi_ops_cases WHERE case_id = :c", c=case.fact["case_id"])
    assert resolved_at is None
