"""Submission of an issued invoice to its channel, and resubmission after a portal rejection.

The invoice row is locked and its ``If-Match`` checked, the portal rules validated (every violation at
once: 422), the document built (cXML for Ariba/Coupa/Tungsten-style portals, UBL/Peppol BIS 3 for Peppol and
e-mail) and delivered while the lock is held; the submission row, status, history (with the attempt), audit
and event are then written in the same transaction. A delivery failure is a 502 and writes nothing. A portal
callback arriving before this commit finds no submission yet (404) and is retried by the portal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.events.contracts.invoicing import InvoiceResubmitted, InvoiceSubmitted
from o2c_common.outbox import Outbox
from o2c_invoicing.channels import outgoing
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.deps import Precondition
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.lifecycle.service import locked, move
from o2c_invoicing.profiles import repository as profiles
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.submissions import repository
from o2c_invoicing.submissions.models import Submission
from o2c_invoicing.submissions.validation import violations


async def _validated_profile(session: AsyncSession, invoice: Invoice) -> BillingProfile:
    profile = await profiles.get(session, customer_id=invoice.customer_id)
    found = violations(invoice, profile)
    if found:
        raise PortalRulesViolated(found)
    assert profile is not None
    return profile


async def _deliver(invoice: Invoice, profile: BillingProfile, *, settings: InvoicingSettings,
                   client: httpx.AsyncClient) -> tuple[str, str | None]:
    """(document format, portal reference) once the channel took the document."""
    return await outgoing.deliver(invoice, profile, settings=settings, client=client)


async def _record(session: AsyncSession, invoice: Invoice, profile: BillingProfile, *, principal: Principal,
                  document_format: str, reference: str | None, previous: Submission | None,
                  note: str | None) -> Submission:
    invoice.attempts += 1
    submission = await repository.add(session, Submission(
        id=uuid.uuid4(), invoice_id=invoice.id, attempt=invoice.attempts, channel=profile.channel,
        document_format=document_format, portal_reference=reference,
        status="submitted" if previous is None else "resubmitted",
        previous_submission_id=previous.id if previous else None, correction_note=note,
        polls=profile.polls and profile.channel != "email", submitted_by=principal.subject,
        submitted_at=datetime.now(UTC)))
    await move(session, invoice, to=submission.status, actor=principal.subject, note=note,
               submission_id=submission.id, attempt=submission.attempt)
    return submission


async def submit(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                 precondition: Precondition, settings: InvoicingSettings, outbox: Outbox,
                 client: httpx.AsyncClient) -> Invoice:
    invoice = await locked(session, invoice_id=invoice_id, principal=principal, precondition=precondition,
                           action="submit")
    profile = await _validated_profile(session, invoice)
    document_format, reference = await _deliver(invoice, profile, settings=settings, client=client)
    submission = await _record(session, invoice, profile, principal=principal, document_format=document_format,
                               reference=reference, previous=None, note=None)
    await record_audit(session, actor=principal, action="invoice.submitted", entity_type="invoice",
                       entity_id=invoice.id, after={"submission_id": submission.id, "channel": profile.channel,
                                                    "portal_reference": reference})
    assert invoice.number is not None and invoice.due_date is not None
    await outbox.emit(session, InvoiceSubmitted(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, submission_id=submission.id,
        attempt=submission.attempt, channel=profile.channel,
        document_format=document_format,
        currency=invoice.currency, amount=invoice.total_amount, due_date=invoice.due_date,
        submitted_at=submission.submitted_at, submitted_by=principal.subject, portal_reference=reference))
    return invoice


async def resubmit(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal,
                   precondition: Precondition, settings: InvoicingSettings, outbox: Outbox,
                   client: httpx.AsyncClient, correction_note: str, po_number: str | None) -> Invoice:
    """A rejected invoice, corrected (its PO number here; master data through its billing profile), goes to
    its channel again as attempt n+1, linked to the rejected attempt."""
    invoice = await locked(session, invoice_id=invoice_id, principal=principal, precondition=precondition,
                           action="resubmit")
    before = {"po_number": invoice.po_number}
    if po_number is not None:
        invoice.po_number = po_number
    profile = await _validated_profile(session, invoice)
    previous = await repository.attempt(session, invoice_id=invoice.id, attempt=invoice.attempts)
    assert previous is not None
    rejection = await repository.last_rejection(session, submission_id=previous.id)
    document_format, reference = await _deliver(invoice, profile, settings=settings, client=client)
    submission = await _record(session, invoice, profile, principal=principal, document_format=document_format,
                               reference=reference, previous=previous, note=correction_note)
    await record_audit(session, actor=principal, action="invoice.resubmitted", entity_type="invoice",
                       entity_id=invoice.id, reason=correction_note, before=before,
                       after={"po_number": invoice.po_number, "submission_id": submission.id,
                              "attempt": submission.attempt})
    assert invoice.number is not None
    await outbox.emit(session, InvoiceResubmitted(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, submission_id=submission.id,
        attempt=submission.attempt, channel=profile.channel,
        previous_submission_id=previous.id,
        corrected_reason=(rejection.reason if rejection and rejection.reason else "other"),
        document_format=document_format,
        currency=invoice.currency, amount=invoice.total_amount,
        rejected_at=rejection.at if rejection else previous.submitted_at,
        resubmitted_at=submission.submitted_at, resubmitted_by=principal.subject))
    return invoice


async def submissions(session: AsyncSession, *, invoice: Invoice) -> list[Submission]:
    return await repository.for_invoice(session, invoice_id=invoice.id)
