from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, IfMatchDep
from o2c_common.uow import TxDep
from o2c_invoicing.creditnotes import sending, service
from o2c_invoicing.creditnotes.schemas import CreditNoteCreate, CreditNoteRead, CreditNoteSent
from o2c_invoicing.deps import ClientDep, SettingsDep
from o2c_invoicing.invoices.router import locked
from o2c_invoicing.permissions import Crediter, CreditNoteSender, Reader

router = APIRouter(prefix="/invoices/{invoice_id}/credit-notes", tags=["credit notes"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreditNoteRead,
             responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428))
async def issue_credit_note(invoice_id: uuid.UUID, data: CreditNoteCreate, tx: TxDep, principal: Crediter,
                            settings: SettingsDep, if_match: IfMatchDep, idem: IdempotencyDep) -> Response:
    """Credit an issued invoice, fully (no amount: what earlier credit notes left) or partly, whatever its portal
    status; emits `credit_note.issued`. Requires `If-Match` with the invoice's ETag. The invoice's status does
    not move: the AR ledger posts the credit and its `receivable.changed` sets the settlement status. One person
    credits by hand at most `INVOICING_HAND_CREDIT_LIMITS[currency]` per invoice, all hand-issued notes together
    (403 `over-credit-limit` above it: a dispute credited in collections, approved by a second person, or a
    credit and rebill)."""
    invoice = await locked(tx, invoice_id, if_match)
    credit = await service.issue_by_hand(tx, invoice, amount=data.amount, reason=data.reason, note=data.note,
                                         settings=settings)
    return await idem.respond(tx.session, status_code=201, content=CreditNoteRead.model_validate(credit))


@router.get("", response_model=list[CreditNoteRead], responses=problem_responses(401, 403, 404))
async def list_credit_notes(invoice_id: uuid.UUID, tx: TxDep, _principal: Reader) -> list[CreditNoteRead]:
    return [CreditNoteRead.model_validate(c) for c in await service.list_for(tx, invoice_id)]


@router.post("/{credit_note_id}/send", response_model=CreditNoteSent,
             responses=problem_responses(401, 403, 404, 422, 502))
async def send_credit_note(invoice_id: uuid.UUID, credit_note_id: uuid.UUID, tx: TxDep, principal: CreditNoteSender,
                           settings: SettingsDep, client: ClientDep) -> CreditNoteSent:
    """Send the credit note to the customer's channel like an invoice: UBL CreditNote (Peppol), cXML credit
    memo (`lineLevelCreditMemo` for the whole invoice, `creditMemo` otherwise) or e-mail with the PDF (and
    the UBL where the profile asks). Checked by the standards' validators first (422 with every problem);
    502 when the channel does not take it (nothing recorded)."""
    result = await sending.send(tx, invoice_id=invoice_id, credit_note_id=credit_note_id, settings=settings,
                                client=client)
    return CreditNoteSent.model_validate(result)
