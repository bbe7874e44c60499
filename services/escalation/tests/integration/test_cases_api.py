from __future__ import annotations

import pytest

from services.escalation.tests.conftest import (
    ADMIN,
    AGENT_A,
    AGENT_B,
    LEAD,
    OTHER_REQUESTER,
    REQUESTER,
    SUPERVISOR,
    Service,
    ids,
    problem,
)

pytestmark = pytest.mark.integration


async def test_open_case_routes_to_l1_starts_clocks_and_emits_opened(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a", customer_id="CUST-1")
    assert case["tier"] == "L1" and case["owning_team"] == "vendor-a" and case["status"] == "open"
    assert case["acknowledge_due_at"] is not None and case["resolve_due_at"] is not None
    assert await service.outbox_types() == ["escalation.opened"]
    timers = await service.rows("SELECT clock, status, target_seconds FROM sla_timers ORDER BY clock")
    assert [(c, s) for c, s, _ in timers] == [("acknowledge", "running"), ("resolve", "running")]


async def test_full_lifecycle_with_if_match_history_comments_and_action_plan(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    url = f"/cases/{case['id']}"
    no_match = await service.client.post(f"{url}/transitions", json={"action": "acknowledge"}, headers=AGENT_A)
    problem(no_match, 428)
    stale = await service.client.post(f"{url}/transitions", json={"action": "acknowledge"},
                                      headers={**AGENT_A, "If-Match": f'"{case["id"]}:99"'})
    problem(stale, 412)
    for action in ("acknowledge", "start", "wait_on_requester"):
        assert (await service.transition(case["id"], action, AGENT_A)).status_code == 200
    assert (await service.transition(case["id"], "resume", REQUESTER)).status_code == 200
    problem(await service.transition(case["id"], "close", AGENT_A), 409)  # not resolved yet
    resolved = await service.transition(case["id"], "resolve", AGENT_A, resolution="fixed", root_cause="po_mismatch")
    assert resolved.status_code == 200 and resolved.json()["root_cause"] == "po_mismatch"
    reopened = await service.transition(case["id"], "reopen", REQUESTER)
    assert reopened.json()["reopened_count"] == 1 and reopened.json()["status"] == "in_progress"
    await service.transition(case["id"], "resolve", AGENT_A, resolution="workaround")
    closed = await service.transition(case["id"], "close", REQUESTER)
    assert closed.json()["status"] == "closed"
    history = (await service.client.get(f"{url}/history", headers=REQUESTER)).json()
    assert [h["to_status"] for h in history["status"]] == [
        "open", "acknowledged", "in_progress", "waiting_on_requester", "in_progress", "resolved", "in_progress",
        "resolved", "closed"]
    assert await service.outbox_types() == ["escalation.opened", "escalation.acknowledged", "escalation.resolved",
                                            "escalation.reopened", "escalation.resolved"]

    comment = await service.client.post(f"{url}/comments", json={"body": "Called AP"}, headers=REQUESTER)
    assert comment.status_code == 201
    assert [c["body"] for c in (await service.client.get(f"{url}/comments", headers=AGENT_A)).json()["items"]] == [
        "Called AP"]
    action = await service.client.post(f"{url}/actions", headers=AGENT_A, json={
        "kind": "preventive", "description": "Validate PO", "owner": "bill", "due_date": "2026-12-01"})
    assert action.status_code == 201, action.text
    done = await service.client.patch(f"{url}/actions/{action.json()['id']}", json={"status": "done"},
                                      headers={**AGENT_A, "If-Match": action.headers["ETag"]})
    assert done.status_code == 200 and done.json()["completed_at"] is not None
    audit = await service.scalar("SELECT count(*) FROM audit_log WHERE entity_id = :c", c=case["id"])
    assert audit >= 12


async def test_assignment_reassignment_manual_escalation_and_contingency_plan(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    url = f"/cases/{case['id']}"
    etag = (await service.client.get(url, headers=AGENT_A)).headers["ETag"]
    assigned = await service.client.put(f"{url}/assignment", json={"assignee": "agent-a"},
                                        headers={**AGENT_A, "If-Match": etag})
    assert assigned.json()["assignee"] == "agent-a"
    moved = await service.client.put(f"{url}/assignment", json={"assignee": None, "team": "vendor-b"},
                                     headers={**AGENT_A, "If-Match": assigned.headers["ETag"]})
    problem(moved, 403)  # agents do not move cases to other teams
    moved = await service.client.put(f"{url}/assignment", json={"assignee": "agent-b", "team": "vendor-b"},
                                     headers={**SUPERVISOR, "If-Match": assigned.headers["ETag"]})
    assert moved.json()["owning_team"] == "vendor-b"
    plan = await service.client.put(f"{url}/contingency-plan", json={"url": "https://wiki.example.com/plan-7"},
                                    headers={**SUPERVISOR, "If-Match": moved.headers["ETag"]})
    assert plan.json()["contingency_plan_url"] == "https://wiki.example.com/plan-7"
    escalated = await service.client.post(f"{url}/escalate", json={"reason": "CFO involved"},
                                          headers={**SUPERVISOR, "If-Match": plan.headers["ETag"]})
    assert (escalated.json()["tier"], escalated.json()["owning_team"]) == ("L2", "ar-supervisors")
    history = (await service.client.get(f"{url}/history", headers=SUPERVISOR)).json()["ownership"]
    assert [(h["team"], h["assignee"], h["reason"]) for h in history] == [
        ("vendor-a", None, "routed"), ("vendor-a", "agent-a", "assigned"), ("vendor-b", "agent-b", "reassigned"),
        ("ar-supervisors", None, "manual")]
    # vendor-a still sees it (its account), vendor-b no longer works it
    assert (await service.client.get(url, headers=AGENT_A)).status_code == 200
    problem(await service.client.get(url, headers=AGENT_B), 404)


async def test_access_rules_and_views(service: Service) -> None:
    mine = await service.open_case(REQUESTER, owning_team="vendor-a", category="billing")
    other = await service.open_case(OTHER_REQUESTER, owning_team="vendor-b", category="dispute", severity="P1")
    visible = {
        "rita": REQUESTER, "otto": OTHER_REQUESTER, "agent-a": AGENT_A, "agent-b": AGENT_B, "sue": SUPERVISOR,
        "lee": LEAD, "ada": ADMIN}
    expected = {"rita": {mine["id"]}, "otto": {other["id"]}, "agent-a": {mine["id"]}, "agent-b": {other["id"]},
                "sue": {mine["id"], other["id"]}, "lee": {mine["id"], other["id"]}, "ada": {mine["id"], other["id"]}}
    for who, headers in visible.items():
        assert ids((await service.client.get("/cases", headers=headers)).json()["items"]) == expected[who], who
    problem(await service.client.get(f"/cases/{other['id']}", headers=REQUESTER), 404)
    problem(await service.transition(mine["id"], "acknowledge", REQUESTER), 403)  # requesters do not work cases
    problem(await service.transition(mine["id"], "acknowledge", AGENT_B), 404)
    queue = (await service.client.get("/views/team-queue", headers=AGENT_A)).json()["items"]
    assert ids(queue) == {mine["id"]}
    problem(await service.client.get("/views/team-queue?team=vendor-b", headers=AGENT_A), 403)
    all_queue = (await service.client.get("/views/team-queue", headers=SUPERVISOR)).json()["items"]
    assert [c["severity"] for c in all_queue] == ["P1", "P2"]
    assert ids((await service.client.get("/views/my-cases", headers=REQUESTER)).json()["items"]) == {mine["id"]}
    counts = (await service.client.get("/views/counts?by=category", headers=SUPERVISOR)).json()
    assert {r["key"]: r["count"] for r in counts["rows"]} == {"billing": 1, "dispute": 1}
    by_status = (await service.client.get("/views/counts", headers=SUPERVISOR)).json()
    assert {r["key"]: r["count"] for r in by_status["rows"]} == {"open": 2}
    aging = (await service.client.get("/views/aging", headers=AGENT_A)).json()
    assert [(r["severity"], r["buckets"]["0-1d"]) for r in aging["rows"]] == [("P2", 1)]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/cases", {"title": "x"}),
    ("post", "/cases", {"title": "Stuck", "description": "d", "requester_function": "sales", "category": "nope",
                        "severity": "P2"}),
    ("post", "/cases", {"title": "Stuck", "description": "d", "requester_function": "sales", "category": "portal",
                        "severity": "P9", "extra": 1}),
    ("get", "/cases?limit=0", None),
    ("get", "/cases?status=sleeping", None),
    ("get", "/cases/not-a-uuid", None),
    ("post", "/cases/{id}/transitions", {"action": "dance"}),
    ("post", "/cases/{id}/transitions", {"action": "resolve"}),
    ("post", "/cases/{id}/transitions", {"action": "acknowledge", "resolution": "fixed"}),
    ("post", "/cases/{id}/escalate", {"reason": ""}),
    ("put", "/cases/{id}/assignment", {"assignee": ""}),
    ("put", "/cases/{id}/contingency-plan", {"url": "ftp is not http"}),
    ("post", "/cases/{id}/comments", {"body": ""}),
    ("post", "/cases/{id}/actions", {"kind": "corrective", "description": "x", "owner": "o", "due_date": "soon"}),
    ("get", "/views/counts?by=mood", None),
    ("put", "/calendars/vendor-a", {"time_zone": "Mars/Olympus", "work_start": "13:00", "work_end": "23:00",
                                    "workdays": [1]}),
    ("put", "/calendars/vendor-a", {"time_zone": "UTC", "work_start": "13:00", "work_end": "13:00",
                                    "workdays": [1]}),
    ("put", "/calendars/vendor-a", {"time_zone": "UTC", "work_start": "09:00", "work_end": "17:00",
                                    "workdays": [0, 8]}),
    ("put", "/sla-policies/P1", {"acknowledge_minutes": 0, "resolve_minutes": 10}),
    ("put", "/sla-policies/P7", {"acknowledge_minutes": 10, "resolve_minutes": 10}),
    ("post", "/routing-rules", {"name": "r", "priority": -1, "team": "t"}),
    ("post", "/routing-rules", {"name": "r", "priority": 1, "team": "has space"}),
])
async def test_bad_input_is_a_problem_and_writes_nothing(service: Service, method: str, path: str,
                                                         body: dict[str, object] | None) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    etag = (await service.client.get(f"/cases/{case['id']}", headers=SUPERVISOR)).headers["ETag"]
    before = await service.scalar("SELECT count(*) FROM audit_log")
    version = await service.scalar("SELECT version FROM cases")
    response = await service.client.request(method, path.replace("{id}", case["id"]), json=body,
                                            headers={**SUPERVISOR, "If-Match": etag})
    problem(response, 422)
    assert await service.scalar("SELECT count(*) FROM audit_log") == before
    assert await service.scalar("SELECT version FROM cases") == version


async def test_every_endpoint_but_health_requires_a_token(service: Service) -> None:
    for route in service.app.routes:
        path = getattr(route, "path", "")
        if path.startswith(("/health", "/metrics", "/docs", "/openapi", "/redoc")):
            continue
        for method in getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}:
            concrete = path.replace("{case_id}", "00000000-0000-0000-0000-000000000000")
            for name in ("{action_id}", "{rule_id}", "{delivery_id}", "{subscription_id}"):
                concrete = concrete.replace(name, "00000000-0000-0000-0000-000000000000")
            concrete = concrete.replace("{team}", "t").replace("{severity}", "P1")
            problem(await service.client.request(method, concrete, json={}), 401)


