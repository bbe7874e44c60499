"""Bulk work through the API (the `o2c invoicing import|submit` functions): a CSV import that writes each invoice
whole or not at all and replays safely, and bulk issue + submission against the portal simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from o2c_cli.invoicing import find_invoices, import_invoices, submit_invoices
from o2c_invoicing.bulk.csvfile import parse_invoices
from services.invoicing.tests.conftest import AGENT_A, APPROVER, PREPARER, SUPERVISOR, VIEWER, Service
from services.invoicing.tests.integration.test_submissions import put_profile, simulator
from services.invoicing.tests.ledger import Ledger, handle
from services.invoicing.tests.portal import serving

pytestmark = pytest.mark.integration

CSV = ("ref,legal_entity,customer_id,currency,po_number,owning_team,description,quantity,unit_price,tax_rate\n"
       "A,US01,CUST-1,USD,PO-1,vendor-a,Widgets,3,10.00,0.2\n"
       "A,,,,,,Bolts,2,2.50,0.2\n"
       "B,US01,CUST-2,USD,PO-2,vendor-a,Service,1,100,\n"
       "C,US01,CUST-3,USD,PO-3,vendor-b,Other team,1,100,\n"
       "D,US01,CUST-4,USD,PO-4,vendor-a,Bad quantity,-1,100,\n")


@asynccontextmanager
async def api(service: Service, headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.app), base_url="http://invoicing",
                                 headers=headers) as client:
        yield client


async def test_csv_import_writes_whole_invoices_reports_refusals_by_line_and_replays(service: Service) -> None:
    invoices, errors = parse_invoices(CSV)
    assert [(e.line, e.ref) for e in errors] == [(6, "D")]  # refused before sending
    for customer, team in (("CUST-1", "vendor-a"), ("CUST-2", "vendor-a"), ("CUST-3", "vendor-b")):
        # a vendor agent bills only customers a supervisor assigned to its team (issue 13, item 7)
        assert (await service.client.put(f"/billing-profiles/{customer}", headers=SUPERVISOR, json={
            "name": customer, "legal_entity": "US01", "currency": "USD", "channel": "email",
            "owning_team": team})).status_code == 201
    async with api(service, AGENT_A) as client:
        ticks: list[int] = []
        result = await import_invoices(client, invoices, concurrency=3, advance=lambda: ticks.append(1))
    assert (result.created, result.replayed, len(ticks)) == (2, 0, 3)
    assert [(e.line, e.ref) for e in result.errors] == [(5, "C")]  # another team's: the service's 403
    assert "another team" in result.errors[0].detail
    listed = (await service.client.get("/invoices", headers=VIEWER)).json()["items"]
    by_customer = {i["customer_id"]: i for i in listed}
    assert set(by_customer) == {"CUST-1", "CUST-2"}
    assert len(by_customer["CUST-1"]["lines"]) == 2 and by_customer["CUST-1"]["total_amount"] == "42.00"
    assert by_customer["CUST-1"]["created_by"] == "agent-a"

    before = await service.counts()
    async with api(service, AGENT_A) as client:
        again = await import_invoices(client, invoices)
    assert (again.created, again.replayed) == (0, 2) and await service.counts() == before


async def test_bulk_issue_and_submit_reports_portal_rule_refusals(service: Service) -> None:
    async with serving(simulator(review_delay_s=3600)) as portal:
        await put_profile(service, "CUST-1", portal_url=portal)
        await put_profile(service, "CUST-2", portal_url=portal, rules={"po_required": True})
        ids = []
        for customer, po in (("CUST-1", "PO-1"), ("CUST-1", "PO-2"), ("CUST-2", None)):
            invoice = await service.create(customer_id=customer, po_number=po)
            assert (await service.act(invoice["id"], "request-approval", PREPARER)).status_code == 200
            # the portal rules are checked at approval now: the PO-less one is approved with an audited override
            override = {"override_portal_rules": True, "override_reason": "PO to follow"} if po is None else {}
            assert (await service.act(invoice["id"], "approve", APPROVER, **override)).status_code == 200
            ids.append(invoice["id"])
        async with api(service, PREPARER) as client:
            approved = await find_invoices(client, status="approved")
            assert sorted(i["id"] for i in approved) == sorted(ids)
            assert len(await find_invoices(client, status="approved", limit=2)) == 2
            result = await submit_invoices(client, approved, concurrency=2)
    assert (result.issued, result.submitted) == (3, 2)
    assert len(result.errors) == 1 and "submit refused" in result.errors[0] and "PO number" in result.errors[0]
    statuses = {i: (await service.client.get(f"/invoices/{i}", headers=VIEWER)).json()["status"] for i in ids}
    assert statuses == {ids[0]: "submitted", ids[1]: "submitted", ids[2]: "issued"}


async def test_a_submit_refused_only_because_the_ledger_was_mirrored_meanwhile_is_sent_again(service: Service) -> None:
    async with serving(simulator(review_delay_s=3600)) as portal:
        await put_profile(service, "CUST-1", portal_url=portal)
        invoice = await service.issued(customer_id="CUST-1", po_number="PO-9")
        stale = (await service.client.get(f"/invoices/{invoice['id']}", headers=VIEWER)).json()
        await handle(service, Ledger(stale).opened())  # collections' first entry mirrored: the invoice's ETag moves
        async with api(service, PREPARER) as client:
            result = await submit_invoices(client, [stale])
    assert (result.submitted, result.errors) == (1, [])
    assert (await service.client.get(f"/invoices/{invoice['id']}", headers=VIEWER)).json()["status"] == "submitted"
