"""The document a channel sends, built and checked: cXML for Ariba/Coupa/Tungsten-style portals, UBL
(Peppol BIS 3) for Peppol and e-mail; invoices and credit notes. Data that cannot make a conforming
document, and a document the standards' validators reject, stop the submission with every problem listed
(422 ``portal-rules-violated``, rules ``einvoice_data`` / ``einvoice_conformance``) before anything is sent."""

from __future__ import annotations

import re

import httpx

from o2c_common.text import money
from o2c_invoicing.channels import pdf, portals
from o2c_invoicing.channels.delivery import Attachment, post_document, send_email
from o2c_invoicing.channels.documents import (
    CreditNote,
    credit_note_document,
    cxml_credit_memo,
    cxml_invoice,
    invoice_document,
    ubl_credit_note,
    ubl_invoice,
)
from o2c_invoicing.channels.einvoice import DocumentError
from o2c_invoicing.channels.validators import validate_async
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.legal_entities import UnknownLegalEntity
from o2c_invoicing.profiles.models import BillingProfile

CXML_CHANNELS = frozenset({"coupa", "ariba", "tungsten", "other"})


def document_format(profile: BillingProfile) -> str:
    return "cxml" if profile.channel in CXML_CHANNELS else "ubl"


def build(invoice: Invoice, profile: BillingProfile, settings: InvoicingSettings,
          credit: CreditNote | None = None) -> tuple[str, bytes]:
    """(format, document) of the invoice, or of ``credit`` (a credit note of that invoice)."""
    fmt = document_format(profile)
    entities = settings.legal_entities
    try:
        if credit is not None:
            builder = cxml_credit_memo if fmt == "cxml" else ubl_credit_note
            return fmt, builder(credit, invoice, profile, entities=entities)
        if fmt == "cxml":
            return fmt, cxml_invoice(invoice, profile, entities=entities)
        return fmt, ubl_invoice(invoice, profile, entities=entities)
    except DocumentError as exc:
        raise PortalRulesViolated([{"rule": "einvoice_data", "detail": str(exc), "pointer": exc.pointer}]) from exc
    except UnknownLegalEntity as exc:
        raise PortalRulesViolated([{"rule": "einvoice_data", "detail": str(exc),
                                    "pointer": "#/legal_entity"}]) from exc


async def prepared(invoice: Invoice, profile: BillingProfile, settings: InvoicingSettings,
                   credit: CreditNote | None = None) -> tuple[str, bytes]:
    """The built document once the XSD + Schematron (UBL) or the DTD (cXML) found nothing."""
    fmt, document = build(invoice, profile, settings, credit)
    if settings.validate_documents:
        problems = await validate_async(fmt, document, conformance_dir=settings.conformance_dir)
        if problems:
            raise PortalRulesViolated([{"rule": "einvoice_conformance", "detail": str(problem),
                                        "pointer": problem.location or "#", "code": problem.code}
                                       for problem in problems])
    return fmt, document


def billing_recipients(profile: BillingProfile) -> tuple[str | None, list[str]]:
    """(to, cc) of an e-mailed invoice or credit note: the primary billing contact (else the first billing
    contact, else the profile's address), with the other billing contacts in copy."""
    billing = [c for c in profile.contacts or [] if c.get("role", "billing") == "billing"]
    primary = next((c for c in billing if c.get("is_primary")), billing[0] if billing else None)
    to = primary["email"] if primary else profile.email
    cc = [c["email"] for c in billing if c is not primary and c["email"] != to]
    return to, cc


def _attach_ubl(profile: BillingProfile) -> bool:
    return bool((profile.e_invoicing or {}).get("attach_ubl"))


def email_attachments(invoice: Invoice, profile: BillingProfile, settings: InvoicingSettings, ubl: bytes,
                      credit: CreditNote | None = None) -> list[Attachment]:
    """The PDF (from the same data as the UBL), and the UBL where the billing profile asks for it."""
    try:
        doc = credit_note_document(credit, invoice, profile, settings.legal_entities) if credit is not None \
            else invoice_document(invoice, profile, settings.legal_entities)
        rendered = pdf.render(doc, font=settings.pdf_font)
    except DocumentError as exc:
        raise PortalRulesViolated([{"rule": "einvoice_data", "detail": str(exc), "pointer": exc.pointer}]) from exc
    number = credit.number if credit is not None else invoice.number
    attachments: list[Attachment] = [(rendered, "application", "pdf", f"{number}.pdf")]
    if _attach_ubl(profile):
        attachments.append((ubl, "application", "xml", f"{number}.xml"))
    return attachments


async def deliver(invoice: Invoice, profile: BillingProfile, *, settings: InvoicingSettings,
                  client: httpx.AsyncClient, credit: CreditNote | None = None) -> tuple[str, str | None]:
    """Build, check and send the invoice (or ``credit``) to the customer's channel: (document format,
    portal reference or e-mail Message-ID). E-mail carries the PDF (format ``pdf``), plus the UBL where the
    profile's ``e_invoicing.attach_ubl`` asks (format ``ubl``); portals and Peppol get the XML."""
    fmt, document = await prepared(invoice, profile, settings, credit)
    if profile.channel == "email":
        to, cc = billing_recipients(profile)
        assert to is not None and invoice.number is not None
        attachments = email_attachments(invoice, profile, settings, document, credit)
        if credit is not None:
            subject = f"Credit note {credit.number} for invoice {invoice.number}"
            text = (f"Please find attached credit note {credit.number} of {money(credit.amount, credit.currency)} "
                    f"for invoice {invoice.number}.")
            message_id = f"{credit.number}"
        else:
            subject = f"Invoice {invoice.number}"
            text = (f"Please find attached invoice {invoice.number} for "
                    f"{money(invoice.total_amount, invoice.currency)}, due {invoice.due_date}.")
            message_id = f"{invoice.number}-a{invoice.attempts + 1}"
        reference = await send_email(settings, to=to, cc=cc, subject=subject, text=text,
                                     attachments=attachments, message_id=message_id)
        return ("ubl" if _attach_ubl(profile) else "pdf"), reference
    answer = await post_document(client, base_url=portals.checked_url(profile, settings),
                                 document=document, timeout_s=settings.portal_timeout_s)
    portal_reference: str | None = answer.get("reference")
    if portal_reference is None and fmt == "cxml":  # a cXML Response names no reference: our payloadID is the key
        found = re.search(rb'<cXML[^>]*\spayloadID="([^"]+)"', document)
        portal_reference = found.group(1).decode() if found else None
    return fmt, portal_reference