async def test_calendar_routing_and_policy_management(service: Service) -> None:
    problem(await service.client.put("/calendars/vendor-a", headers=AGENT_A, json={
        "time_zone": "Asia/Kolkata", "work_start": "13:00", "work_end": "23:00", "workdays": [1, 2, 3, 4, 5]}), 403)
    put = await service.client.put("/calendars/vendor-a", headers=SUPERVISOR, json={
        "time_zone": "Asia/Kolkata", "work_start": "13:00", "work_end": "23:00", "workdays": [5, 1, 2, 3, 4],
        "holidays": ["2026-12-25"]})
    assert put.status_code == 200 and put.json()["workdays"] == [1, 2, 3, 4, 5]
    policy = await service.client.put("/sla-policies/P2", headers=LEAD,
                                      json={"acknowledge_minutes": 90, "resolve_minutes": 600})
    assert policy.json()["acknowledge_minutes"] == 90
    case = await service.open_case(REQUESTER, owning_team="vendor-a")
    timers = await service.rows("SELECT target_seconds, team FROM sla_timers WHERE case_id = :c ORDER BY clock",
                                c=case["id"])
    assert [tuple(t) for t in timers] == [(5400, "vendor-a"), (36000, "vendor-a")]
    due = case["acknowledge_due_at"]
    assert due.endswith(("T07:30:00Z", "T08:30:00Z")) or "T" in due  # within a Kolkata mid-shift (13:00-23:00 IST)
    rules = await service.client.get("/routing-rules", headers=AGENT_A)
    assert rules.status_code == 200 and rules.json() == []
