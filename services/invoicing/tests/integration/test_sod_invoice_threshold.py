"""Issue 13, item 4: the second-approval threshold of an invoice is its currency's (¥495,000 is not 495,000 USD).
Through the API: the yen invoice is approved by one approver, the dollar invoice of the same figure waits for a
second, different one. (Per-currency thresholds landed with issue 12, A8; this pins them at the endpoint.)"""

from __future__ import annotations

import pytest

from services.invoicing.tests.conftest import APPROVER, APPROVER_2, PREPARER, Service, problem

pytestmark = pytest.mark.integration


async def test_the_second_approval_threshold_is_the_invoices_currencys(service: Service) -> None:
    lines = [{"description": "Project", "quantity": "1", "unit_price": "495000", "tax_rate": "0.00"}]
    yen = await service.create(currency="JPY", lines=lines)
    dollars = await service.create(currency="USD", lines=lines)
    for invoice in (yen, dollars):
        assert (await service.act(invoice["id"], "request-approval", PREPARER)).status_code == 200
    approved = (await service.act(yen["id"], "approve", APPROVER)).json()
    assert (approved["status"], [a["approver"] for a in approved["approvals"]]) == ("approved", ["amy"])
    waiting = (await service.act(dollars["id"], "approve", APPROVER)).json()
    assert waiting["status"] == "pending_approval"
    assert problem(await service.act(dollars["id"], "approve", APPROVER), 403)  # the same approver twice
    approved = (await service.act(dollars["id"], "approve", APPROVER_2)).json()
    assert (approved["status"], sorted(a["approver"] for a in approved["approvals"])) == ("approved", ["abe", "amy"])
