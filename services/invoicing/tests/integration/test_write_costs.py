"""Statements per request on the write paths (issue 16 item 3): a transition reads the invoice, its lines, approvals
and its customer's billing profile in one locking query, a submission changes the invoice row once, and the
status-history row, the audit entry and the event go in one statement.
Counted with SQLAlchemy's cursor events on the service's own engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import Connection, event

from o2c_invoicing.invoices import repository
from services.invoicing.tests.conftest import APPROVER, PREPARER, SUPERVISOR, Service
from services.invoicing.tests.integration.test_submissions import put_profile, simulator
from services.invoicing.tests.portal import serving

pytestmark = pytest.mark.integration


CLAUSES: list[object] = []
AUTOCOMMITTED: list[str] = []  # statements each its own transaction (no BEGIN, no COMMIT)


@contextmanager
def statements(service: Service) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        sent.append(" ".join(statement.split()[:3]))
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            AUTOCOMMITTED.append(sent[-1])

    def clause(_conn: object, element: object, *_: object) -> None:
        CLAUSES.append(element)

    engine = service.app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "before_execute", clause)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "before_execute", clause)


async def step(service: Service, invoice_id: str, action: str, headers: dict[str, str]) -> tuple[httpx.Response,
                                                                                                 list[str]]:
    etag = (await service.client.get(f"/invoices/{invoice_id}", headers=SUPERVISOR)).headers["ETag"]
    with statements(service) as sent:
        response = await service.client.post(f"/invoices/{invoice_id}/{action}", headers={**headers, "If-Match": etag})
    assert response.status_code == 200, response.text
    return response, sent


async def test_transitions_read_invoice_and_profile_once_and_write_the_invoice_once(service: Service) -> None:
    async with serving(simulator(review_delay_s=3600)) as portal:
        await put_profile(service, portal_url=portal, rules={"po_required": True})
        invoice = (await service.client.post("/invoices", headers=PREPARER, json={
            "legal_entity": "US01", "customer_id": "CUST-1", "currency": "USD", "payment_terms_days": 30,
            "po_number": "PO-1", "lines": [{"description": "W", "quantity": "1", "unit_price": "10"}]})).json()
        await step(service, invoice["id"], "request-approval", PREPARER)
        AUTOCOMMITTED.clear()
        costs = {}
        for action, headers in (("approve", APPROVER), ("issue", PREPARER), ("submit", PREPARER)):
            response, sent = await step(service, invoice["id"], action, headers)
            costs[action] = sent
            assert sum(s.startswith("SELECT") for s in sent) == 1, sent  # the invoice (locked), profile joined
            assert sum(s.startswith("UPDATE invoices") for s in sent) == (action != "issue"), sent
        assert response.json()["status"] == "submitted"
        # the issue writes its invoice row in its one statement, with the number (a data-modifying CTE)
        assert {a: len(s) for a, s in costs.items()} == {"approve": 4, "issue": 2, "submit": 4}, costs
        # the status-history row, the audit entry and the event in one statement (data-modifying CTEs), none apart;
        # the takes the invoice number in it too
        for action, sent in costs.items():
            first = "WITH issuable AS" if action == "issue" else "WITH audit_entry AS"
            assert sum(s.startswith(first) for s in sent) == 1, sent
            assert not any(s.startswith(("INSERT INTO audit_log", "INSERT INTO outbox",
                                         "INSERT INTO invoice_status_changes")) for s in sent), sent
        assert not any("invoice_attachments" in s for s in costs["submit"])  # no rule asks for an attachment
        # the status-history insert is one statement object, built once (values bound at execution)
        assert sum(c is repository._ADD_HISTORY for c in CLAUSES) == 1  # request-approval (no event: no CTE)
        history = (await service.client.get(f"/invoices/{invoice['id']}/history", headers=SUPERVISOR)).json()
        assert [h["to_status"] for h in history][-4:] == ["pending_approval", "approved", "issued",
                                                                   "submitted"], history
        # the number (and with it the lock of the legal entity's counter row) is taken by the last statement,
        # built once (values bound at execution)
        assert costs["issue"][-1] == "WITH issuable AS", costs["issue"]
        # …committed by PostgreSQL as it ends: the read and the statement are each a transaction of its own,
        # so no lock outlives its statement; every other transition is one transaction
        assert costs["issue"] == AUTOCOMMITTED, AUTOCOMMITTED
        numbered = [cte for c in CLAUSES for cte in getattr(c, "_independent_ctes", ()) if cte.name == "numbered"]
        assert numbered == [repository._invoice_number_cte((
            "billing_deadline", "due_date", "issue_date", "stalled_notified_at", "status", "status_since"))]
