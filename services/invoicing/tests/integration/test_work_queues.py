"""Stalled-invoice detection (once per stall, invoice.stalled, cleared by a status change) and the work queues
by owner and team, with counts and cursor pages; vendor agents confined to their team."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from o2c_common.auth import Principal
from o2c_invoicing.invoices import repository
from o2c_invoicing.invoices.lifecycle import move
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.workqueues.stalls import sweep_once
from services.invoicing.tests.conftest import (
    AGENT_A,
    AGENT_B,
    INTEGRATION,
    PREPARER,
    SUPERVISOR,
    VIEWER,
    Service,
    problem,
    token,
)

pytestmark = pytest.mark.integration


async def _move(service: Service, invoice_id: str, to: str) -> None:
    async with service.app.state.transactions.begin(Principal(subject="portal:test", kind="service")) as tx:
        invoice = await repository.get(tx.session, invoice_id=uuid.UUID(invoice_id), for_update=True)
        assert invoice is not None
        await move(tx, invoice, to=InvoiceStatus(to))


async def _age(service: Service, invoice_id: str, days: int) -> None:
    await service.execute("UPDATE invoices SET status_since = now() - make_interval(days => :days) WHERE id = :id",
                          days=days, id=uuid.UUID(invoice_id))


async def _sweep(service: Service) -> int:
    return await sweep_once(service.app.state.transactions, settings=service.settings)


async def test_a_stalled_invoice_is_reported_once_per_stall(service: Service) -> None:
    issued = await service.issued()
    recent = await service.issued()
    draft = await service.create()
    historical = await service.client.post("/invoices/historical", headers=INTEGRATION, json={
        "legal_entity": "US01", "customer_id": "C-H", "currency": "USD", "number": "H-1", "issue_date": "2013-01-02",
        "due_date": "2013-02-01", "lines": [{"description": "old", "quantity": "1", "unit_price": "10"}]})
    assert historical.status_code == 201
    for invoice_id in (issued["id"], draft["id"], historical.json()["id"]):
        await _age(service, invoice_id, service.settings.stalled_after_days + 1)
    await _age(service, recent["id"], service.settings.stalled_after_days - 1)
    etag = (await service.client.get(f"/invoices/{issued['id']}", headers=VIEWER)).headers["ETag"]
    events_before = (await service.outbox_types()).count("invoice.stalled")

    assert await _sweep(service) == 1
    assert await _sweep(service) == 0  # once per stall
    assert (await service.outbox_types()).count("invoice.stalled") == events_before + 1
    payload = json.loads(await service.scalar("SELECT payload FROM outbox WHERE event_type = 'o2c.invoice.stalled.v1'"))
    assert payload["invoice_id"] == issued["id"] and payload["status"] == "issued"
    assert payload["days_without_change"] == service.settings.stalled_after_days + 1
    assert payload["owner"] == "pat" and payload["threshold_days"] == service.settings.stalled_after_days
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action = 'invoice.stalled'") == 1
    history = (await service.client.get(f"/invoices/{issued['id']}/history", headers=VIEWER)).json()
    assert history[-1]["note"].startswith("stalled: no status change for")
    current = await service.client.get(f"/invoices/{issued['id']}", headers=VIEWER)
    assert current.headers["ETag"] == etag  # marking does not invalidate the preparer's If-Match
    stalled = (await service.client.get("/work-queues/stalled", headers=VIEWER)).json()["items"]
    assert [i["id"] for i in stalled] == [issued["id"]]

    await _move(service, issued["id"], "submitted")  # a status change clears the stall …
    assert (await service.client.get("/work-queues/stalled", headers=VIEWER)).json()["items"] == []
    await _age(service, issued["id"], service.settings.stalled_after_days + 2)
    assert await _sweep(service) == 1  # … and a new stall is reported again
    assert (await service.outbox_types()).count("invoice.stalled") == events_before + 2


async def test_work_queues_by_owner_and_team_with_counts_and_pages(service: Service) -> None:
    other = token("pia", "billing_specialist")
    pending = []
    for headers, team in ((PREPARER, "vendor-a"), (PREPARER, "vendor-a"), (PREPARER, "vendor-b"),
                          (other, "vendor-a")):
        invoice = await service.create(headers=headers, owning_team=team)
        assert (await service.act(invoice["id"], "request-approval", headers)).status_code == 200
        pending.append(invoice["id"])
    today = datetime.now(UTC).date()
    due_soon = await service.issued(issue_date=(today - timedelta(days=25)).isoformat(), owning_team="vendor-a")
    overdue = await service.issued(issue_date=(today - timedelta(days=40)).isoformat(), owning_team="vendor-a")
    later = await service.issued(issue_date=today.isoformat(), owning_team="vendor-a")
    rejected = await service.issued(owning_team="vendor-b")
    await _move(service, rejected["id"], "portal_rejected")

    counts = await _counts(service, VIEWER)
    quiet = {"submission_refused": 0, "delivery_failed": 0, "customer_says_paid_no_cash": 0,
             "amendment_awaiting_approval": 0, "rebill_awaiting_approval": 0}
    assert counts == {"awaiting_approval": 4, "rejected_awaiting_correction": 1, "stalled": 0,
                      "due_soon_without_portal_approval": 2, "not_submitted": 3, **quiet}
    assert (await _counts(service, VIEWER, owner="pia"))["awaiting_approval"] == 1
    assert (await _counts(service, VIEWER, team="vendor-b")) == {
        "awaiting_approval": 1, "rejected_awaiting_correction": 1, "stalled": 0,
        "due_soon_without_portal_approval": 0, "not_submitted": 0, **quiet}

    first = (await service.client.get("/work-queues/awaiting_approval", headers=VIEWER,
                                      params={"owner": "pat", "limit": 2})).json()
    assert first["next_cursor"] is not None
    second = (await service.client.get("/work-queues/awaiting_approval", headers=VIEWER,
                                       params={"owner": "pat", "limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in first["items"] + second["items"]] == pending[:3] and second["next_cursor"] is None
    assert first["items"][0]["owner"] == "pat" and first["items"][0]["days_in_status"] == 0

    due = (await service.client.get("/work-queues/due_soon_without_portal_approval", headers=VIEWER)).json()
    assert [i["id"] for i in due["items"]] == [overdue["id"], due_soon["id"]]  # soonest due first
    assert due["items"][1]["days_to_due"] == 5 and due["items"][0]["days_to_due"] == -10
    assert later["id"] not in {i["id"] for i in due["items"]}
    rejected_queue = (await service.client.get("/work-queues/rejected_awaiting_correction", headers=VIEWER)).json()
    assert [i["id"] for i in rejected_queue["items"]] == [rejected["id"]]

    # vendor agents: their team only, another team is a 403
    assert (await _counts(service, AGENT_A))["awaiting_approval"] == 3
    agent_b = (await service.client.get("/work-queues/awaiting_approval", headers=AGENT_B)).json()["items"]
    assert [i["id"] for i in agent_b] == [pending[2]]
    problem(await service.client.get("/work-queues", headers=AGENT_A, params={"team": "vendor-b"}), 403)
    problem(await service.client.get("/work-queues/stalled", headers=AGENT_B, params={"team": "vendor-a"}), 403)


async def test_work_queue_bad_input_is_a_problem(service: Service) -> None:
    problem(await service.client.get("/work-queues"), 401)
    problem(await service.client.get("/work-queues", headers=INTEGRATION), 403)
    problem(await service.client.get("/work-queues/nonsense", headers=VIEWER), 422)
    problem(await service.client.get("/work-queues/stalled", headers=VIEWER, params={"limit": 0}), 422)
    problem(await service.client.get("/work-queues/stalled", headers=VIEWER, params={"cursor": "%%%"}), 422)
    assert (await service.client.get("/work-queues", headers=SUPERVISOR)).status_code == 200


async def _counts(service: Service, headers: dict[str, str], **params: Any) -> dict[str, int]:
    response = await service.client.get("/work-queues", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return {q["queue"]: q["count"] for q in response.json()["queues"]}
