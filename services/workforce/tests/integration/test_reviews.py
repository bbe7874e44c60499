"""A vendor's business review: headlines against targets and the previous period, Pareto charts' data, performers,
capacity shortfalls and the narrative (a building block of issue 17 item 5's review pages)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from o2c_common.events.contracts.invoicing import InvoiceApproved, InvoicePortalApproved, InvoicePortalRejected
from o2c_common.events.examples import example_payload
from services.workforce.tests.conftest import AGENT_A, LEAD, SUPERVISOR, Service, problem
from services.workforce.tests.integration.test_scorecards import MONDAY, PERIOD, resolve, scenario

pytestmark = pytest.mark.integration


async def test_vendor_review_compares_with_the_previous_period_and_says_why(service: Service) -> None:
    await scenario(service)
    for day in (-3, -3):
        await resolve(service, "ana", "vendor-a", day=day, minutes=600)  # the previous period: late, sampled once
    [earlier] = (await service.get("/quality/samples", status="pending"))["items"]
    etag = (await service.client.get(f"/quality/samples/{earlier['id']}", headers=SUPERVISOR)).headers["ETag"]
    assert (await service.client.post(f"/quality/samples/{earlier['id']}/review", headers={
        **SUPERVISOR, "If-Match": etag}, json={"answers": {"root_cause": True, "documented": True}})).status_code == 200
    for invoice_id, ok in ((uuid.uuid4(), False), (uuid.uuid4(), True)):
        at = MONDAY + timedelta(days=1)
        await service.handle(InvoiceApproved(invoice_id=invoice_id, legal_entity="US01", customer_id="C1",
                                             currency="USD", amount=Decimal("10.00"), prepared_by="ana",
                                             approved_by="sue", approved_at=at, owning_team="vendor-a"))
        common = {"invoice_id": invoice_id, "attempt": 1, "owning_team": "vendor-a"}
        await service.handle(example_payload(InvoicePortalApproved, first_pass=True, approved_at=at, **common) if ok
                             else example_payload(InvoicePortalRejected, reason="missing_po", rejection_count=1,
                                                  rejected_at=at, **common))
    await service.client.put("/capacity/queues/dispute_resolution", headers=SUPERVISOR,
                             json={"model": "workload", "team": "vendor-a", "handling_minutes": "60"})
    review = await service.get("/reviews/vendors/acme", headers=LEAD, **PERIOD)
    heads = {h["name"]: h for h in review["headlines"]}
    sla = heads["SLA attainment"]
    assert (sla["value_text"], sla["previous_text"], sla["target_text"], sla["arrow"], sla["status"]) == (
        "76.92 %", "0 %", "90 %", "▲", "bad")
    assert (heads["Quality score"]["trend"], heads["Quality score"]["value_text"]) == ("down", "75 %")
    assert (heads["First-pass portal acceptance"]["value_text"], heads["First-pass portal acceptance"]["arrow"]) == (
        "50 %", "•")
    assert review["rejection_reasons"] == [{"label": "Missing PO", "count": 1, "cumulative_percent": "100.0"}]
    assert review["narrative"][:2] == ["SLA attainment rose from 0 % to 76.92 %, below the 90 % target.",
                                       "Quality score fell from 100 % to 75 %, below the 95 % target."]
    assert "Missing PO caused 1 of the 1 first-pass rejections." in review["narrative"]
    assert "1 agent(s) under target: Carl Diaz." in review["narrative"]
    assert review["under_performers"][0].startswith("Carl Diaz: rank")
    assert review["capacity_outlook"] and review["capacity_outlook"][0].startswith("Dispute resolution (vendor-a) on")
    assert review["vendor_name"] == "Acme BPO" and review["previous_since"] == "2026-11-25"
    problem(await service.client.get("/reviews/vendors/acme", params=PERIOD, headers=AGENT_A), 403)
    problem(await service.client.get("/reviews/vendors/nobody", params=PERIOD, headers=LEAD), 404)
