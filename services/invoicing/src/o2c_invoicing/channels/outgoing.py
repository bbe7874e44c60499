"""The document a channel sends, built and checked: cXML for Ariba/Coupa/Tungsten-style portals, UBL
(Peppol BIS 3) for Peppol and e-mail; invoices and credit notes. Data that cannot make a conforming
document, and a document the standards' validators reject, stop the submission with every problem listed
(422 ``portal-rules-violated``, rules ``einvoice_data`` / ``einvoice_conformance``) before anything is sent."""

from __future__ import annotations

from o2c_invoicing.channels.documents import cxml_credit_memo, cxml_invoice, ubl_credit_note, ubl_invoice
from o2c_invoicing.channels.einvoice import DocumentError
from o2c_invoicing.channels.legal_entities import UnknownLegalEntity
from o2c_invoicing.channels.validators import validate_async
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.models import CreditNote, Invoice
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
