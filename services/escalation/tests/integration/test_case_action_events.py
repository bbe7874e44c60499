"""A case's corrective and preventive actions are published (case_action.changed), so kpi can show the open ones
per team in the reviews."""

from __future__ import annotations

import json

import pytest

from services.escalation.tests.conftest import AGENT_A, REQUESTER, Service

pytestmark = pytest.mark.integration


async def test_adding_and_changing_an_action_emits_case_action_changed(service: Service) -> None:
    case = await service.open_case(REQUESTER, owning_team="vendor-a", title="PO rejected at ACME")
    url = f"/cases/{case['id']}/actions"
    added = await service.client.post(url, headers=AGENT_A, json={
        "kind": "corrective", "description": "Validate PO numbers", "owner": "bill", "due_date": "2026-12-01"})
    assert added.status_code == 201, added.text
    done = await service.client.patch(f"{url}/{added.json()['id']}", json={"status": "done"},
                                      headers={**AGENT_A, "If-Match": added.headers["ETag"]})
    assert done.status_code == 200, done.text
    rows = await service.rows("SELECT key, payload FROM outbox WHERE event_type = 'o2c.case_action.changed.v1' "
                              "ORDER BY id")
    events = [json.loads(bytes(payload)) for _, payload in rows]
    assert {key for key, _ in rows} == {case["id"]}  # keyed by case: in order with the case's other events
    assert [(e["change"], e["status"], e["kind"], e["owning_team"], e["title"]) for e in events] == [
        ("added", "open", "corrective", "vendor-a", "PO rejected at ACME"),
        ("updated", "done", "corrective", "vendor-a", "PO rejected at ACME")]
    assert events[0]["completed_at"] is None and events[1]["completed_at"] is not None
    assert events[1]["action_id"] == added.json()["id"] and events[1]["case_number"] == case["number"]
