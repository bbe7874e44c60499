"""Submission of an issued invoice to its channel, and resubmission after a portal rejection.

The invoice row is locked and its ``If-Match`` checked by the router, the portal rules validated (every violation at
once: 422), the document built and checked by the standards' validators (``channels.outgoing``: cXML for
Ariba/Coupa/Tungsten-style portals, UBL/Peppol BIS 3 for Peppol, the PDF (and the UBL where asked) by e-mail)
and delivered while the lock is held; the submission row, status, history (with the attempt), audit
and event are then written in the same transaction. A delivery failure is a 502 and writes nothing. A portal
callback arriving before this commit finds no submission yet (404) and is retried by the portal.
"""

from __future__ import annotations

import uuid

import httpx

from o2c_common.events.contracts.invoicing import InvoiceResubmitted, InvoiceSubmitted
from o2c_common.outbox.writer import AlsoRow
from o2c_common.tx import Tx
from o2c_invoicing.channels import outgoing, portals
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices import repository as invoices, states
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.lifecycle import moved
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.invoices.service import customer_profile, get
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.submissions import repository
from o2c_invoicing.submissions.models import Submission, SubmissionStatus
from o2c_invoicing.submissions.validation import violations


async def _validated_profile(tx: Tx, invoice: Invoice) -> BillingProfile:
    """The customer's profile (read when the invoice was locked) once the invoice passes its portal rules; the
    attachments are counted only where a rule asks for one."""
    profile = await customer_profile(tx, invoice.customer_id)
    needs_attachment = profile is not None and (profile.rules or {}).get("attachment_required")
    attachments = await invoices.attachment_count(tx.session, invoice_id=invoice.id) if needs_attachment else 0
    found = violations(invoice, profile, attachments=attachments)
    if found:
        raise PortalRulesViolated(found)
    assert profile is not None
    return profile


async def _deliver(invoice: Invoice, profile: BillingProfile, *, settings: InvoicingSettings,
                   client: httpx.AsyncClient) -> tuple[str, str | None]:
    """(document format, portal reference) once the channel took the document."""
    return await outgoing.deliver(invoice, profile, settings=settings, client=client)


async def _record(tx: Tx, invoice: Invoice, profile: BillingProfile, *, settings: InvoicingSettings,
                  document_format: str, reference: str | None, previous: Submission | None,
                  note: str | None) -> tuple[Submission, AlsoRow]:
    """The submission row staged and the invoice moved; the history row, to write with the audit entry and event."""
    invoice.attempts += 1
    portal = None if profile.channel == "email" else portals.portal_id(portals.url_of(profile, settings))
    submission = repository.stage(tx.session, Submission(
        id=uuid.uuid4(), invoice_id=invoice.id, attempt=invoice.attempts, channel=profile.channel,
        document_format=document_format, portal_reference=reference, portal=portal,
        status=SubmissionStatus.SUBMITTED if previous is None else SubmissionStatus.RESUBMITTED,
        previous_submission_id=previous.id if previous else None, correction_note=note,
        polls=profile.polls and profile.channel != "email", submitted_by=tx.actor.subject,
        submitted_at=tx.now()))
    history = await moved(tx, invoice, to=submission.status.invoice_status, note=note, submission_id=submission.id,
                          attempt=submission.attempt)
    return submission, history


async def submit(tx: Tx, invoice: Invoice, *, settings: InvoicingSettings, client: httpx.AsyncClient,
                 note: str | None = None) -> Invoice:
    states.check("submit", invoice.status)
    profile = await _validated_profile(tx, invoice)
    document_format, reference = await _deliver(invoice, profile, settings=settings, client=client)
    submission, history = await _record(tx, invoice, profile, settings=settings, document_format=document_format,
                               reference=reference,
                               previous=None, note=note)
    assert invoice.number is not None and invoice.due_date is not None
    await tx.audit_and_emit("invoice.submitted", InvoiceSubmitted(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, submission_id=submission.id,
        attempt=submission.attempt, channel=profile.channel,
        document_format=document_format,
        currency=invoice.currency, amount=invoice.total_amount, due_date=invoice.due_date,
        submitted_at=submission.submitted_at, submitted_by=tx.actor.subject, portal_reference=reference),
        entity_type="invoice", entity_id=invoice.id, also=history,
        after={"submission_id": submission.id, "channel": profile.channel, "portal_reference": reference})
    return invoice


async def resubmit(tx: Tx, invoice: Invoice, *, settings: InvoicingSettings, client: httpx.AsyncClient,
                   correction_note: str, po_number: str | None) -> Invoice:
    """A rejected invoice, corrected (its PO number here; master data through its billing profile), goes to
    its channel again as attempt n+1, linked to the rejected attempt."""
    states.check("resubmit", invoice.status)
    before = {"po_number": invoice.po_number}
    if po_number is not None:
        invoice.po_number = po_number
    previous = await repository.attempt(tx.session, invoice_id=invoice.id, attempt=invoice.attempts)
    if previous is None:  # issued, and no attempt reached the portal yet: this is its first delivery
        await submit(tx, invoice, settings=settings, client=client, note=correction_note)
        await tx.audit("invoice.corrected", entity_type="invoice", entity_id=invoice.id, reason=correction_note,
                       before=before, after={"po_number": invoice.po_number})
        return invoice
    profile = await _validated_profile(tx, invoice)
    rejection = await repository.last_rejection(tx.session, submission_id=previous.id)
    document_format, reference = await _deliver(invoice, profile, settings=settings, client=client)
    submission, history = await _record(tx, invoice, profile, settings=settings, document_format=document_format,
                               reference=reference,
                               previous=previous, note=correction_note)
    assert invoice.number is not None
    await tx.audit_and_emit("invoice.resubmitted", InvoiceResubmitted(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, submission_id=submission.id,
        attempt=submission.attempt, channel=profile.channel,
        previous_submission_id=previous.id,
        corrected_reason=(rejection.reason if rejection and rejection.reason else "other"),
        document_format=document_format,
        currency=invoice.currency, amount=invoice.total_amount,
        rejected_at=rejection.at if rejection else previous.submitted_at,
        resubmitted_at=submission.submitted_at, resubmitted_by=tx.actor.subject),
        entity_type="invoice", entity_id=invoice.id, reason=correction_note, before=before, also=history,
        after={"po_number": invoice.po_number, "submission_id": submission.id, "attempt": submission.attempt})
    return invoice


async def submissions(tx: Tx, invoice_id: uuid.UUID) -> list[Submission]:
    """Every attempt of an invoice the caller may see."""
    invoice = await get(tx, invoice_id)
    return await repository.for_invoice(tx.session, invoice_id=invoice.id)
