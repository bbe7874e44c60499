"""Amend the header fields that carry no money (PO number, buyer reference, service period, attachments) of an
issued invoice its portal has not accepted: requested by a preparer, applied by another person's approval, the
e-invoice document regenerated and stored as a new version, ``invoice.amended`` emitted. Anything else (lines,
amounts, customer, currency) is credit and rebill."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import date
from typing import Any

from pydantic import ValidationError

from o2c_common.errors import Conflict, NotFound, UnprocessableEntity
from o2c_common.events.contracts.invoicing import FieldChange, InvoiceAmended
from o2c_common.tx import Tx
from o2c_invoicing.amendments import repository
from o2c_invoicing.amendments.models import DecisionStatus, InvoiceAmendment, InvoiceDocument
from o2c_invoicing.amendments.schemas import AMENDABLE, MAX_ATTACHMENT_BYTES, AmendableFields
from o2c_invoicing.channels import outgoing
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices import repository as invoices, states
from o2c_invoicing.invoices.errors import MakerCheckerViolation, PortalRulesViolated
from o2c_invoicing.invoices.models import Invoice, InvoiceAttachment
from o2c_invoicing.invoices.service import get
from o2c_invoicing.profiles import repository as profiles

HEADER_FIELDS = ("po_number", "buyer_reference", "service_period_start", "service_period_end")


class NotAmendable(UnprocessableEntity):
    type = "not-amendable"
    title = "This change cannot be made by an amendment"


def _text(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else (None if value is None else str(value))


def _changes(invoice: Invoice, requested: dict[str, Any]) -> list[dict[str, Any]]:
    """[{field, before, after, (content)}] of what would change; 422 for fields that carry money."""
    refused = sorted(set(requested) - set(AMENDABLE))
    if refused:
        raise NotAmendable(f"{', '.join(refused)} cannot be amended on an issued invoice: use credit and rebill "
                           f"(POST /invoices/{invoice.id}/rebill)", extensions={"fields": refused,
                                                                               "amendable": list(AMENDABLE)})
    try:
        fields = AmendableFields.model_validate(requested)
    except ValidationError as exc:
        raise UnprocessableEntity("the corrected values are not valid", type="validation-failed", extensions={
            "errors": exc.errors(include_url=False, include_input=False)}) from exc
    found = []
    for name in HEADER_FIELDS:
        if name in requested and getattr(fields, name) != getattr(invoice, name):
            found.append({"field": name, "before": _text(getattr(invoice, name)),
                          "after": _text(getattr(fields, name))})
    start = fields.service_period_start if "service_period_start" in requested else invoice.service_period_start
    end = fields.service_period_end if "service_period_end" in requested else invoice.service_period_end
    if start and end and end < start:
        raise UnprocessableEntity("service_period_end is before service_period_start", type="validation-failed")
    for attachment in fields.attachments or []:
        try:
            size = len(base64.b64decode(attachment.content_base64, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise UnprocessableEntity(f"attachment {attachment.name} is not base64", type="validation-failed") from exc
        if size > MAX_ATTACHMENT_BYTES:
            raise UnprocessableEntity(f"attachment {attachment.name} is over 5 MB", type="validation-failed")
        found.append({"field": "attachments", "before": None, "after": attachment.name,
                      "media_type": attachment.media_type, "content_base64": attachment.content_base64})
    if not found:
        raise UnprocessableEntity("nothing would change: the values are the invoice's already",
                                  type="nothing-to-amend", title="Nothing to amend")
    return found


async def request(tx: Tx, invoice: Invoice, *, changes: dict[str, Any], reason: str) -> InvoiceAmendment:
    """A pending amendment of an issued invoice not yet accepted by its portal (one pending at a time)."""
    states.check("amend", invoice.status)
    found = _changes(invoice, changes)
    if await repository.pending_for(tx.session, invoice_id=invoice.id) is not None:
        raise Conflict("an amendment of this invoice already awaits approval", type="amendment-pending",
                       title="Amendment pending")
    amendment = InvoiceAmendment(id=uuid.uuid4(), invoice_id=invoice.id, changes=found, reason=reason,
                                 status=DecisionStatus.PENDING, requested_by=tx.actor.subject, requested_at=tx.now())
    await repository.add(tx.session, amendment)
    await tx.audit("invoice.amendment_requested", entity_type="invoice", entity_id=invoice.id, reason=reason,
                   after={"amendment_id": amendment.id, "changes": public_changes(found)})
    return amendment


def public_changes(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in c.items() if k in ("field", "before", "after")} for c in changes]


async def lock(tx: Tx, invoice: Invoice, amendment_id: uuid.UUID) -> InvoiceAmendment:
    amendment = await repository.get(tx.session, invoice_id=invoice.id, amendment_id=amendment_id, for_update=True)
    if amendment is None:
        raise NotFound(f"invoice {invoice.id} has no amendment {amendment_id}", type="amendment-not-found",
                       title="Amendment not found")
    if amendment.status != DecisionStatus.PENDING:
        raise Conflict(f"the amendment was {amendment.status} already", type="amendment-decided",
                       title="Amendment already decided")
    return amendment


async def decide(tx: Tx, invoice: Invoice, amendment: InvoiceAmendment, *, approve: bool, note: str | None,
                 settings: InvoicingSettings) -> InvoiceAmendment:
    """Another person than the requester approves (applies, regenerates, emits) or refuses it."""
    decider = tx.actor.subject
    if decider == amendment.requested_by:
        raise MakerCheckerViolation("the requester of an amendment may not approve it",
                                    extensions={"requested_by": amendment.requested_by})
    amendment.decided_by, amendment.decided_at, amendment.decision_note = decider, tx.now(), note
    if not approve:
        amendment.status = DecisionStatus.REFUSED
        await repository.add(tx.session, amendment)
        await tx.audit("invoice.amendment_refused", entity_type="invoice", entity_id=invoice.id, reason=note,
                       after={"amendment_id": amendment.id})
        return amendment
    states.check("amend", invoice.status)
    before = {c["field"]: c["before"] for c in amendment.changes if c["field"] != "attachments"}
    fields = AmendableFields.model_validate({c["field"]: c["after"] for c in amendment.changes
                                             if c["field"] != "attachments"})
    for name in before:
        setattr(invoice, name, getattr(fields, name))
    for change in (c for c in amendment.changes if c["field"] == "attachments"):
        body = base64.b64decode(change["content_base64"])
        await repository.add(tx.session, InvoiceAttachment(
            invoice_id=invoice.id, name=change["after"], media_type=change["media_type"],
            sha256=hashlib.sha256(body).hexdigest(), size=len(body), body=body, stored_by=decider))
    amendment.status = DecisionStatus.APPLIED
    amendment.document_version = await _regenerate(tx, invoice, settings)
    await invoices.flush(tx.session)
    summary = ", ".join(f"{c['field']} {c['before'] or '—'} → {c['after'] or '—'}" for c in amendment.changes)
    await invoices.add_history(tx.session, invoice_id=invoice.id, from_status=invoice.status, to_status=invoice.status,
                               actor=decider, note=f"amended: {summary}", at=tx.now())
    await tx.audit("invoice.amended", entity_type="invoice", entity_id=invoice.id, reason=amendment.reason,
                   before=before, after={"amendment_id": amendment.id, "changes": public_changes(amendment.changes),
                                         "document_version": amendment.document_version})
    assert invoice.number is not None
    await tx.emit(InvoiceAmended(
        invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
        customer_id=invoice.customer_id, owning_team=invoice.owning_team, amendment_id=amendment.id,
        changes=tuple(FieldChange(field=c["field"], before=c["before"], after=c["after"]) for c in amendment.changes),
        requested_by=amendment.requested_by, approved_by=decider, document_version=amendment.document_version or 1,
        amended_at=tx.now()))
    return amendment


async def _regenerate(tx: Tx, invoice: Invoice, settings: InvoicingSettings) -> int:
    """The document as the customer's channel takes it (``channels.outgoing.build``: cXML or UBL from the
    legal-entity configuration), stored as the next version. When the customer has no billing profile yet, or its
    data cannot make a conforming document yet, the version is counted and the document is built (and refused
    with every problem) at submission."""
    version = await repository.last_document_version(tx.session, invoice_id=invoice.id) + 1
    profile = await profiles.get(tx.session, customer_id=invoice.customer_id)
    if profile is not None:
        try:
            document_format, body = outgoing.build(invoice, profile, settings)
        except PortalRulesViolated:
            return version
        await repository.add(tx.session, InvoiceDocument(
            invoice_id=invoice.id, version=version, format=document_format, sha256=hashlib.sha256(body).hexdigest(),
            body=body, created_by=tx.actor.subject))
    return version


async def list_for(tx: Tx, invoice_id: uuid.UUID) -> list[InvoiceAmendment]:
    await get(tx, invoice_id)
    return await repository.for_invoice(tx.session, invoice_id=invoice_id)
