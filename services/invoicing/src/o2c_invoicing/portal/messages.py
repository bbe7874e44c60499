"""Portal status from standard messages (Peppol Invoice Response, cXML StatusUpdateRequest), applied like
a callback: the message names the invoice by its number, which finds the latest submission; the status
then goes through ``portal.service.apply_status`` (idempotent, attempt-aware, taxonomy-classified)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.errors import UnprocessableEntity
from o2c_common.outbox import Outbox
from o2c_invoicing.channels.status_messages import MessageError, StatusMessage, parse
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.portal.schemas import PortalStatus
from o2c_invoicing.portal.service import Outcome, apply_status
from o2c_invoicing.submissions.errors import SubmissionNotFound
from o2c_invoicing.submissions.models import Submission


class MessageInvalid(UnprocessableEntity):
    type = "status-message-invalid"
    title = "The status message does not follow its standard"


def read(body: bytes) -> StatusMessage:
    try:
        return parse(body)
    except MessageError as exc:
        raise MessageInvalid(str(exc), extensions={"element": exc.element}) from exc


async def latest_submission(session: AsyncSession, *, invoice_number: str) -> Submission | None:
    stmt = (select(Submission).join(Invoice, Invoice.id == Submission.invoice_id)
            .where(Invoice.number == invoice_number).order_by(Submission.attempt.desc()).limit(1))
    return (await session.scalars(stmt)).one_or_none()


async def apply_message(session: AsyncSession, *, message: StatusMessage,
                        outbox: Outbox) -> tuple[Outcome, Invoice, StatusMessage]:
    submission = await latest_submission(session, invoice_number=message.invoice_number)
    if submission is None or submission.portal_reference is None:
        raise SubmissionNotFound(f"no submission of invoice {message.invoice_number} is known")
    report = PortalStatus(reference=submission.portal_reference, status=message.status,
                          reason_code=message.reason_code,
                          reason_text=(message.reason_text or "")[:2000] or None, at=message.at)
    outcome, invoice = await apply_status(session, report=report, outbox=outbox, via=message.source)
    return outcome, invoice, message
