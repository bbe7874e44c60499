"""Disputes: opened by a collector, from a deduction, from a disputed portal rejection or by the history
import; resolved with an outcome, a root cause and corrective and preventive actions. While open, the
disputed amount is held out of dunning and cash matching (``open_items.disputed_amount``)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections import writeoffs
from o2c_collections.approvals.models import ReductionKind
from o2c_collections.config import CollectionsSettings
from o2c_collections.disputes import repository
from o2c_collections.disputes.models import Dispute, DisputeOutcome, DisputeStatus
from o2c_collections.disputes.schemas import (
    DisputeCreate,
    DisputeRead,
    DisputeResolve,
    DisputeUpdate,
    WriteOffDecision,
)
from o2c_collections.receivables import ledger, repository as receivables, service as open_items
from o2c_collections.receivables.models import EntryKind, OpenItem
from o2c_common.entities import load_visible
from o2c_common.errors import Conflict, UnprocessableEntity
from o2c_common.events.contracts.collections import CreditNoteRequested, DisputeOpened, DisputeResolved
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx


async def open_dispute(tx: Tx, *, item: OpenItem, amount: Decimal, reason: str, source: str, opened_date: date,
                       owner: str | None = None, deduction_id: uuid.UUID | None = None,
                       source_key: str | None = None, dispute_id: uuid.UUID | None = None,
                       already_held: bool = False) -> Dispute | None:
    """Opens a dispute on the locked ``item`` in ``tx.actor``'s name; None when ``source_key`` was seen before
    (idempotent)."""
    if amount <= 0:
        raise UnprocessableEntity("a disputed amount must be positive")
    subject = tx.actor.subject
    dispute = Dispute(id=dispute_id or uuid.uuid4(), invoice_id=item.invoice_id, invoice_number=item.invoice_number,
                      deduction_id=deduction_id, source_key=source_key, legal_entity=item.legal_entity,
                      customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency,
                      amount=amount, reason=reason, source=source, owner=owner or subject, opened_by=subject,
                      status=DisputeStatus.OPEN, opened_date=opened_date, version=1, opened_at=tx.now())
    if not await repository.insert_new(tx.session, dispute):
        return None
    if not already_held:
        item.disputed_amount += amount
        item.version += 1
    await tx.session.flush()
    stored = await repository.get(tx.session, dispute_id=dispute.id)
    assert stored is not None
    await tx.emit(DisputeOpened(
        dispute_id=stored.id, invoice_id=item.invoice_id, invoice_number=item.invoice_number,
        deduction_id=deduction_id, legal_entity=item.legal_entity, customer_id=item.customer_id,
        owning_team=item.owning_team, currency=item.currency, amount=amount, reason=reason,
        source=source, owner=stored.owner, opened_by=subject, opened_date=opened_date,
        opened_at=stored.opened_at))
    await tx.audit("dispute.opened", entity_type="dispute", entity_id=stored.id,
                   after={"invoice": item.invoice_number, "amount": amount, "reason": reason, "source": source})
    return stored


REJECTION_REASON = {"missing_po": "po", "invalid_po": "po", "tax_error": "tax", "price_mismatch": "pricing",
                    "duplicate_invoice_number": "duplicate_billing"}


class DisputeClosed(Conflict):
    type = "dispute-not-open"
    title = "The dispute is not open"


class NothingToDispute(Conflict):
    type = "nothing-to-dispute"
    title = "Nothing left to dispute on this invoice"


async def open_by_collector(tx: Tx, *, data: DisputeCreate) -> Dispute:
    item = await open_items.get(tx, invoice_id=data.invoice_id, for_update=True)
    free = item.open_amount - item.disputed_amount
    amount = data.amount if data.amount is not None else free
    if amount <= 0 or amount > free:
        raise NothingToDispute(f"{free} of invoice {item.invoice_number} can still be disputed")
    dispute = await open_dispute(tx, item=item, amount=amount, reason=data.reason, source="collector",
                                 owner=data.owner, opened_date=data.opened_date or tx.now().date())
    assert dispute is not None
    return dispute


async def open_from_portal_rejection(tx: Tx, *, fact: InvoicePortalRejected) -> Dispute | None:
    """A rejection that contests the charge opens one dispute per submission (a redelivery changes nothing)."""
    if not fact.disputes_charge:
        return None
    item = await receivables.get(tx.session, invoice_id=fact.invoice_id, for_update=True)
    if item is None or item.open_amount - item.disputed_amount <= 0:
        return None
    dispute = await open_dispute(tx, item=item, amount=item.open_amount - item.disputed_amount,
                                 reason=REJECTION_REASON.get(fact.reason, "other"), source="portal_rejection",
                                 opened_date=fact.rejected_at.date(),
                                 source_key=f"portal:{fact.invoice_id}:{fact.submission_id}")
    if dispute is not None:
        dispute.root_cause = fact.root_cause
        await tx.session.flush()
    return dispute


async def get(tx: Tx, dispute_id: uuid.UUID, *, for_update: bool = False) -> Dispute:
    return await load_visible(tx, Dispute, dispute_id, for_update=for_update)


async def lock(tx: Tx, dispute_id: uuid.UUID) -> Dispute:
    """The dispute locked for a transition (404, or 403 when it is another team's)."""
    return await get(tx, dispute_id, for_update=True)


async def list_page(tx: Tx, *, page: PageRequest, team: str | None, status: str | None, customer_id: str | None,
                    invoice_id: uuid.UUID | None) -> Page[DisputeRead]:
    return await repository.list_page(tx.session, page=page, team=team, status=status, customer_id=customer_id,
                                      invoice_id=invoice_id)


def _ensure_open(dispute: Dispute) -> None:
    if dispute.status != DisputeStatus.OPEN:
        raise DisputeClosed(f"dispute {dispute.id} is {dispute.status}")


async def update(tx: Tx, dispute: Dispute, *, data: DisputeUpdate) -> Dispute:
    """Owner, root cause and actions of the locked, open ``dispute``."""
    _ensure_open(dispute)
    changes = data.model_dump(exclude_unset=True)
    before = {k: getattr(dispute, k) for k in changes}
    for key, value in changes.items():
        setattr(dispute, key, value)
    dispute.version += 1
    await tx.session.flush()
    await tx.audit("dispute.updated", entity_type="dispute", entity_id=dispute.id, before=before, after=changes)
    return dispute


def _credited(dispute: Dispute, data: DisputeResolve) -> Decimal:
    """The credited amount of the outcome, refusing what the outcome does not allow."""
    credited = {DisputeOutcome.CREDITED: dispute.amount,
                DisputeOutcome.PARTIALLY_CREDITED: data.credited_amount or Decimal(0)}.get(data.outcome, Decimal(0))
    if data.outcome == DisputeOutcome.PARTIALLY_CREDITED and not 0 < credited < dispute.amount:
        raise UnprocessableEntity("partially_credited needs a credited_amount between 0 and the disputed amount")
    return credited


def _record(dispute: Dispute, *, root_cause: str, corrective_action: str | None,
            preventive_action: str | None) -> None:
    dispute.root_cause = root_cause
    dispute.corrective_action = corrective_action or dispute.corrective_action
    dispute.preventive_action = preventive_action or dispute.preventive_action
    dispute.version += 1


async def resolve(tx: Tx, dispute: Dispute, *, data: DisputeResolve, settings: CollectionsSettings) -> Dispute:
    """Resolves the locked, open ``dispute`` with its root cause and actions. What reduces the receivable is only
    requested here (the amount stays held): a credit (``credited``, ``partially_credited``: status
    ``credit_requested``) or a write-off (``write_off_requested``); an ar_supervisor who neither asked for it nor
    opened the dispute decides it (:func:`decide_credit`, :func:`decide_write_off`), within the limit per invoice
    (``writeoffs``). Another ar_supervisor resolving a requested write-off as ``written_off`` approves it."""
    if dispute.status == DisputeStatus.WRITE_OFF_REQUESTED and data.outcome == DisputeOutcome.WRITTEN_OFF:
        return await decide_write_off(tx, dispute, data=WriteOffDecision(approve=True,
                                                                         resolved_date=data.resolved_date),
                                      settings=settings)
    _ensure_open(dispute)
    credited = _credited(dispute, data)
    if data.outcome == DisputeOutcome.WRITTEN_OFF or credited > 0:
        return await _request(tx, dispute, data=data, credited=credited)
    assert dispute.invoice_id is not None
    item = await open_items.locked(tx, dispute.invoice_id)
    _release(item, dispute)
    _record(dispute, root_cause=data.root_cause, corrective_action=data.corrective_action,
            preventive_action=data.preventive_action)
    await _close(tx, dispute, outcome=data.outcome, resolved_by=tx.actor.subject,
                 resolved_date=data.resolved_date or tx.now().date(), credited=Decimal(0))
    await tx.audit("dispute.resolved", entity_type="dispute", entity_id=dispute.id,
                   after={"outcome": data.outcome, "credited": Decimal(0), "root_cause": data.root_cause})
    return dispute


async def _request(tx: Tx, dispute: Dispute, *, data: DisputeResolve, credited: Decimal) -> Dispute:
    """Parks a credit (``credited`` > 0) or a write-off for a second person's decision."""
    before = {"status": dispute.status}
    if credited > 0:
        dispute.status, dispute.credit_requested_by = DisputeStatus.CREDIT_REQUESTED, tx.actor.subject
        dispute.credited_amount, action = credited, "dispute.credit_requested"
    else:
        dispute.status, dispute.write_off_requested_by = DisputeStatus.WRITE_OFF_REQUESTED, tx.actor.subject
        action = "dispute.write_off_requested"
    _record(dispute, root_cause=data.root_cause, corrective_action=data.corrective_action,
            preventive_action=data.preventive_action)
    await tx.session.flush()
    await tx.audit(action, entity_type="dispute", entity_id=dispute.id, before=before,
                   after={"status": dispute.status, "amount": credited or dispute.amount,
                          "root_cause": data.root_cause})
    return dispute


def _release(item: OpenItem, dispute: Dispute) -> None:
    """The disputed amount no longer held on the (locked) item."""
    item.disputed_amount = max(item.disputed_amount - dispute.amount, Decimal(0))
    item.version += 1


def _reduction(dispute: Dispute, kind: ReductionKind) -> writeoffs.Reduction:
    assert dispute.invoice_id is not None
    credit = kind == ReductionKind.CREDIT
    return writeoffs.Reduction(
        kind=kind, what=f"dispute {dispute.id} ({dispute.status})", invoice_id=dispute.invoice_id,
        invoice_number=dispute.invoice_number, currency=dispute.currency,
        amount=dispute.credited_amount if credit else dispute.amount,
        requested_by=dispute.credit_requested_by if credit else dispute.write_off_requested_by,
        raised_by=dispute.opened_by, dispute_id=dispute.id, deduction_id=dispute.deduction_id)


async def decide_credit(tx: Tx, dispute: Dispute, *, data: WriteOffDecision,
                        settings: CollectionsSettings) -> Dispute:
    """Maker-checker on the locked ``dispute``'s requested credit (``writeoffs``): approval asks invoicing for the
    credit note (credit_note.requested carrying who asked and who approved) and resolves the dispute; rejection
    opens it again."""
    assert dispute.invoice_id is not None
    item = await open_items.locked(tx, dispute.invoice_id)
    reduction = _reduction(dispute, ReductionKind.CREDIT)
    await writeoffs.check_decision(tx, reduction, waiting=dispute.status == DisputeStatus.CREDIT_REQUESTED,
                                   approve=data.approve, settings=settings)
    dispute.version += 1
    if not data.approve:
        dispute.status, dispute.credit_requested_by, dispute.credited_amount = DisputeStatus.OPEN, None, Decimal(0)
        await tx.session.flush()
        await tx.audit("dispute.credit_rejected", entity_type="dispute", entity_id=dispute.id, reason=data.note,
                       after={"status": "open", "requested_by": reduction.requested_by})
        return dispute
    assert reduction.requested_by is not None
    credited, approver = dispute.credited_amount, tx.actor.subject
    _release(item, dispute)
    await tx.emit(CreditNoteRequested(
        request_id=uuid.uuid4(), invoice_id=item.invoice_id, invoice_number=item.invoice_number,
        dispute_id=dispute.id, deduction_id=dispute.deduction_id, legal_entity=item.legal_entity,
        customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency, amount=credited,
        reason="dispute_credited", reason_code=dispute.reason, requested_by=reduction.requested_by,
        approved_by=approver, requested_at=tx.now()))
    await writeoffs.record(tx, reduction, amount=credited)
    dispute.approved_by = approver
    outcome = DisputeOutcome.CREDITED if credited >= dispute.amount else DisputeOutcome.PARTIALLY_CREDITED
    await _close(tx, dispute, outcome=outcome, resolved_by=reduction.requested_by,
                 resolved_date=data.resolved_date or tx.now().date(), credited=credited)
    await tx.audit("dispute.credited", entity_type="dispute", entity_id=dispute.id, reason=data.note,
                   after={"outcome": outcome, "credited": credited, "requested_by": reduction.requested_by,
                          "approved_by": approver})
    return dispute


async def decide_write_off(tx: Tx, dispute: Dispute, *, data: WriteOffDecision,
                           settings: CollectionsSettings) -> Dispute:
    """Maker-checker on the locked ``dispute``'s requested write-off (``writeoffs``): approval writes what is still
    open of the disputed amount off the invoice (ledger ``write_off``, reason ``dispute``) and resolves the
    dispute; rejection opens it again."""
    assert dispute.invoice_id is not None
    item = await open_items.locked(tx, dispute.invoice_id)
    reduction = _reduction(dispute, ReductionKind.WRITE_OFF)
    await writeoffs.check_decision(tx, reduction, waiting=dispute.status == DisputeStatus.WRITE_OFF_REQUESTED,
                                   approve=data.approve, settings=settings)
    dispute.version += 1
    if not data.approve:
        dispute.status, dispute.write_off_requested_by = DisputeStatus.OPEN, None
        await tx.session.flush()
        await tx.audit("dispute.write_off_rejected", entity_type="dispute", entity_id=dispute.id, reason=data.note,
                       after={"status": "open"})
        return dispute
    resolved_date = data.resolved_date or tx.now().date()
    _release(item, dispute)
    amount = min(dispute.amount, max(item.open_amount, Decimal(0)))
    if amount > 0:
        await ledger.post(tx, item=item, kind=EntryKind.WRITE_OFF, amount=-amount, effective_date=resolved_date,
                          dispute_id=dispute.id, reason="dispute", note=f"dispute {dispute.id} written off")
        await writeoffs.record(tx, reduction, amount=amount)
    dispute.written_off_amount, dispute.approved_by = amount, tx.actor.subject
    await _close(tx, dispute, outcome=DisputeOutcome.WRITTEN_OFF,
                 resolved_by=dispute.write_off_requested_by or tx.actor.subject, resolved_date=resolved_date,
                 credited=Decimal(0))
    await tx.audit("dispute.written_off", entity_type="dispute", entity_id=dispute.id, reason=data.note,
                   after={"amount": amount, "requested_by": dispute.write_off_requested_by,
                          "approved_by": tx.actor.subject})
    return dispute


async def _close(tx: Tx, dispute: Dispute, *, outcome: DisputeOutcome, resolved_by: str, resolved_date: date,
                 credited: Decimal) -> None:
    dispute.status, dispute.outcome = DisputeStatus.RESOLVED, outcome
    dispute.resolved_by, dispute.resolved_date = resolved_by, resolved_date
    await tx.session.flush()
    assert dispute.root_cause is not None
    await tx.emit(DisputeResolved(
        dispute_id=dispute.id, invoice_id=dispute.invoice_id, invoice_number=dispute.invoice_number,
        legal_entity=dispute.legal_entity, customer_id=dispute.customer_id, owning_team=dispute.owning_team,
        currency=dispute.currency, amount=dispute.amount, reason=dispute.reason, outcome=outcome,
        credited_amount=credited, written_off_amount=dispute.written_off_amount, approved_by=dispute.approved_by,
        root_cause=dispute.root_cause, corrective_action=dispute.corrective_action,
        preventive_action=dispute.preventive_action, owner=dispute.owner, resolved_by=resolved_by,
        opened_at=dispute.opened_at, resolved_date=resolved_date, resolved_at=tx.now()))
