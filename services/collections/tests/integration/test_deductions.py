"""Deduction resolution on a real database: recovered, credited (credit_note.requested), disputed, and
written off with maker-checker approval within the limit."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from services.collections.tests.conftest import (
    ADMIN,
    AGENT_B,
    COLLECTOR,
    SUPERVISOR,
    Service,
    problem,
    token,
)

SUPERVISOR_2 = token("sam", "ar_supervisor")


async def payload(service: Service, event_type: str) -> dict[str, Any]:
    raw = await service.scalar("SELECT payload FROM outbox WHERE event_type = :t ORDER BY id DESC LIMIT 1",
                               t=f"o2c.{event_type}.v1")
    return dict(json.loads(raw))


async def short_pay(service: Service, number: str, amount: str, paid: str, reason: str = "pricing") -> dict[str, Any]:
    inv = await service.issue(number, amount)
    await service.pay(paid, remittance=[{"reference": number, "reason_code": reason}])
    listed = (await service.client.get("/deductions", headers=COLLECTOR)).json()["items"]
    deduction = next(d for d in listed if d["invoice_number"] == number)
    return {**deduction, "inv": inv}


async def act(service: Service, deduction_id: str, path: str, body: dict[str, Any],
              headers: dict[str, str]) -> Any:
    etag = (await service.client.get(f"/deductions/{deduction_id}", headers=headers)).headers["ETag"]
    return await service.client.post(f"/deductions/{deduction_id}/{path}", json=body,
                                     headers={**headers, "If-Match": etag})


async def test_recovered_returns_the_amount_to_collection(service: Service) -> None:
    d = await short_pay(service, "INV-D1", "1000.00", "960.00")
    assert d["amount"] == "40.00" and d["status"] == "open"
    assert await service.scalar("SELECT disputed_amount FROM open_items WHERE invoice_id = :i", i=d["inv"]) == 40
    url = f"/deductions/{d['id']}/resolution"
    assert problem(await service.client.post(url, json={"resolution": "recovered"}, headers=COLLECTOR), 428)
    done = await act(service, d["id"], "resolution", {"resolution": "recovered", "note": "rebill"}, COLLECTOR)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved" and done.json()["resolution"] == "recovered"
    assert await service.scalar("SELECT disputed_amount FROM open_items WHERE invoice_id = :i", i=d["inv"]) == 0
    assert await service.open_amount(d["inv"]) == Decimal("40.00")
    again = await act(service, d["id"], "resolution", {"resolution": "credited"}, COLLECTOR)
    assert problem(again, 409)["type"].endswith("deduction-not-open")
    assert (await service.outbox_types())[-1] == "deduction.resolved"


async def test_credited_asks_invoicing_for_a_credit_note(service: Service) -> None:
    d = await short_pay(service, "INV-D2", "500.00", "480.00", "promo")
    asked = await act(service, d["id"], "resolution", {"resolution": "credited"}, COLLECTOR)
    assert asked.json()["status"] == "credit_requested"  # another person approves the credit (issue 13)
    done = await act(service, d["id"], "credit-decision", {"approve": True}, SUPERVISOR)
    assert done.status_code == 200, done.text
    assert (await service.outbox_types())[-2:] == ["credit_note.requested", "deduction.resolved"]
    event = await payload(service, "credit_note.requested")
    assert event["invoice_number"] == "INV-D2" and Decimal(event["amount"]) == 20
    assert event["request_id"] == done.json()["credit_note_request_id"]
    assert await service.open_amount(d["inv"]) == Decimal("20.00")  # until credit_note.issued arrives


async def test_disputed_deduction_becomes_a_dispute_holding_the_amount(service: Service) -> None:
    d = await short_pay(service, "INV-D3", "200.00", "190.00", "damaged")
    done = await act(service, d["id"], "resolution", {"resolution": "disputed"}, COLLECTOR)
    assert done.status_code == 200, done.text
    rows = await service.rows("SELECT id, reason, source, amount, deduction_id FROM disputes")
    assert len(rows) == 1 and rows[0][1:4] == ("quality", "deduction", Decimal("10.000000"))
    assert str(rows[0][0]) == done.json()["dispute_id"]
    assert await service.scalar("SELECT disputed_amount FROM open_items WHERE invoice_id = :i", i=d["inv"]) == 10
    assert "dispute.opened" in await service.outbox_types()


async def test_write_off_needs_another_supervisor_within_the_limit(service: Service) -> None:
    d = await short_pay(service, "INV-D4", "1000.00", "950.00")
    requested = await act(service, d["id"], "resolution", {"resolution": "written_off"}, SUPERVISOR)
    assert requested.json()["status"] == "write_off_requested"
    assert await service.open_amount(d["inv"]) == Decimal("50.00")
    approve = {"approve": True, "resolved_date": "2026-03-01"}
    assert problem(await act(service, d["id"], "write-off-decision", approve, COLLECTOR), 403)
    same = await act(service, d["id"], "write-off-decision", approve, SUPERVISOR)
    assert problem(same, 403)["type"].endswith("maker-checker")
    approved = await act(service, d["id"], "write-off-decision", approve, SUPERVISOR_2)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["resolution"], body["resolved_by"], body["approved_by"]) == ("written_off", "sue", "sam")
    assert await service.open_amount(d["inv"]) == 0
    ledger = (await service.client.get(f"/receivables/{d['inv']}/ledger", headers=COLLECTOR)).json()
    assert [e["kind"] for e in ledger][-1] == "write_off"
    event = await payload(service, "deduction.resolved")
    assert event["approved_by"] == "sam" and event["resolved_date"] == "2026-03-01"
    audit = await service.rows("SELECT action FROM audit_log WHERE entity_id = :d ORDER BY id", d=d["id"])
    assert [a[0] for a in audit] == ["deduction.opened", "deduction.write_off_requested", "deduction.written_off"]


async def test_write_off_above_the_limit_needs_an_admin_and_can_be_rejected(service: Service) -> None:
    d = await short_pay(service, "INV-D5", "30000.00", "28000.00", "shortage")  # 2,000 > limit 1,000
    await act(service, d["id"], "resolution", {"resolution": "written_off"}, COLLECTOR)
    over = await act(service, d["id"], "write-off-decision", {"approve": True}, SUPERVISOR)
    body = problem(over, 403)
    assert body["type"].endswith("over-approval-limit")
    assert body["detail"].startswith("2,000.00 USD is above the ar_supervisor limit of 1,000.00 USD per invoice")
    rejected = await act(service, d["id"], "write-off-decision", {"approve": False, "note": "chase"}, SUPERVISOR)
    assert rejected.json()["status"] == "open"
    assert problem(await act(service, d["id"], "write-off-decision", {"approve": True}, ADMIN), 409)
    await act(service, d["id"], "resolution", {"resolution": "written_off"}, COLLECTOR)
    approved = await act(service, d["id"], "write-off-decision", {"approve": True}, ADMIN)
    assert approved.status_code == 200, approved.text
    assert await service.open_amount(d["inv"]) == 0


async def test_deductions_bad_input_access_and_tokens(service: Service) -> None:
    some = "00000000-0000-0000-0000-000000000000"
    for method, url in (("GET", "/deductions"), ("GET", f"/deductions/{some}"),
                        ("POST", f"/deductions/{some}/resolution"), ("POST", f"/deductions/{some}/write-off-decision")):
        assert problem(await service.client.request(method, url), 401)
    assert problem(await service.client.get(f"/deductions/{some}", headers=COLLECTOR), 404)
    assert problem(await service.client.get("/deductions?status=lost", headers=COLLECTOR), 422)
    d = await short_pay(service, "INV-D6", "100.00", "95.00")
    bad = await service.client.post(f"/deductions/{d['id']}/resolution", json={"resolution": "forgotten"},
                                    headers={**COLLECTOR, "If-Match": "*"})
    assert problem(bad, 422)
    assert (await service.client.get("/deductions", headers=AGENT_B)).json()["items"] == []


async def test_a_receivable_shows_what_is_disputed_in_minor_units(service: Service) -> None:
    d = await short_pay(service, "INV-D9", "1000.00", "960.00")
    undisputed = await service.issue("INV-D10", "12.50")
    shown = [(await service.client.get(f"/receivables/{inv}", headers=COLLECTOR)).json() for inv in (d["inv"],
                                                                                                       undisputed)]
    assert [(r["open_amount"], r["disputed_amount"]) for r in shown] == [("40.00", "40.00"), ("12.50", "0.00")]
