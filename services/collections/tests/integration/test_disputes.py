"""Disputes on a real database: opened by a collector and from a contested portal rejection (idempotent),
worked (owner, root cause, actions) and resolved; disputed amounts are held out of matching."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from o2c_collections.main import consumers
from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from services.collections.tests.conftest import AGENT_B, COLLECTOR, SUPERVISOR, Service, problem, token

SUPERVISOR_2 = token("sam", "ar_supervisor")


async def handle(service: Service, payload: EventPayload, event: Event | None = None) -> None:
    """The service's consumer handler for one event inside one unit of work, as the consumer runs it."""
    spec = consumers(service.settings)[0]
    event = event or Event.new(payload, source="/o2c/tests")
    async with service.transactions.begin("system:collections") as tx:
        await spec.handlers[type(payload)](tx, event)


def rejection(invoice_id: uuid.UUID, *, submission: uuid.UUID, contested: bool) -> InvoicePortalRejected:
    return InvoicePortalRejected(invoice_id=invoice_id, invoice_number="INV-P1", legal_entity="US01",
                                 customer_id="CUST-1", submission_id=submission, attempt=1, channel="coupa",
                                 portal_reason_code="PRC-1", reason="price_mismatch", root_cause="pricing",
                                 disputes_charge=contested, rejection_count=1,
                                 rejected_at=datetime(2026, 2, 3, 9, tzinfo=UTC))


async def transition(service: Service, dispute_id: str, method: str, path: str, body: dict[str, Any],
                     headers: dict[str, str]) -> Any:
    etag = (await service.client.get(f"/disputes/{dispute_id}", headers=headers)).headers["ETag"]
    return await service.client.request(method, f"/disputes/{dispute_id}{path}", json=body,
                                        headers={**headers, "If-Match": etag})


async def test_collector_dispute_is_held_out_of_matching_worked_and_credited(service: Service) -> None:
    inv = await service.issue("INV-X1", "300.00")
    opened = await service.client.post("/disputes", json={"invoice_id": str(inv), "amount": "100.00",
                                                          "reason": "pricing"},
                                       headers={**COLLECTOR, "Idempotency-Key": "dsp-1"})
    assert opened.status_code == 201, opened.text
    again = await service.client.post("/disputes", json={"invoice_id": str(inv), "amount": "100.00",
                                                         "reason": "pricing"},
                                      headers={**COLLECTOR, "Idempotency-Key": "dsp-1"})
    assert again.json()["id"] == opened.json()["id"]
    dispute = opened.json()
    assert (dispute["status"], dispute["owner"], dispute["source"]) == ("open", "carl", "collector")
    paid = await service.pay("300.00")  # the full amount no longer fits the undisputed 200.00
    assert paid["status"] == "unapplied"
    too_much = await service.client.post("/disputes", json={"invoice_id": str(inv), "amount": "250.00",
                                                            "reason": "pricing"}, headers=COLLECTOR)
    assert problem(too_much, 409)["type"].endswith("nothing-to-dispute")
    worked = await transition(service, dispute["id"], "PATCH", "", {"owner": "pat", "root_cause": "pricing",
                                                                     "corrective_action": "fix price list"},
                              COLLECTOR)
    assert worked.status_code == 200, worked.text
    assert worked.json()["owner"] == "pat" and worked.json()["corrective_action"] == "fix price list"
    resolved = await transition(service, dispute["id"], "POST", "/resolution",
                                {"outcome": "partially_credited", "credited_amount": "40.00",
                                 "root_cause": "pricing", "preventive_action": "price check before issue"},
                                COLLECTOR)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "credit_requested"  # another person approves the credit (issue 13)
    resolved = await transition(service, dispute["id"], "POST", "/credit-decision", {"approve": True}, SUPERVISOR)
    assert resolved.json()["status"] == "resolved" and resolved.json()["outcome"] == "partially_credited"
    assert await service.scalar("SELECT disputed_amount FROM open_items WHERE invoice_id = :i", i=inv) == 0
    types = await service.outbox_types()
    assert types.count("dispute.opened") == 1 and types[-2:] == ["credit_note.requested", "dispute.resolved"]
    raw = await service.scalar("SELECT payload FROM outbox WHERE event_type = 'o2c.dispute.resolved.v1'")
    event = json.loads(raw)
    assert Decimal(event["credited_amount"]) == 40 and event["corrective_action"] == "fix price list"
    closed = await transition(service, dispute["id"], "POST", "/resolution",
                              {"outcome": "withdrawn", "root_cause": "other"}, COLLECTOR)
    assert problem(closed, 409)["type"].endswith("dispute-not-open")


async def test_contested_portal_rejection_opens_one_dispute_even_when_redelivered(service: Service) -> None:
    inv = await service.issue("INV-P1", "500.00")
    submission = uuid.uuid4()
    fact = rejection(inv, submission=submission, contested=True)
    event = Event.new(fact, source="/o2c/invoicing")
    await handle(service, fact, event)
    await handle(service, fact)  # the same fact again under a new event id
    await handle(service, rejection(inv, submission=uuid.uuid4(), contested=False))  # a correctable defect
    rows = await service.rows("SELECT source, reason, root_cause, amount, opened_date::text FROM disputes")
    assert rows == [("portal_rejection", "pricing", "pricing", Decimal("500.000000"), "2026-02-03")]
    assert (await service.outbox_types()).count("dispute.opened") == 1
    assert await service.scalar("SELECT disputed_amount FROM open_items WHERE invoice_id = :i", i=inv) == 500


