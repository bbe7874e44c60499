"""Deductions: short payments with a reason code, an owner and an age, resolved as recovered, disputed, or, with a
second person's approval within the limit per invoice (``writeoffs``), credited (credit_note.requested to
invoicing) or written off."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from o2c_collections import writeoffs
from o2c_collections.approvals.models import ReductionKind
from o2c_collections.config import CollectionsSettings
from o2c_collections.deductions import repository
from o2c_collections.deductions.models import Deduction, DeductionResolution, DeductionStatus
from o2c_collections.deductions.schemas import DeductionRead, DeductionResolve, WriteOffDecision
from o2c_collections.disputes.schemas import CreditDecision
from o2c_collections.disputes.service import open_dispute
from o2c_collections.receivables import ledger, service as open_items
from o2c_collections.receivables.models import EntryKind, OpenItem
from o2c_collections.receivables.rows import AnyItem
from o2c_common.entities import load_visible
from o2c_common.errors import Conflict
from o2c_common.events.contracts.collections import CreditNoteRequested, DeductionOpened, DeductionResolved
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx


async def open_deduction(tx: Tx, *, item: OpenItem, payment_id: uuid.UUID | None, amount: Decimal, reason: str,
                         remittance_reason: str | None, opened_date: date, owner: str | None = None,
                         opened_by: str | None = None) -> Deduction:
    """Records the shortfall; the amount stays on the (locked) item but leaves dunning while open. Its
    ``opened_by`` is the person who booked the payment (cash application runs in the engine's name), who may
    then not approve its credit or write-off: given, or read from the payment's audit trail."""
    booker = opened_by or (await repository.payment_booker(tx.session, payment_id=payment_id) if payment_id
                           else None)
    deduction = new_deduction(item, payment_id=payment_id, amount=amount, reason=reason,
                              remittance_reason=remittance_reason, opened_date=opened_date, owner=owner,
                              opened_by=booker or tx.actor.subject)
    tx.session.add(deduction)
    await tx.session.flush()
    await tx.emit(opened(deduction, now=tx.now()))
    await tx.audit("deduction.opened", entity_type="deduction", entity_id=deduction.id,
                   after={"invoice": item.invoice_number, "amount": amount, "reason": reason})
    return deduction


def new_deduction(item: AnyItem, *, payment_id: uuid.UUID | None, amount: Decimal, reason: str,
                  remittance_reason: str | None, opened_date: date, owner: str | None,
                  opened_by: str) -> Deduction:
    """The deduction of ``amount`` on ``item`` (in memory, not added), the item's disputed amount raised by it."""
    item.disputed_amount += amount
    return Deduction(id=uuid.uuid4(), payment_id=payment_id, invoice_id=item.invoice_id,
                     invoice_number=item.invoice_number, legal_entity=item.legal_entity,
                     customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency,
                     amount=amount, reason=reason, remittance_reason=remittance_reason, owner=owner,
                     status=DeductionStatus.OPEN, opened_date=opened_date, version=1, opened_by=opened_by)


def opened(deduction: Deduction, *, now: datetime) -> DeductionOpened:
    return DeductionOpened(
        deduction_id=deduction.id, payment_id=deduction.payment_id, invoice_id=deduction.invoice_id,
        invoice_number=deduction.invoice_number, legal_entity=deduction.legal_entity,
        customer_id=deduction.customer_id, owning_team=deduction.owning_team, currency=deduction.currency,
        amount=deduction.amount, reason=deduction.reason, remittance_reason=deduction.remittance_reason,
        owner=deduction.owner, opened_date=deduction.opened_date, opened_at=now)


DISPUTE_REASON = {"pricing": "pricing", "promo": "pricing", "shortage": "quantity", "damaged": "quality",
                  "tax": "tax", "freight": "other", "unauthorized": "other", "unclassified": "other"}


class DeductionClosed(Conflict):
    type = "deduction-not-open"
    title = "The deduction is not open"


async def get(tx: Tx, deduction_id: uuid.UUID, *, for_update: bool = False) -> Deduction:
    return await load_visible(tx, Deduction, deduction_id, for_update=for_update)


async def lock(tx: Tx, deduction_id: uuid.UUID) -> Deduction:
    """The deduction locked for a transition (404, or 403 when it is another team's)."""
    return await get(tx, deduction_id, for_update=True)


async def list_page(tx: Tx, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[DeductionRead]:
    return await repository.list_page(tx.session, page=page, team=team, status=status, customer_id=customer_id)


async def _locked_item(tx: Tx, deduction: Deduction) -> OpenItem:
    assert deduction.invoice_id is not None
    return await open_items.locked(tx, deduction.invoice_id)


async def resolve(tx: Tx, deduction: Deduction, *, data: DeductionResolve) -> Deduction:
    """The locked ``deduction`` recovered (the customer pays it back: back in dunning) or disputed (a dispute holds
    the amount); what reduces the receivable is only requested here: ``credited`` (status ``credit_requested``)
    and ``written_off``, decided by another person (:func:`decide_credit`, :func:`decide_write_off`)."""
    subject = tx.actor.subject
    if deduction.status != DeductionStatus.OPEN:
        raise DeductionClosed(f"deduction {deduction.id} is {deduction.status}")
    before = {"status": deduction.status}
    deduction.note = data.note or deduction.note
    deduction.version += 1
    if data.resolution in (DeductionResolution.WRITTEN_OFF, DeductionResolution.CREDITED):
        if data.resolution == DeductionResolution.CREDITED:
            deduction.status, deduction.credit_requested_by = DeductionStatus.CREDIT_REQUESTED, subject
        else:
            deduction.status, deduction.write_off_requested_by = DeductionStatus.WRITE_OFF_REQUESTED, subject
        await tx.session.flush()
        action = "credit" if data.resolution == DeductionResolution.CREDITED else "write_off"
        await tx.audit(f"deduction.{action}_requested", entity_type="deduction", entity_id=deduction.id,
                       reason=data.note, before=before, after={"status": deduction.status, "amount": deduction.amount})
        return deduction
    item = await _locked_item(tx, deduction)
    resolved_date = data.resolved_date or tx.now().date()
    if data.resolution == DeductionResolution.DISPUTED:
        dispute = await open_dispute(tx, item=item, amount=deduction.amount,
                                     reason=data.dispute_reason or DISPUTE_REASON[deduction.reason],
                                     source="deduction", opened_date=resolved_date,
                                     deduction_id=deduction.id, source_key=f"deduction:{deduction.id}",
                                     already_held=True)
        deduction.dispute_id = dispute.id if dispute else None
    else:
        _release(item, deduction)
    await _close(tx, deduction=deduction, resolution=data.resolution, resolved_by=subject, approved_by=None,
                 resolved_date=resolved_date)
    await tx.audit(f"deduction.{data.resolution}", entity_type="deduction", entity_id=deduction.id, reason=data.note,
                   before=before, after={"status": "resolved", "resolution": data.resolution,
                                         "amount": deduction.amount})
    return deduction


def _release(item: OpenItem, deduction: Deduction) -> None:
    item.disputed_amount = max(item.disputed_amount - deduction.amount, Decimal(0))
    item.version += 1


def _reduction(deduction: Deduction, kind: ReductionKind) -> writeoffs.Reduction:
    assert deduction.invoice_id is not None
    credit = kind == ReductionKind.CREDIT
    return writeoffs.Reduction(
        kind=kind, what=f"deduction {deduction.id} ({deduction.status})", invoice_id=deduction.invoice_id,
        invoice_number=deduction.invoice_number, currency=deduction.currency, amount=deduction.amount,
        requested_by=deduction.credit_requested_by if credit else deduction.write_off_requested_by,
        raised_by=deduction.opened_by, deduction_id=deduction.id)


async def _reject(tx: Tx, deduction: Deduction, *, kind: ReductionKind, note: str | None) -> Deduction:
    """The request refused: the deduction is open again."""
    deduction.status, deduction.credit_requested_by, deduction.write_off_requested_by = DeductionStatus.OPEN, None, None
    await tx.session.flush()
    await tx.audit(f"deduction.{kind}_rejected", entity_type="deduction", entity_id=deduction.id, reason=note,
                   after={"status": "open"})
    return deduction


async def decide_credit(tx: Tx, deduction: Deduction, *, data: CreditDecision,
                        settings: CollectionsSettings) -> Deduction:
    """Maker-checker on the locked ``deduction``'s requested credit (``writeoffs``): approval asks invoicing for the
    credit note (credit_note.requested carrying who asked and who approved); rejection opens it again."""
    item = await _locked_item(tx, deduction)
    reduction = _reduction(deduction, ReductionKind.CREDIT)
    await writeoffs.check_decision(tx, reduction, waiting=deduction.status == DeductionStatus.CREDIT_REQUESTED,
                                   approve=data.approve, settings=settings)
    deduction.version += 1
    if not data.approve:
        return await _reject(tx, deduction, kind=ReductionKind.CREDIT, note=data.note)
    assert reduction.requested_by is not None
    _release(item, deduction)
    deduction.credit_note_request_id = uuid.uuid4()
    await tx.emit(CreditNoteRequested(
        request_id=deduction.credit_note_request_id, invoice_id=item.invoice_id,
        invoice_number=item.invoice_number, deduction_id=deduction.id, legal_entity=item.legal_entity,
        customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency,
        amount=deduction.amount, reason="deduction_credited", reason_code=deduction.reason,
        requested_by=reduction.requested_by, approved_by=tx.actor.subject, requested_at=tx.now()))
    await writeoffs.record(tx, reduction, amount=deduction.amount)
    await _close(tx, deduction=deduction, resolution=DeductionResolution.CREDITED, resolved_by=reduction.requested_by,
                 approved_by=tx.actor.subject, resolved_date=data.resolved_date or tx.now().date())
    await tx.audit("deduction.credited", entity_type="deduction", entity_id=deduction.id, reason=data.note,
                   after={"amount": deduction.amount, "requested_by": reduction.requested_by,
                          "approved_by": tx.actor.subject})
    return deduction


async def decide_write_off(tx: Tx, deduction: Deduction, *, data: WriteOffDecision,
                           settings: CollectionsSettings) -> Deduction:
    """Maker-checker on the locked ``deduction``'s requested write-off (``writeoffs``): approval writes the amount
    off the invoice (ledger ``write_off``); rejection opens it again."""
    item = await _locked_item(tx, deduction)
    reduction = _reduction(deduction, ReductionKind.WRITE_OFF)
    await writeoffs.check_decision(tx, reduction, waiting=deduction.status == DeductionStatus.WRITE_OFF_REQUESTED,
                                   approve=data.approve, settings=settings)
    deduction.version += 1
    if not data.approve:
        return await _reject(tx, deduction, kind=ReductionKind.WRITE_OFF, note=data.note)
    resolved_date = data.resolved_date or tx.now().date()
    _release(item, deduction)
    amount = min(deduction.amount, max(item.open_amount, Decimal(0)))
    if amount > 0:
        await ledger.post(tx, item=item, kind=EntryKind.WRITE_OFF, amount=-amount, effective_date=resolved_date,
                          deduction_id=deduction.id, payment_id=deduction.payment_id, reason="deduction",
                          note=f"deduction {deduction.id} written off")
        await writeoffs.record(tx, reduction, amount=amount)
    await _close(tx, deduction=deduction, resolution=DeductionResolution.WRITTEN_OFF,
                 resolved_by=deduction.write_off_requested_by or tx.actor.subject, approved_by=tx.actor.subject,
                 resolved_date=resolved_date)
    await tx.audit("deduction.written_off", entity_type="deduction", entity_id=deduction.id, reason=data.note,
                   after={"amount": deduction.amount, "requested_by": deduction.write_off_requested_by})
    return deduction


async def _close(tx: Tx, *, deduction: Deduction, resolution: DeductionResolution, resolved_by: str,
                 approved_by: str | None, resolved_date: date) -> None:
    deduction.status, deduction.resolution = DeductionStatus.RESOLVED, resolution
    deduction.resolved_by, deduction.approved_by, deduction.resolved_date = resolved_by, approved_by, resolved_date
    await tx.session.flush()
    await tx.emit(DeductionResolved(
        deduction_id=deduction.id, payment_id=deduction.payment_id, invoice_id=deduction.invoice_id,
        invoice_number=deduction.invoice_number, legal_entity=deduction.legal_entity,
        customer_id=deduction.customer_id, owning_team=deduction.owning_team, currency=deduction.currency,
        amount=deduction.amount, reason=deduction.reason, resolution=resolution,
        resolved_by=resolved_by, approved_by=approved_by, credit_note_request_id=deduction.credit_note_request_id,
        dispute_id=deduction.dispute_id, opened_date=deduction.opened_date, resolved_date=resolved_date,
        resolved_at=tx.now()))
