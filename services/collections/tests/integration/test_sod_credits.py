"""Issue 13, segregation of duties: no credit reduces a receivable without a second person. The attacks of the issue
(a collector opening a dispute for a whole invoice and crediting it alone; a short payment naming an invoice whose
shortfall becomes a deduction the same person credits), each run through both services: collections and invoicing
in-process on their own databases, every event of one delivered to the other's handlers as their consumers would,
ending with the AR ledger and invoicing's settlement agreeing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest_asyncio

from o2c_cli.testing import Infra, serving
from o2c_collections.main import HANDLERS as COLLECTIONS_HANDLERS
from o2c_common.events import Event
from o2c_common.inbox import Handlers
from o2c_common.tx import Transactions
from o2c_invoicing.main import HANDLERS as INVOICING_HANDLERS, create_app as create_invoicing
from services.collections.tests.conftest import ADMIN, COLLECTOR, SUPERVISOR, Service, problem, token
from services.invoicing.tests.conftest import (
    DATABASES as INVOICING_DATABASES,
    Service as Invoicing,
    settings_for as invoicing_settings,
)

SUPERVISOR_2 = token("sam", "ar_supervisor")
COLLECTOR_2 = token("cleo", "collector")


@dataclass
class Stack:
    """Collections and invoicing, with what each wrote to its outbox delivered to the other."""

    collections: Service
    invoicing: Invoicing
    delivered: dict[str, int] = field(default_factory=lambda: {"collections": 0, "invoicing": 0})

    async def relay(self) -> None:
        """Deliver new events both ways until neither side writes another (what the two consumers would do)."""
        invoicing_tx: Transactions = self.invoicing.app.state.transactions
        while (await self._deliver("invoicing", self.invoicing, self.collections.transactions, COLLECTIONS_HANDLERS)
               + await self._deliver("collections", self.collections, invoicing_tx, INVOICING_HANDLERS)):
            pass

    async def _deliver(self, name: str, source: Any, target: Transactions, handlers: Handlers) -> int:
        rows = await source.rows("SELECT id, key, headers, payload FROM outbox WHERE id > :after ORDER BY id",
                                 after=self.delivered[name])
        for row_id, key, headers, payload in rows:
            pairs = json.loads(headers) if isinstance(headers, str) else headers
            event = Event.from_kafka(key.encode(), bytes(payload), [(k, v.encode()) for k, v in pairs])
            handler = handlers.get(type(event.data))
            if handler is not None:
                async with target.begin(f"system:{'collections' if name == 'invoicing' else 'invoicing'}") as tx:
                    await handler(tx, event)
            self.delivered[name] = row_id
        return len(rows)

    async def issue(self, amount: str, *, currency: str = "USD") -> dict[str, Any]:
        """An invoice prepared, approved and issued in invoicing, its receivable opened in collections."""
        invoice = await self.invoicing.issued(currency=currency, lines=[
            {"description": "Services", "quantity": "1", "unit_price": amount, "tax_rate": "0.00", "po_line": "1"}])
        await self.relay()
        assert await self.collections.open_amount(uuid.UUID(invoice["id"])) == Decimal(amount)
        return invoice

    async def assert_agree(self, invoice_id: str) -> tuple[Decimal, ...]:
        """The AR ledger's figures of the invoice are invoicing's settlement figures; returns them."""
        ledger = await self.collections.rows(
            "SELECT open_amount, credited_amount, written_off_amount, cash_applied_amount, entries FROM open_items "
            "WHERE invoice_id = :i", i=uuid.UUID(invoice_id))
        mirror = await self.invoicing.rows(
            "SELECT ledger_open_amount, ledger_credited_amount, written_off_amount, paid_amount, ledger_sequence "
            "FROM invoices WHERE id = :i", i=uuid.UUID(invoice_id))
        assert ledger == mirror
        return tuple(ledger[0])


@pytest_asyncio.fixture(loop_scope="session")
async def stack(infra: Infra, service: Service) -> AsyncIterator[Stack]:
    async with INVOICING_DATABASES.database(infra) as db:
        settings = invoicing_settings(db.url, infra)
        app = create_invoicing(settings)
        async with serving(app, base_url="http://invoicing") as client:
            yield Stack(collections=service, invoicing=Invoicing(app=app, client=client, db=db, settings=settings))


async def act(service: Service, kind: str, entity_id: str, path: str, body: dict[str, Any],
              headers: dict[str, str]) -> Any:
    etag = (await service.client.get(f"/{kind}/{entity_id}", headers=SUPERVISOR)).headers["ETag"]
    return await service.client.post(f"/{kind}/{entity_id}/{path}", json=body, headers={**headers, "If-Match": etag})


async def requested_credits(service: Service) -> list[dict[str, Any]]:
    rows = await service.rows("SELECT payload FROM outbox WHERE event_type = 'o2c.credit_note.requested.v1' "
                              "ORDER BY id")
    return [json.loads(r[0]) for r in rows]


async def test_a_collector_cannot_credit_a_whole_invoice_dispute_alone(stack: Stack) -> None:
    col, invoice = stack.collections, await stack.issue("500.00")
    opened = await col.client.post("/disputes", json={"invoice_id": invoice["id"], "reason": "pricing"},
                                   headers=COLLECTOR)
    dispute = opened.json()
    assert dispute["amount"] == "500.00"
    asked = await act(col, "disputes", dispute["id"], "resolution",
                      {"outcome": "credited", "root_cause": "pricing"}, COLLECTOR)
    assert asked.status_code == 200, asked.text
    assert (asked.json()["status"], asked.json()["credit_requested_by"], asked.json()["credited_amount"]) == (
        "credit_requested", "carl", "500.00")
    assert await requested_credits(col) == []  # nothing reaches invoicing yet: the amount stays held
    assert await col.scalar("SELECT disputed_amount FROM open_items WHERE invoice_id = :i",
                            i=uuid.UUID(invoice["id"])) == 500
    approve = {"approve": True, "note": "price list error confirmed"}
    alone = await act(col, "disputes", dispute["id"], "credit-decision", approve, COLLECTOR)
    assert problem(alone, 403)["type"].endswith("missing-role")  # a collector never approves
    assert problem(await act(col, "disputes", dispute["id"], "credit-decision", approve, COLLECTOR_2), 403)
    done = await act(col, "disputes", dispute["id"], "credit-decision", approve, SUPERVISOR)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"], done.json()["approved_by"]) == (
        "resolved", "credited", "sue")
    [credit] = await requested_credits(col)
    assert (credit["requested_by"], credit["approved_by"], Decimal(credit["amount"])) == ("carl", "sue", 500)
    again = await act(col, "disputes", dispute["id"], "credit-decision", approve, SUPERVISOR_2)
    assert problem(again, 409)["type"].endswith("no-credit-requested")
    await stack.relay()  # invoicing issues the note, the ledger posts it, invoicing mirrors the ledger
    notes = await stack.invoicing.rows("SELECT amount, created_by FROM credit_notes")
    assert notes == [(Decimal("500.00"), "system:carl")]
    assert await stack.assert_agree(invoice["id"]) == (0, 500, 0, 0, 2)
    settlement = await stack.invoicing.scalar("SELECT settlement_status FROM invoices WHERE id = :i",
                                              i=uuid.UUID(invoice["id"]))
    assert settlement == "credited"


async def test_a_short_payment_deduction_is_credited_only_by_another_supervisor(stack: Stack) -> None:
    col, invoice = stack.collections, await stack.issue("500.00")
    # the supervisor books the payment naming the invoice with a reason code: the shortfall becomes a deduction
    await col.pay("480.00", headers=SUPERVISOR,
                  remittance=[{"reference": invoice["number"], "reason_code": "pricing"}])
    [deduction] = [d for d in (await col.client.get("/deductions", headers=COLLECTOR)).json()["items"]
                   if d["invoice_number"] == invoice["number"]]
    assert (deduction["amount"], deduction["opened_by"]) == ("20.00", "sue")
    asked = await act(col, "deductions", deduction["id"], "resolution", {"resolution": "credited"}, SUPERVISOR)
    assert (asked.json()["status"], asked.json()["credit_requested_by"]) == ("credit_requested", "sue")
    assert await requested_credits(col) == []
    own = await act(col, "deductions", deduction["id"], "credit-decision", {"approve": True}, SUPERVISOR)
    assert problem(own, 403)["type"].endswith("maker-checker")
    # the one who booked the payment that left the deduction does not approve its credit either
    rejected = await act(col, "deductions", deduction["id"], "credit-decision", {"approve": False}, SUPERVISOR_2)
    assert rejected.json()["status"] == "open"
    await act(col, "deductions", deduction["id"], "resolution", {"resolution": "credited"}, COLLECTOR)
    booker = problem(await act(col, "deductions", deduction["id"], "credit-decision", {"approve": True},
                               SUPERVISOR), 403)
    assert booker["type"].endswith("maker-checker") and "raised by you" in booker["detail"]
    done = await act(col, "deductions", deduction["id"], "credit-decision", {"approve": True}, SUPERVISOR_2)
    assert (done.json()["status"], done.json()["resolution"], done.json()["approved_by"]) == (
        "resolved", "credited", "sam")
    [credit] = await requested_credits(col)
    assert (credit["requested_by"], credit["approved_by"], credit["request_id"]) == (
        "carl", "sam", done.json()["credit_note_request_id"])
    audit = [r[0] for r in await col.rows("SELECT action FROM audit_log WHERE entity_id = :d ORDER BY id",
                                          d=deduction["id"])]
    assert audit == ["deduction.opened", "deduction.credit_requested", "deduction.credit_rejected",
                     "deduction.credit_requested", "deduction.credited"]
    await stack.relay()
    assert await stack.assert_agree(invoice["id"]) == (0, 20, 0, 480, 3)


async def test_splitting_a_credit_does_not_get_under_the_limit(stack: Stack) -> None:
    """Three 900.00 disputes on one invoice: each under the 1,000.00 USD limit, together far above it."""
    col, invoice = stack.collections, await stack.issue("3000.00")
    disputes = []
    for _ in range(3):
        opened = await col.client.post("/disputes", json={"invoice_id": invoice["id"], "amount": "900.00",
                                                          "reason": "pricing"}, headers=COLLECTOR)
        disputes.append(opened.json()["id"])
        await act(col, "disputes", disputes[-1], "resolution", {"outcome": "credited", "root_cause": "pricing"},
                  COLLECTOR)
    first = await act(col, "disputes", disputes[0], "credit-decision", {"approve": True}, SUPERVISOR)
    assert first.status_code == 200, first.text
    over = problem(await act(col, "disputes", disputes[1], "credit-decision", {"approve": True}, SUPERVISOR_2), 403)
    assert over["type"].endswith("over-approval-limit")
    assert over["detail"] == (f"900.00 USD with the 900.00 USD credited and written off on invoice {invoice['number']}"
                              " before is above the ar_supervisor limit of 1,000.00 USD per invoice: an admin "
                              "approves it")
    # a write-off counts toward the same limit
    written = await act(col, "disputes", disputes[2], "resolution", {"outcome": "written_off",
                                                                     "root_cause": "pricing"}, COLLECTOR)
    assert written.status_code == 409  # it waits for its credit decision: not open
    assert problem(await act(col, "disputes", disputes[2], "credit-decision", {"approve": True}, SUPERVISOR), 403)
    for dispute_id in disputes[1:]:
        done = await act(col, "disputes", dispute_id, "credit-decision", {"approve": True}, ADMIN)
        assert done.status_code == 200, done.text
    approvals = await col.rows("SELECT kind, amount, requested_by, approved_by FROM reduction_approvals "
                               "ORDER BY approved_at, approved_by DESC")
    assert approvals == [("credit", Decimal("900.000000"), "carl", "sue"),
                         ("credit", Decimal("900.000000"), "carl", "ada"),
                         ("credit", Decimal("900.000000"), "carl", "ada")]
    await stack.relay()
    assert await stack.invoicing.scalar("SELECT count(*) FROM credit_notes") == 3
    assert await stack.assert_agree(invoice["id"]) == (300, 2700, 0, 0, 4)


async def test_limits_are_per_currency_and_the_opener_of_a_dispute_does_not_approve_it(stack: Stack) -> None:
    """¥140,000 is within an ar_supervisor's ¥150,000 per invoice (a flat 1,000 made it an admin's); 1,500.00 USD is
    not. Credits and write-offs of one invoice count together."""
    col, yen = stack.collections, await stack.issue("500000", currency="JPY")
    opened = await col.client.post("/disputes", json={"invoice_id": yen["id"], "amount": "140000",
                                                      "reason": "quality"}, headers=SUPERVISOR)
    dispute = opened.json()["id"]
    await act(col, "disputes", dispute, "resolution", {"outcome": "written_off", "root_cause": "quality"}, COLLECTOR)
    opener = problem(await act(col, "disputes", dispute, "write-off-decision", {"approve": True}, SUPERVISOR), 403)
    assert opener["type"].endswith("maker-checker") and "raised by you" in opener["detail"]
    done = await act(col, "disputes", dispute, "write-off-decision", {"approve": True}, SUPERVISOR_2)
    assert done.status_code == 200, done.text
    assert (done.json()["written_off_amount"], done.json()["approved_by"]) == ("140000", "sam")
    credit = (await col.client.post("/disputes", json={"invoice_id": yen["id"], "amount": "20000",
                                                       "reason": "pricing"}, headers=COLLECTOR)).json()["id"]
    await act(col, "disputes", credit, "resolution", {"outcome": "credited", "root_cause": "pricing"}, COLLECTOR)
    over = problem(await act(col, "disputes", credit, "credit-decision", {"approve": True}, SUPERVISOR_2), 403)
    assert over["detail"].startswith("20,000 JPY with the 140,000 JPY credited and written off on invoice")
    assert over["detail"].endswith("is above the ar_supervisor limit of 150,000 JPY per invoice: an admin approves it")
    assert (await act(col, "disputes", credit, "credit-decision", {"approve": True}, ADMIN)).status_code == 200
    await stack.relay()
    assert await stack.assert_agree(yen["id"]) == (340000, 20000, 140000, 0, 3)
    usd = await stack.issue("5000.00")
    dollars = (await col.client.post("/disputes", json={"invoice_id": usd["id"], "amount": "1500.00",
                                                        "reason": "quality"}, headers=COLLECTOR)).json()["id"]
    await act(col, "disputes", dollars, "resolution", {"outcome": "written_off", "root_cause": "quality"}, COLLECTOR)
    over = problem(await act(col, "disputes", dollars, "write-off-decision", {"approve": True}, SUPERVISOR), 403)
    assert over["detail"] == ("1,500.00 USD is above the ar_supervisor limit of 1,000.00 USD per invoice: an admin "
                              "approves it")
    assert (await act(col, "disputes", dollars, "write-off-decision", {"approve": True}, ADMIN)).status_code == 200
    await stack.relay()
    assert await stack.assert_agree(usd["id"]) == (3500, 0, 1500, 0, 2)


async def test_a_deduction_turned_dispute_is_not_written_off_by_the_payments_booker(stack: Stack) -> None:
    """The short payment's booker opened the deduction; a collector turns it into a dispute and asks for its
    write-off: the booker may not approve it (the dispute's opener is the collector, the deduction's the booker)."""
    col, invoice = stack.collections, await stack.issue("500.00")
    await col.pay("480.00", headers=SUPERVISOR,
                  remittance=[{"reference": invoice["number"], "reason_code": "pricing"}])
    [deduction] = [d for d in (await col.client.get("/deductions", headers=COLLECTOR)).json()["items"]
                   if d["invoice_number"] == invoice["number"]]
    disputed = await act(col, "deductions", deduction["id"], "resolution", {"resolution": "disputed"}, COLLECTOR)
    dispute_id = disputed.json()["dispute_id"]
    asked = await act(col, "disputes", dispute_id, "resolution", {"outcome": "written_off", "root_cause": "pricing"},
                      COLLECTOR)
    assert asked.json()["status"] == "write_off_requested", asked.text
    booker = problem(await act(col, "disputes", dispute_id, "write-off-decision", {"approve": True}, SUPERVISOR), 403)
    assert booker["type"].endswith("maker-checker") and "raised by you" in booker["detail"]
    assert await col.open_amount(uuid.UUID(invoice["id"])) == Decimal("20.00")
    done = await act(col, "disputes", dispute_id, "write-off-decision", {"approve": True}, SUPERVISOR_2)
    assert (done.json()["status"], done.json()["approved_by"]) == ("resolved", "sam"), done.text
    await stack.relay()
    assert await stack.assert_agree(invoice["id"]) == (0, 0, 20, 480, 3)
