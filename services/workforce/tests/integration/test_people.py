"""Item 1: vendors, teams and agents; SOP versions and training; untrained work flagged from work events;
hypercare windows; improvement plans; contingency plans invoked by events. Vendor agents see only their team,
every change is audited and emits its event."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from o2c_common.events.contracts.escalation import EscalationOpened
from o2c_common.events.contracts.invoicing import InvoiceApproved
from o2c_common.events.contracts.kpi import SlaBreached
from services.workforce.tests.conftest import AGENT_A, AGENT_B, LEAD, NOW, SUPERVISOR, VIEWER, Service, problem

pytestmark = pytest.mark.integration


def approved(preparer: str, team: str = "vendor-a", invoice_id: uuid.UUID | None = None) -> InvoiceApproved:
    return InvoiceApproved(invoice_id=invoice_id or uuid.uuid4(), legal_entity="US01", customer_id="C1",
                           currency="USD", amount=Decimal("100.00"), prepared_by=preparer, approved_by="sue",
                           approved_at=NOW, owning_team=team)


async def test_agents_are_created_changed_and_seen_only_by_their_team(service: Service) -> None:
    agents = await service.org()
    page = await service.get("/agents", headers=AGENT_A)
    assert [a["subject"] for a in page["items"]] == ["ana", "carl"]
    assert [a["subject"] for a in (await service.get("/agents", headers=LEAD))["items"]] == ["ana", "ben", "carl"]
    # records about individual people are not a viewer's: it reads teams and performance, not agents
    assert problem(await service.client.get("/agents", headers=VIEWER), 403)["type"].endswith("missing-role")
    assert [t["code"] for t in await service.get("/teams", headers=VIEWER)] == ["vendor-a", "vendor-b"]
    problem(await service.client.get(f"/agents/{agents['ben']['id']}", headers=AGENT_A), 403)
    problem(await service.client.get("/agents", params={"team": "vendor-b"}, headers=AGENT_A), 403)
    assert [t["code"] for t in await service.get("/teams", headers=AGENT_B)] == ["vendor-b"]
    problem(await service.client.post("/agents", json={"subject": "x", "name": "X", "team": "vendor-a",
                                                       "start_date": "2026-01-01"}, headers=AGENT_A), 403)
    unknown = problem(await service.client.post("/agents", json={"subject": "x", "name": "X", "team": "nope",
                                                                 "start_date": "2026-01-01"}, headers=SUPERVISOR), 422)
    assert unknown["errors"][0]["pointer"] == "#/team"

    ben = await service.client.get(f"/agents/{agents['ben']['id']}", headers=LEAD)
    problem(await service.client.patch(f"/agents/{agents['ben']['id']}", json={"exit_date": "2026-12-31"},
                                       headers=LEAD), 428)
    left = await service.client.patch(f"/agents/{agents['ben']['id']}",
                                      json={"exit_date": "2026-12-31", "exit_reason": "resigned",
                                            "shift": {"workdays": [1, 2, 3, 4], "leave_dates": ["2026-12-24"]}},
                                      headers={**LEAD, "If-Match": ben.headers["ETag"]})
    assert left.status_code == 200, left.text
    assert left.json()["exit_date"] == "2026-12-31" and left.json()["workdays"] == [1, 2, 3, 4]
    problem(await service.client.patch(f"/agents/{agents['ben']['id']}", json={"name": "B"},
                                       headers={**LEAD, "If-Match": ben.headers["ETag"]}), 412)
    assert await service.outbox_types() == ["vendor.changed", "vendor.changed", "team.changed", "team.changed",
                                            "agent.changed", "agent.changed", "agent.changed", "agent.changed"]
    actions = [r[0] for r in await service.rows("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-1] == "agent.updated" and actions.count("agent.created") == 3
    chained = await service.scalar("SELECT count(*) FROM audit_chain")
    assert chained == len(actions)  # every audit row linked into the hash chain at commit


async def test_work_on_a_process_without_the_current_sop_is_flagged_until_trained(service: Service) -> None:
    agents = await service.org()
    await service.post("/sops", {"code": "SOP-BILL", "title": "Invoice preparation",
                                 "processes": ["invoice_preparation"]})
    problem(await service.client.post("/sops", json={"code": "SOP-BILL", "title": "Again",
                                                     "processes": ["invoice_preparation"]}, headers=SUPERVISOR), 409)
    effective = (NOW - timedelta(days=3)).date().isoformat()
    published = await service.post("/sops/SOP-BILL/versions", {"effective_from": effective, "summary": "PO check"})
    assert published["number"] == 1 and published["assigned"] == 3  # every agent skilled in the process

    await service.handle(approved("ana"))
    await service.handle(approved("ana"))
    await service.handle(approved("someone-unknown"))
    flags = (await service.get("/training/flags"))["items"]
    assert [(f["agent_id"], f["process"], f["items"]) for f in flags] == [
        (agents["ana"]["id"], "invoice_preparation", 2)]
    assert (await service.get("/training/flags", headers=AGENT_B))["items"] == []
    assert await service.outbox_types() == [*["vendor.changed"] * 2, *["team.changed"] * 2, *["agent.changed"] * 3,
                                            "sop.created", *["training.assigned"] * 3, "sop.version_published",
                                            "agent.untrained_work_flagged"]

    mine = (await service.get("/training/assignments", headers=AGENT_A, agent_id=agents["ana"]["id"]))["items"]
    problem(await service.client.post(f"/training/assignments/{mine[0]['id']}/completion",
                                      headers=AGENT_B), 403)
    carl = (await service.get("/training/assignments", agent_id=agents["carl"]["id"]))["items"][0]
    problem(await service.client.post(f"/training/assignments/{carl['id']}/completion", headers=AGENT_A), 403)
    done = await service.post(f"/training/assignments/{mine[0]['id']}/completion", {}, headers=AGENT_A)
    assert done["status"] == "completed"
    assert (await service.get("/training/flags"))["items"] == []
    await service.handle(approved("ana"))  # trained now: no new flag
    assert (await service.get("/training/flags"))["items"] == []
    assert (await service.outbox_types())[-1] == "training.completed"


async def test_hypercare_window_runs_daily_reviews_and_closes(service: Service) -> None:
    await service.org()
    today = NOW.date()
    window = await service.post("/hypercare", {"team": "vendor-a", "process": "invoice_submission",
                                               "starts_on": (today - timedelta(days=30)).isoformat(),
                                               "ends_on": (today + timedelta(days=30)).isoformat(),
                                               "target_minutes": {"invoice_submission": 120}})
    problem(await service.client.post("/hypercare", json={"team": "vendor-a", "starts_on": "2026-12-02",
                                                          "ends_on": "2026-12-01"}, headers=SUPERVISOR), 422)
    first = (today - timedelta(days=30)).isoformat()
    reviewed = await service.post(f"/hypercare/{window['id']}/reviews", {"review_date": first,
                                                                          "findings": "3 rejections, all PO"})
    assert first not in [str(d) for d in reviewed["missing_reviews"]] and reviewed["missing_reviews"]
    problem(await service.client.post(f"/hypercare/{window['id']}/reviews",
                                      json={"review_date": first, "findings": "again"}, headers=SUPERVISOR), 409)
    assert await service.get("/hypercare", headers=AGENT_B) == []
    problem(await service.client.post(f"/hypercare/{window['id']}/reviews",
                                      json={"review_date": first, "findings": "x"}, headers=AGENT_A), 403)
    closed = await service.post(f"/hypercare/{window['id']}/closure", {})
    assert closed["closed_at"] is not None
    assert (await service.outbox_types())[-3:] == ["hypercare.changed"] * 3


async def test_improvement_plan_is_reviewed_and_closed_with_an_outcome(service: Service) -> None:
    agents = await service.org()
    plan = await service.post("/improvement-plans", {"agent_id": agents["carl"]["id"], "starts_on": "2026-12-01",
                                                     "ends_on": "2027-01-31", "goals": ["Quality 95 %"]})
    problem(await service.client.post("/improvement-plans", json={
        "agent_id": agents["carl"]["id"], "starts_on": "2026-12-01", "ends_on": "2027-01-31", "goals": ["x"]},
        headers=SUPERVISOR), 409)
    await service.post(f"/improvement-plans/{plan['id']}/reviews", {"review_date": "2026-12-15",
                                                                    "progress": "on_track", "notes": "better"})
    closed = await service.post(f"/improvement-plans/{plan['id']}/closure", {"outcome": "succeeded",
                                                                              "note": "goals met"})
    assert closed["status"] == "closed" and closed["outcome"] == "succeeded" and len(closed["reviews"]) == 1
    problem(await service.client.post(f"/improvement-plans/{plan['id']}/closure",
                                      json={"outcome": "exited", "note": "x"}, headers=SUPERVISOR), 409)
    assert await service.get("/improvement-plans", headers=AGENT_B) == []
    assert len(await service.get("/improvement-plans", headers=AGENT_A)) == 1
    assert (await service.outbox_types())[-3:] == ["improvement_plan.changed"] * 3


def escalation(category: str) -> EscalationOpened:
    return EscalationOpened(case_id=uuid.uuid4(), case_number="ESC-1", category=category, severity="P2",  # type: ignore[arg-type]
                            tier="L1", owning_team="vendor-a", source="api", title="Portal down", opened_at=NOW,
                            acknowledge_due_at=NOW, resolve_due_at=NOW)


async def test_contingency_plans_are_invoked_once_by_matching_events_and_by_hand(service: Service) -> None:
    portal = await service.post("/contingency-plans", {
        "name": "Portal outage", "process": "invoice_submission", "trigger": "escalation_opened", "match": "portal",
        "owner": "lee", "steps": ["Switch to e-mail delivery", "Tell the customers' AP"]})
    sla = await service.post("/contingency-plans", {
        "name": "First pass low", "process": "invoice_preparation", "trigger": "sla_breached",
        "match": "first_pass_acceptance_rate", "owner": "sue", "steps": ["Second check of every PO"]})
    case = escalation("portal")
    await service.handle(case)
    await service.handle(case)  # the same fact again
    await service.handle(escalation("billing"))  # no plan for billing
    breach = SlaBreached(breach_key="k1", breach_id=uuid.uuid4(), sla_id="s", sla_name="First-pass acceptance",
                         metric="first_pass_acceptance_rate", unit="percent", scope_type="team",
                         scope_value="vendor-a", comparator="ge", target=Decimal("95"), severity="P2",
                         window_start=NOW, window_end=NOW, actual=Decimal("80"), breached_at=NOW)
    await service.handle(breach)
    invoked = await service.get(f"/contingency-plans/{portal['id']}/invocations")
    assert [i["source_key"] for i in invoked] == [f"escalation:{case.case_id}"]
    [by_sla] = await service.get(f"/contingency-plans/{sla['id']}/invocations")
    assert by_sla["reason"] == "SLA First-pass acceptance for vendor-a breached: 80 % against a target of 95 %"
    await service.post(f"/contingency-plans/{sla['id']}/invocations", {"reason": "vendor asked"}, headers=LEAD)
    assert len(await service.get(f"/contingency-plans/{sla['id']}/invocations")) == 2
    assert await service.outbox_types() == ["contingency_plan.changed"] * 2 + ["contingency_plan.invoked"] * 3
    problem(await service.client.post(f"/contingency-plans/{sla['id']}/invocations", json={"reason": "x"},
                                      headers=AGENT_A), 403)


async def test_a_retried_create_with_an_idempotency_key_returns_the_first_answer(service: Service) -> None:
    agents = await service.org()
    await service.post("/sops", {"code": "SOP-CASH", "title": "Cash", "processes": ["cash_application"]})
    key = {**SUPERVISOR, "Idempotency-Key": "publish-cash-2"}
    body = {"effective_from": "2026-12-01", "summary": "v1"}
    first = await service.client.post("/sops/SOP-CASH/versions", json=body, headers=key)
    again = await service.client.post("/sops/SOP-CASH/versions", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    plan_key = {**SUPERVISOR, "Idempotency-Key": "pip-carl"}
    plan = {"agent_id": agents["carl"]["id"], "starts_on": "2026-12-01", "ends_on": "2027-01-31", "goals": ["Q"]}
    assert (await service.client.post("/improvement-plans", json=plan, headers=plan_key)).status_code == 201
    assert (await service.client.post("/improvement-plans", json=plan, headers=plan_key)).status_code == 201
    types = await service.outbox_types()
    assert types.count("sop.version_published") == 1 and types.count("improvement_plan.changed") == 1
