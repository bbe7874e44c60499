"""A credit note goes to the customer's channel like an invoice: the UBL CreditNote to Peppol, the cXML credit
memo to Ariba/Coupa-style portals, the PDF (and the UBL where asked) by e-mail — built from the legal-entity
configuration and the billing profile, checked by the standards' validators, then sent. A send is recorded
in the audit log (``credit_note.sent``) with the channel's reference; sending again sends again."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from o2c_common.tx import Tx
from o2c_invoicing.channels import outgoing
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.creditnotes import repository
from o2c_invoicing.creditnotes.errors import CreditNoteNotFound
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.service import get
from o2c_invoicing.profiles import repository as profiles
from o2c_invoicing.profiles.models import BillingProfile


def _channel_violations(customer_id: str, profile: BillingProfile | None) -> list[dict[str, Any]]:
    """What the customer's channel needs to be sent anything (the invoice's portal rules are not re-checked)."""
    if profile is None:
        return [{"rule": "billing_profile", "pointer": "#/customer_id",
                 "detail": f"customer {customer_id} has no billing profile (channel unknown)"}]
    if profile.channel == "email" and outgoing.billing_recipients(profile)[0] is None:
        return [{"rule": "email", "pointer": "#/email",
                 "detail": "e-mail delivery needs the customer's billing address or a billing contact"}]
    if profile.channel == "peppol" and not profile.peppol_participant_id:
        return [{"rule": "peppol_participant_id", "pointer": "#/peppol_participant_id",
                 "detail": "Peppol delivery needs the customer's participant id"}]
    return []


async def send(tx: Tx, *, invoice_id: uuid.UUID, credit_note_id: uuid.UUID, settings: InvoicingSettings,
               client: httpx.AsyncClient) -> dict[str, Any]:
    """Send one credit note of an invoice the caller may see (404 for another invoice's); 422 with every problem
    before anything is sent, 502 when the channel does not take it (nothing recorded)."""
    invoice = await get(tx, invoice_id)
    credit = await repository.get(tx.session, credit_note_id=credit_note_id)
    if credit is None or credit.invoice_id != invoice.id:
        raise CreditNoteNotFound(f"invoice {invoice_id} has no credit note {credit_note_id}")
    profile = await profiles.get(tx.session, customer_id=invoice.customer_id)
    found = _channel_violations(invoice.customer_id, profile)
    if found:
        raise PortalRulesViolated(found)
    assert profile is not None
    document_format, reference = await outgoing.deliver(invoice, profile, settings=settings, client=client,
                                                        credit=credit)
    result = {"credit_note_id": credit.id, "credit_note_number": credit.number, "invoice_id": invoice.id,
              "channel": profile.channel, "document_format": document_format, "reference": reference}
    await tx.audit("credit_note.sent", entity_type="invoice", entity_id=invoice.id, after=result)
    return result
