"""Portal status from standard messages (Peppol Invoice Response, cXML StatusUpdateRequest), applied like
a callback: the message names the invoice by its number, which finds the latest submission; the status
then goes through ``portal.service.apply_status`` (idempotent, attempt-aware, taxonomy-classified)."""

from __future__ import annotations

from o2c_common.errors import UnprocessableEntity
from o2c_common.tx import Tx
from o2c_invoicing.channels.reasons import classify
from o2c_invoicing.channels.status_messages import MessageError, StatusMessage, parse
from o2c_invoicing.portal.schemas import MessageOutcome, PortalStatus
from o2c_invoicing.portal.service import CallerPortal, apply_status
from o2c_invoicing.submissions import repository as submissions
from o2c_invoicing.submissions.errors import SubmissionNotFound


class MessageInvalid(UnprocessableEntity):
    type = "status-message-invalid"
    title = "The status message does not follow its standard"


def read(body: bytes) -> StatusMessage:
    try:
        return parse(body)
    except MessageError as exc:
        raise MessageInvalid(str(exc), extensions={"element": exc.element}) from exc


async def apply_message(tx: Tx, *, message: StatusMessage, caller: CallerPortal) -> MessageOutcome:
    """The message's status applied to the latest submission of the invoice it names, when that went to the
    calling portal (404 otherwise, and while none is known: the portal retries); a rejection's reason code is
    classified with the taxonomy."""
    submission = await submissions.latest_for_invoice_number(tx.session, invoice_number=message.invoice_number,
                                                             portal=caller.portal, others=caller.others)
    if submission is None or submission.portal_reference is None:
        raise SubmissionNotFound(f"no submission of invoice {message.invoice_number} is known")
    report = PortalStatus(reference=submission.portal_reference, status=message.status,
                          reason_code=message.reason_code,
                          reason_text=(message.reason_text or "")[:2000] or None, at=message.at)
    outcome, invoice = await apply_status(tx, report=report, via=message.source, caller=caller)
    reason, root_cause = classify(message.reason_code) if message.status == "RE" else (None, None)
    return MessageOutcome(outcome=outcome, invoice_status=invoice.status, invoice_number=message.invoice_number,
                          source=message.source, portal_status_code=message.status,
                          portal_reason_code=message.reason_code, reason=reason, root_cause=root_cause)
