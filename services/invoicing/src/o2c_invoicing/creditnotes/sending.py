"""A credit note goes to the customer's channel like an invoice: the UBL CreditNote to Peppol, the cXML credit
memo to Ariba/Coupa-style portals, the PDF (and the UBL where asked) by e-mail — built from the legal-entity
configuration and the billing profile, checked by the standards' validators, then sent. A send is recorded
in the audit log (``credit_note.sent``) with the channel's reference; sending again sends again."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.errors import NotFound
from o2c_invoicing.channels import outgoing
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices.errors import PortalRulesViolated
from o2c_invoicing.invoices.models import CreditNote
from o2c_invoicing.invoices.service import get
from o2c_invoicing.profiles import repository as profiles


class CreditNoteNotFound(NotFound):
    type = "credit-note-not-found"
    title = "No such credit note on this invoice"


async def send(session: AsyncSession, *, invoice_id: uuid.UUID, credit_note_id: uuid.UUID, principal: Principal,
               settings: InvoicingSettings, client: httpx.AsyncClient) -> dict[str, Any]:
    invoice = await get(session, invoice_id=invoice_id, principal=principal)
    credit = await session.get(CreditNote, credit_note_id)
    if credit is None or credit.invoice_id != invoice.id:
        raise CreditNoteNotFound(f"invoice {invoice_id} has no credit note {credit_note_id}")
    profile = await profiles.get(session, customer_id=invoice.customer_id)
    found: list[dict[str, Any]] = []
    if profile is None:
        found.append({"rule": "billing_profile", "pointer": "#/customer_id",
                      "detail": f"customer {invoice.customer_id} has no billing profile (channel unknown)"})
    elif profile.channel == "email" and not profile.email:
        found.append({"rule": "email", "pointer": "#/email", "detail": "e-mail delivery needs the billing address"})
    elif profile.channel == "peppol" and not profile.peppol_participant_id:
        found.append({"rule": "peppol_participant_id", "pointer": "#/peppol_participant_id",
                      "detail": "Peppol delivery needs the customer's participant id"})
    if found:
        raise PortalRulesViolated(found)
    assert profile is not None
    document_format, reference = await outgoing.deliver(invoice, profile, settings=settings, client=client,
                                                        credit=credit)
    result = {"credit_note_id": credit.id, "credit_note_number": credit.number, "invoice_id": invoice.id,
              "channel": profile.channel, "document_format": document_format, "reference": reference}
    await record_audit(session, actor=principal, action="credit_note.sent", entity_type="invoice",
                       entity_id=invoice.id, after=result)
    return result