async def test_a_dispute_write_off_needs_a_second_supervisor(service: Service) -> None:
    inv = await service.issue("INV-X2", "80.00")
    opened = await service.client.post("/disputes", json={"invoice_id": str(inv), "reason": "quality"},
                                       headers=COLLECTOR)
    assert opened.json()["amount"] == "80.00"
    dispute_id = opened.json()["id"]
    body = {"outcome": "written_off", "root_cause": "quality", "corrective_action": "replace the batch"}
    asked = await transition(service, dispute_id, "POST", "/resolution", body, COLLECTOR)  # the preparer
    assert asked.status_code == 200, asked.text
    assert (asked.json()["status"], asked.json()["write_off_requested_by"]) == ("write_off_requested", "carl")
    assert await service.open_amount(inv) == 80 and "dispute.resolved" not in await service.outbox_types()
    decision = "/write-off-decision"
    assert problem(await transition(service, dispute_id, "POST", decision, {"approve": True}, COLLECTOR), 403)
    rejected = await transition(service, dispute_id, "POST", decision, {"approve": False, "note": "chase"},
                                SUPERVISOR)
    assert rejected.json()["status"] == "open"
    asked = await transition(service, dispute_id, "POST", "/resolution", body, SUPERVISOR)  # a supervisor asks
    assert asked.status_code == 200, asked.text
    own = await transition(service, dispute_id, "POST", decision, {"approve": True}, SUPERVISOR)
    assert problem(own, 403)["type"].endswith("maker-checker")  # the preparer never approves
    done = await transition(service, dispute_id, "POST", decision, {"approve": True}, SUPERVISOR_2)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"], done.json()["approved_by"],
            done.json()["written_off_amount"]) == ("resolved", "written_off", "sam", "80.00")
    assert await service.open_amount(inv) == 0
    event = json.loads(await service.scalar("SELECT payload FROM outbox WHERE event_type = 'o2c.dispute.resolved.v1'"))
    assert (Decimal(event["written_off_amount"]), event["approved_by"], event["resolved_by"]) == (80, "sam", "sue")
    assert event["corrective_action"] == "replace the batch"
    again = await transition(service, dispute_id, "POST", decision, {"approve": True}, SUPERVISOR_2)
    assert problem(again, 409)["type"].endswith("no-write-off-requested")
    assert problem(await transition(service, dispute_id, "POST", "/resolution", body, SUPERVISOR_2), 409)
    # the figures agree: the ledger's write-off is the event's
    posted = await service.rows("SELECT amount, reason FROM ledger_entries WHERE invoice_id = :i "
                                "AND kind = 'write_off'", i=inv)
    assert posted == [(Decimal("-80.000000"), "dispute")]


async def test_disputes_bad_input_access_and_tokens(service: Service) -> None:
    some = "00000000-0000-0000-0000-000000000000"
    for method, url in (("GET", "/disputes"), ("POST", "/disputes"), ("GET", f"/disputes/{some}"),
                        ("PATCH", f"/disputes/{some}"), ("POST", f"/disputes/{some}/resolution")):
        assert problem(await service.client.request(method, url), 401)
    assert problem(await service.client.post("/disputes", json={"invoice_id": some, "reason": "pricing"},
                                             headers=COLLECTOR), 404)
    assert problem(await service.client.post("/disputes", json={"invoice_id": some, "reason": "moods"},
                                             headers=COLLECTOR), 422)
    assert problem(await service.client.get("/disputes?status=maybe", headers=COLLECTOR), 422)
    await service.execute("INSERT INTO accounts (customer_id, owning_team) VALUES ('CA', 'vendor-a')")
    inv = await service.issue("INV-X3", "50.00", customer="CA", team="vendor-a")
    assert problem(await service.client.post("/disputes", json={"invoice_id": str(inv), "reason": "pricing"},
                                             headers=AGENT_B), 403)
    await service.client.post("/disputes", json={"invoice_id": str(inv), "reason": "pricing"}, headers=COLLECTOR)
    assert (await service.client.get("/disputes", headers=AGENT_B)).json()["items"] == []


async def test_a_second_supervisor_resolving_a_requested_write_off_approves_it(service: Service) -> None:
    inv = await service.issue("INV-X4", "60.00")
    opened = await service.client.post("/disputes", json={"invoice_id": str(inv), "reason": "quality"},
                                       headers=COLLECTOR)
    body = {"outcome": "written_off", "root_cause": "quality"}
    for who in (SUPERVISOR, SUPERVISOR):
        last = await transition(service, opened.json()["id"], "POST", "/resolution", body, who)
    assert problem(last, 403)["type"].endswith("maker-checker")
    done = await transition(service, opened.json()["id"], "POST", "/resolution", body, SUPERVISOR_2)
    assert (done.json()["status"], done.json()["approved_by"]) == ("resolved", "sam")
    assert await service.open_amount(inv) == 0
