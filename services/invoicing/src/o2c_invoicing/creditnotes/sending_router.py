from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from o2c_common.auth import Principal, require_roles
from o2c_common.errors import problem_responses
from o2c_common.uow import SessionDep
from o2c_invoicing.creditnotes import sending
from o2c_invoicing.deps import SettingsDep
from o2c_invoicing.submissions.router import ClientDep

router = APIRouter(prefix="/invoices/{invoice_id}/credit-notes", tags=["credit notes"])

Sender = Annotated[Principal, Depends(require_roles("billing_specialist", "billing_approver", "ar_supervisor",
                                                    "integration"))]


class CreditNoteSent(BaseModel):
    credit_note_id: uuid.UUID
    credit_note_number: str
    invoice_id: uuid.UUID
    channel: str
    document_format: str
    reference: str | None


@router.post("/{credit_note_id}/send", response_model=CreditNoteSent,
             responses=problem_responses(401, 403, 404, 422, 502))
async def send_credit_note(invoice_id: uuid.UUID, credit_note_id: uuid.UUID, session: SessionDep,
                           principal: Sender, settings: SettingsDep, client: ClientDep) -> CreditNoteSent:
    """Send the credit note to the customer's channel like an invoice: UBL CreditNote (Peppol), cXML credit
    memo (`lineLevelCreditMemo` for the whole invoice, `creditMemo` otherwise) or e-mail with the PDF (and
    the UBL where the profile asks). Checked by the standards' validators first (422 with every problem);
    502 when the channel does not take it (nothing recorded)."""
    result = await sending.send(session, invoice_id=invoice_id, credit_note_id=credit_note_id,
                                principal=principal, settings=settings, client=client)
    return CreditNoteSent.model_validate(result)
