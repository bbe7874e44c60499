"""Issue 13, segregation of duties: invoicing issues a credit note from collections' credit_note.requested only when
the event carries its approval by a second person. A request with no approver (an old or forged event) or approved
by its own requester is refused, audited and never dead-lettered; the approved one is issued and the ledger's
entry for it settles the invoice in both services' figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from o2c_common.events import Event
from o2c_common.events.contracts.collections import CreditNoteRequested
from services.invoicing.tests.conftest import APPROVER, Service
from services.invoicing.tests.integration.test_settlement import assert_agrees_with
from services.invoicing.tests.ledger import Ledger, handle

pytestmark = pytest.mark.integration


def requested(invoice: dict[str, object], amount: str, *, by: str, approved_by: str | None) -> Event:
    return Event.new(CreditNoteRequested(
        request_id=uuid.uuid4(), invoice_id=uuid.UUID(str(invoice["id"])), invoice_number=str(invoice["number"]),
        legal_entity=str(invoice["legal_entity"]), customer_id=str(invoice["customer_id"]),
        currency=str(invoice["currency"]), amount=Decimal(amount), reason="dispute_credited", reason_code="pricing",
        requested_by=by, approved_by=approved_by, requested_at=datetime.now(UTC)), source="/o2c/collections")


async def test_only_a_credit_request_approved_by_another_person_is_issued(service: Service) -> None:
    invoice = await service.issued()  # 110.01 USD
    ledger = Ledger(invoice)
    await handle(service, ledger.opened())
    # a collector's credit with no approval (the event as collections wrote it before), and a self-approved one
    await handle(service, requested(invoice, "110.01", by="carl", approved_by=None),
                 requested(invoice, "110.01", by="carl", approved_by="carl"))
    assert await service.scalar("SELECT count(*) FROM credit_notes") == 0
    assert "credit_note.issued" not in await service.outbox_types()
    refusals = await service.rows("SELECT actor, reason FROM audit_log WHERE action = 'credit_note.request_refused' "
                                  "ORDER BY id")
    assert refusals == [("system:carl", "the credit of 110.01 USD requested by carl was not approved by a second "
                                        "person")] * 2
    await handle(service, requested(invoice, "110.01", by="carl", approved_by="sue"))
    notes = await service.rows("SELECT amount, created_by, requested_by, approved_by FROM credit_notes")
    assert notes == [(Decimal("110.01"), "system:carl", "carl", "sue")]  # who asked and who approved, kept
    [read] = (await service.client.get(f"/invoices/{invoice['id']}/credit-notes", headers=APPROVER)).json()
    assert (read["requested_by"], read["approved_by"]) == ("carl", "sue")
    assert (await service.outbox_types()).count("credit_note.issued") == 1
    await handle(service, ledger.post("credit_note", "-110.01"))  # the ledger posts it
    await assert_agrees_with(service, ledger)
    settlement = await service.scalar("SELECT settlement_status FROM invoices WHERE id = :i",
                                      i=uuid.UUID(invoice["id"]))
    assert settlement == "credited"
