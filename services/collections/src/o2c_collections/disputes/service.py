"""Disputes: opened by a collector, from a deduction, from a disputed portal rejection or by the history
import; resolved with an outcome, a root cause and corrective and preventive actions. While open, the
disputed amount is held out of dunning and cash matching (``open_items.disputed_amount``)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from o2c_collections.config import CollectionsSettings
from o2c_collections.disputes import repository
from o2c_collections.disputes.models import Dispute, DisputeOutcome, DisputeStatus
from o2c_collections.disputes.schemas import DisputeCreate, DisputeRead, DisputeResolve, DisputeUpdate
from o2c_collections.receivables import ledger
from o2c_collections.receivables import repository as receivables
from o2c_collections.receivables import service as open_items
from o2c_collections.receivables.models import EntryKind, OpenItem
from o2c_common.auth import Role
from o2c_common.entities import load_visible
from o2c_common.errors import Conflict, Forbidden, UnprocessableEntity
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


def _credited(tx: Tx, dispute: Dispute, data: DisputeResolve, settings: CollectionsSettings) -> Decimal:
    """The credited amount of the outcome, refusing what the outcome does not allow."""
    credited = {DisputeOutcome.CREDITED: dispute.amount,
                DisputeOutcome.PARTIALLY_CREDITED: data.credited_amount or Decimal(0)}.get(data.outcome, Decimal(0))
    if data.outcome == DisputeOutcome.PARTIALLY_CREDITED and not 0 < credited < dispute.amount:
        raise UnprocessableEntity("partially_credited needs a credited_amount between 0 and the disputed amount")
    if data.outcome == DisputeOutcome.WRITTEN_OFF:
        if not tx.actor.has_role(Role.AR_SUPERVISOR):
            raise Forbidden("only an ar_supervisor writes a dispute off", type="missing-role")
        if dispute.amount > settings.write_off_limit and not tx.actor.is_admin:
            raise Forbidden(f"{dispute.amount} is above the write-off limit", type="over-write-off-limit")
    return credited


async def resolve(tx: Tx, dispute: Dispute, *, data: DisputeResolve, settings: CollectionsSettings) -> Dispute:
    """Releases the held amount of the locked ``dispute``; credited outcomes ask invoicing for a credit note, a
    write-off (ar_supervisor, within the limit) reduces AR at once; root cause and actions are recorded on it."""
    _ensure_open(dispute)
    credited = _credited(tx, dispute, data, settings)
    assert dispute.invoice_id is not None
    item = await open_items.locked(tx, dispute.invoice_id)
    resolved_date = data.resolved_date or tx.now().date()
    subject = tx.actor.subject
    item.disputed_amount = max(item.disputed_amount - dispute.amount, Decimal(0))
    item.version += 1
    if credited > 0:
        await tx.emit(CreditNoteRequested(
            request_id=uuid.uuid4(), invoice_id=item.invoice_id, invoice_number=item.invoice_number,
            dispute_id=dispute.id, deduction_id=dispute.deduction_id, legal_entity=item.legal_entity,
            customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency, amount=credited,
            reason="dispute_credited", reason_code=dispute.reason, requested_by=subject, requested_at=tx.now()))
    if data.outcome == DisputeOutcome.WRITTEN_OFF and min(dispute.amount, item.open_amount) > 0:
        await ledger.post(tx, item=item, kind=EntryKind.WRITE_OFF, amount=-min(dispute.amount, item.open_amount),
                          effective_date=resolved_date, dispute_id=dispute.id, reason="dispute",
                          note=f"dispute {dispute.id} written off")
    dispute.status, dispute.outcome, dispute.root_cause = DisputeStatus.RESOLVED, data.outcome, data.root_cause
    dispute.corrective_action = data.corrective_action or dispute.corrective_action
    dispute.preventive_action = data.preventive_action or dispute.preventive_action
    dispute.resolved_by, dispute.resolved_date = subject, resolved_date
    dispute.version += 1
    await tx.session.flush()
    await tx.emit(DisputeResolved(
        dispute_id=dispute.id, invoice_id=dispute.invoice_id, invoice_number=dispute.invoice_number,
        legal_entity=dispute.legal_entity, customer_id=dispute.customer_id, owning_team=dispute.owning_team,
        currency=dispute.currency, amount=dispute.amount, reason=dispute.reason, outcome=data.outcome,
        credited_amount=credited, root_cause=data.root_cause, corrective_action=dispute.corrective_action,
        preventive_action=dispute.preventive_action, owner=dispute.owner, resolved_by=subject,
        opened_at=dispute.opened_at, resolved_date=resolved_date, resolved_at=tx.now()))
    await tx.audit("dispute.resolved", entity_type="dispute", entity_id=dispute.id,
                   after={"outcome": data.outcome, "credited": credited, "root_cause": data.root_cause})
    return dispute
