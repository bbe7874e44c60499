"""Issue 13, segregation of duties: a credit note issued by hand is one person's decision, so all hand-issued
notes of an invoice together stay within the limit of its currency; splitting a large credit into parts does not
get under it, and a larger credit goes through a second person (a dispute credited in collections). The credit
that was issued ends up in the ledger and invoicing's settlement alike."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from services.invoicing.tests.conftest import APPROVER, APPROVER_2, Service, problem, token
from services.invoicing.tests.integration.test_settlement import assert_agrees_with
from services.invoicing.tests.ledger import Ledger, handle

pytestmark = pytest.mark.integration
ADMIN = token("ada", "admin")


async def credit(service: Service, invoice: dict[str, Any], amount: str, headers: dict[str, str]) -> Any:
    etag = (await service.client.get(f"/invoices/{invoice['id']}", headers=APPROVER)).headers["ETag"]
    return await service.client.post(f"/invoices/{invoice['id']}/credit-notes", json={"amount": amount,
                                     "reason": "pricing"}, headers={**headers, "If-Match": etag})


async def test_hand_issued_credits_of_an_invoice_stay_within_its_currencys_limit(service: Service) -> None:
    invoice = await service.issued(lines=[{"description": "Project", "quantity": "1", "unit_price": "3000.00",
                                           "tax_rate": "0.00"}])
    ledger = Ledger(invoice)
    await handle(service, ledger.opened())
    first = await credit(service, invoice, "600.00", APPROVER)
    assert first.status_code == 201, first.text
    for who in (APPROVER, APPROVER_2, ADMIN):  # a second part, by anyone alone, is still one person's credit
        over = problem(await credit(service, invoice, "600.00", who), 403)
        assert over["type"].endswith("over-credit-limit")
    assert over["detail"] == (f"600.00 USD with the 600.00 USD credited by hand before is above the 1,000.00 USD one "
                              f"person may credit by hand on invoice {invoice['number']}: credit it through a dispute "
                              "in collections (approved by a second person) or a credit and rebill")
    assert (await credit(service, invoice, "400.00", APPROVER_2)).status_code == 201  # up to the limit
    yen = await service.issued(currency="JPY", lines=[{"description": "Project", "quantity": "1",
                                                       "unit_price": "495000", "tax_rate": "0.00"}])
    assert (await credit(service, yen, "150000", APPROVER)).status_code == 201  # ¥150,000, not 1,000
    assert await service.scalar("SELECT count(*) FROM credit_notes") == 3
    await handle(service, ledger.post("credit_note", "-600.00"), ledger.post("credit_note", "-400.00"),
                 ledger.post("payment", "-2000.00", payment_id=uuid.uuid4()))
    await assert_agrees_with(service, ledger)
    settled = await service.scalar("SELECT settlement_status FROM invoices WHERE id = :i", i=uuid.UUID(invoice["id"]))
    assert settled == "settled" and ledger.credited == Decimal("1000.00")
