"""Issue 16 (freshness): an issue is ONE statement committed by PostgreSQL as it ends (``Transactions.each_statement``),
guarded in its own SQL by the invoice's status and version instead of a row lock held across the service's code. A
guard that no longer holds writes nothing and takes no number; the route then issues the locked way."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from o2c_common.tx import Transactions
from o2c_invoicing.invoices import lifecycle, service as invoices
from services.invoicing.tests.conftest import APPROVER, PREPARER, Service, problem

pytestmark = pytest.mark.integration

YEAR = date.today().year


async def approved(service: Service) -> dict[str, Any]:
    invoice = await service.create()
    for action, headers in (("request-approval", PREPARER), ("approve", APPROVER)):
        response = await service.act(invoice["id"], action, headers)
        assert response.status_code == 200, response.text
    return dict(response.json())


async def nothing_issued(service: Service, invoice_id: str) -> None:
    """No trace of an issue: no number, no counter row, no history row, audit entry or event."""
    assert await service.scalar("SELECT number FROM invoices WHERE id = :id", id=uuid.UUID(invoice_id)) is None
    assert await service.scalar("SELECT count(*) FROM invoice_number_sequences") == 0
    assert await service.scalar("SELECT count(*) FROM invoice_status_changes WHERE to_status = 'issued'") == 0
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action = 'invoice.issued'") == 0
    assert "invoice.issued" not in await service.outbox_types()


def transactions(service: Service) -> Transactions:
    found: Transactions = service.app.state.transactions
    return found


async def test_an_invoice_changed_after_its_read_is_not_issued_and_no_number_is_taken(service: Service) -> None:
    stale, cancelled = await approved(service), await approved(service)
    async with transactions(service).each_statement("system:test") as once:
        read = [await invoices.with_profile(once, uuid.UUID(i["id"])) for i in (stale, cancelled)]
        await service.execute("UPDATE invoices SET version = version + 1 WHERE id = :id", id=uuid.UUID(stale["id"]))
        response = await service.act(cancelled["id"], "cancel", APPROVER, reason="withdrawn")
        assert response.status_code == 200, response.text
        for invoice, profile in read:
            assert not await lifecycle.issue_at_once(once, invoice, profile)
    for invoice_id in (stale["id"], cancelled["id"]):
        await nothing_issued(service, invoice_id)
    assert (await service.issued())["number"] == f"US01-{YEAR}-000001"  # no number was burnt


async def test_an_issue_waits_for_a_lock_on_its_invoice_and_then_finds_it_changed(service: Service) -> None:
    """The guard locks the invoice's row: a writer holding it is waited for, and its change seen (no lost update)."""
    invoice = await approved(service)
    invoice_id = uuid.UUID(invoice["id"])
    async with service.db.unit_of_work() as writer:
        await writer.execute(text("SELECT 1 FROM invoices WHERE id = :id FOR UPDATE"), {"id": invoice_id})
        async with transactions(service).each_statement("system:test") as once:
            read, profile = await invoices.with_profile(once, invoice_id)
            issuing = asyncio.create_task(lifecycle.issue_at_once(once, read, profile))
            await asyncio.sleep(0.3)
            assert not issuing.done()  # waiting for the writer's lock
            await writer.execute(text("UPDATE invoices SET version = version + 1 WHERE id = :id"), {"id": invoice_id})
            await writer.commit()
            assert not await issuing
    await nothing_issued(service, invoice["id"])


async def test_the_route_answers_a_stale_etag_and_issues_with_a_fresh_one(service: Service) -> None:
    invoice = await approved(service)
    etag = (await service.client.get(f"/invoices/{invoice['id']}", headers=PREPARER)).headers["ETag"]
    stale = {**PREPARER, "If-Match": etag}
    await service.execute("UPDATE invoices SET version = version + 1 WHERE id = :id", id=uuid.UUID(invoice["id"]))
    problem(await service.client.post(f"/invoices/{invoice['id']}/issue", headers=stale), 412)
    await nothing_issued(service, invoice["id"])
    issued = await service.act(invoice["id"], "issue", PREPARER)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert (body["status"], body["number"]) == ("issued", f"US01-{YEAR}-000001")
    stored = await service.scalar("SELECT version FROM invoices WHERE id = :id", id=uuid.UUID(invoice["id"]))
    assert (body["version"], stored) == (invoice["version"] + 2, invoice["version"] + 2)  # the bump above, the issue
    assert issued.headers["ETag"] == (await service.client.get(f"/invoices/{invoice['id']}",
                                                               headers=PREPARER)).headers["ETag"]
    entries = await service.rows("SELECT after FROM audit_log WHERE action = 'invoice.issued'")
    assert [row[0] for row in entries] == [{"number": body["number"], "total": body["total_amount"]}]
