"""Disputes: opened by a collector, from a deduction, from a disputed portal rejection or by the history
import; resolved with an outcome, a root cause and corrective and preventive actions. While open, the
disputed amount is held out of dunning and cash matching (``open_items.disputed_amount``)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.config import CollectionsSettings
from o2c_collections.deps import Precondition
from o2c_collections.disputes import repository
from o2c_collections.disputes.models import Dispute
from o2c_collections.disputes.schemas import DisputeCreate, DisputeRead, DisputeResolve, DisputeUpdate
from o2c_collections.receivables import ledger
from o2c_collections.receivables import repository as receivables
from o2c_collections.receivables.models import OpenItem
from o2c_common.audit import record_audit
from o2c_common.auth import Principal, ensure_team_access
from o2c_common.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from o2c_common.events.contracts.collections import CreditNoteRequested, DisputeOpened, DisputeResolved
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from o2c_common.http import Page, PageRequest, build_page, keyset_select, make_etag
from o2c_common.outbox import Outbox

SYSTEM = "system:collections"


def etag(dispute: Dispute) -> str:
    return make_etag(entity_id=dispute.id, version=dispute.version)


async def open_dispute(session: AsyncSession, *, outbox: Outbox, item: OpenItem, amount: Decimal, reason: str,
                       source: str, actor: str | Principal, opened_date: date, owner: str | None = None,
                       deduction_id: uuid.UUID | None = None, source_key: str | None = None,
                       dispute_id: uuid.UUID | None = None, already_held: bool = False) -> Dispute | None:
    """Opens a dispute on the locked ``item``; None when ``source_key`` was seen before (idempotent)."""
    if amount <= 0:
        raise UnprocessableEntity("a disputed amount must be positive")
    subject = actor.subject if isinstance(actor, Principal) else actor
    dispute = Dispute(id=dispute_id or uuid.uuid4(), invoice_id=item.invoice_id, invoice_number=item.invoice_number,
                      deduction_id=deduction_id, source_key=source_key, legal_entity=item.legal_entity,
                      customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency,
                      amount=amount, reason=reason, source=source, owner=owner or subject, opened_by=subject,
                      status="open", opened_date=opened_date, version=1, opened_at=datetime.now(UTC))
    if not await repository.insert_new(session, dispute):
        return None
    if not already_held:
        item.disputed_amount += amount
        item.version += 1
    await session.flush()
    stored = await repository.get(session, dispute_id=dispute.id)
    assert stored is not None
    await outbox.emit(session, DisputeOpened(
        dispute_id=stored.id, invoice_id=item.invoice_id, invoice_number=item.invoice_number,
        deduction_id=deduction_id, legal_entity=item.legal_entity, customer_id=item.customer_id,
        owning_team=item.owning_team, currency=item.currency, amount=amount, reason=reason,
        source=source, owner=stored.owner, opened_by=subject, opened_date=opened_date,
        opened_at=stored.opened_at))
    await record_audit(session, actor=actor, action="dispute.opened", entity_type="dispute", entity_id=stored.id,
                       after={"invoice": item.invoice_number, "amount": amount, "reason": reason, "source": source})
    return stored


REJECTION_REASON = {"missing_po": "po", "invalid_po": "po", "tax_error": "tax", "price_mismatch": "pricing",
                    "duplicate_invoice_number": "duplicate_billing"}
WORKERS = ("ar_supervisor", "collector", "vendor_agent")


class DisputeClosed(Conflict):
    type = "dispute-not-open"
    title = "The dispute is not open"


class NothingToDispute(Conflict):
    type = "nothing-to-dispute"
    title = "Nothing left to dispute on this invoice"


async def _item(session: AsyncSession, *, invoice_id: uuid.UUID, principal: Principal | None) -> OpenItem:
    item = await receivables.get(session, invoice_id=invoice_id, for_update=True)
    if item is None:
        raise NotFound(f"no receivable for invoice {invoice_id}")
    if principal is not None:
        ensure_team_access(principal, owning_team=item.owning_team)
    return item


async def open_by_collector(session: AsyncSession, *, data: DisputeCreate, principal: Principal,
                            outbox: Outbox) -> Dispute:
    item = await _item(session, invoice_id=data.invoice_id, principal=principal)
    free = item.open_amount - item.disputed_amount
    amount = data.amount if data.amount is not None else free
    if amount <= 0 or amount > free:
        raise NothingToDispute(f"{free} of invoice {item.invoice_number} can still be disputed")
    dispute = await open_dispute(session, outbox=outbox, item=item, amount=amount, reason=data.reason,
                                 source="collector", actor=principal, owner=data.owner,
                                 opened_date=data.opened_date or datetime.now(UTC).date())
    assert dispute is not None
    return dispute


async def open_from_portal_rejection(session: AsyncSession, *, fact: InvoicePortalRejected,
                                     outbox: Outbox) -> Dispute | None:
    """A rejection that contests the charge opens one dispute per submission (a redelivery changes nothing)."""
    if not fact.disputes_charge:
        return None
    item = await receivables.get(session, invoice_id=fact.invoice_id, for_update=True)
    if item is None or item.open_amount - item.disputed_amount <= 0:
        return None
    dispute = await open_dispute(session, outbox=outbox, item=item, amount=item.open_amount - item.disputed_amount,
                                 reason=REJECTION_REASON.get(fact.reason, "other"), source="portal_rejection",
                                 actor=SYSTEM, opened_date=fact.rejected_at.date(),
                                 source_key=f"portal:{fact.invoice_id}:{fact.submission_id}")
    if dispute is not None:
        dispute.root_cause = fact.root_cause
        await session.flush()
    return dispute


async def get(session: AsyncSession, *, dispute_id: uuid.UUID, principal: Principal,
              for_update: bool = False) -> Dispute:
    dispute = await repository.get(session, dispute_id=dispute_id, for_update=for_update)
    if dispute is None:
        raise NotFound(f"dispute {dispute_id} does not exist")
    ensure_team_access(principal, owning_team=dispute.owning_team)
    return dispute


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None, invoice_id: uuid.UUID | None) -> Page[DisputeRead]:
    stmt = keyset_select(repository.list_query(team=team, status=status, customer_id=customer_id,
                                               invoice_id=invoice_id),
                         page=page, order_by=(Dispute.opened_at, Dispute.id), descending=True)
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda d: (d.opened_at, d.id), item=DisputeRead.model_validate)


async def update(session: AsyncSession, *, dispute_id: uuid.UUID, data: DisputeUpdate, principal: Principal,
                 precondition: Precondition) -> Dispute:
    dispute = await get(session, dispute_id=dispute_id, principal=principal, for_update=True)
    precondition(etag(dispute))
    if dispute.status != "open":
        raise DisputeClosed(f"dispute {dispute.id} is {dispute.status}")
    changes = data.model_dump(exclude_unset=True)
    before = {k: getattr(dispute, k) for k in changes}
    for key, value in changes.items():
        setattr(dispute, key, value)
    dispute.version += 1
    await session.flush()
    await record_audit(session, actor=principal, action="dispute.updated", entity_type="dispute",
                       entity_id=dispute.id, before=before, after=changes)
    return dispute


async def resolve(session: AsyncSession, *, dispute_id: uuid.UUID, data: DisputeResolve, principal: Principal,
                  precondition: Precondition, outbox: Outbox, settings: CollectionsSettings) -> Dispute:
    """Releases the held amount; credited outcomes ask invoicing for a credit note, a write-off (ar_supervisor,
    within the limit) reduces AR at once; root cause and actions are recorded on the dispute."""
    dispute = await get(session, dispute_id=dispute_id, principal=principal, for_update=True)
    precondition(etag(dispute))
    if dispute.status != "open":
        raise DisputeClosed(f"dispute {dispute.id} is {dispute.status}")
    credited = {"credited": dispute.amount, "partially_credited": data.credited_amount or Decimal(0)}.get(
        data.outcome, Decimal(0))
    if data.outcome == "partially_credited" and not 0 < credited < dispute.amount:
        raise UnprocessableEntity("partially_credited needs a credited_amount between 0 and the disputed amount")
    if data.outcome == "written_off":
        if not principal.has_role("ar_supervisor"):
            raise Forbidden("only an ar_supervisor writes a dispute off", type="missing-role")
        if dispute.amount > settings.write_off_limit and not principal.is_admin:
            raise Forbidden(f"{dispute.amount} is above the write-off limit", type="over-write-off-limit")
    assert dispute.invoice_id is not None
    item = await _item(session, invoice_id=dispute.invoice_id, principal=None)
    resolved_date = data.resolved_date or datetime.now(UTC).date()
    item.disputed_amount = max(item.disputed_amount - dispute.amount, Decimal(0))
    item.version += 1
    if credited > 0:
        await outbox.emit(session, CreditNoteRequested(
            request_id=uuid.uuid4(), invoice_id=item.invoice_id, invoice_number=item.invoice_number,
            dispute_id=dispute.id, deduction_id=dispute.deduction_id, legal_entity=item.legal_entity,
            customer_id=item.customer_id, owning_team=item.owning_team, currency=item.currency, amount=credited,
            reason="dispute_credited", reason_code=dispute.reason, requested_by=principal.subject,
            requested_at=datetime.now(UTC)))
    if data.outcome == "written_off" and min(dispute.amount, item.open_amount) > 0:
        await ledger.post(session, item=item, kind="write_off", amount=-min(dispute.amount, item.open_amount),
                          effective_date=resolved_date, note=f"dispute {dispute.id} written off")
    dispute.status, dispute.outcome, dispute.root_cause = "resolved", data.outcome, data.root_cause
    dispute.corrective_action = data.corrective_action or dispute.corrective_action
    dispute.preventive_action = data.preventive_action or dispute.preventive_action
    dispute.resolved_by, dispute.resolved_date = principal.subject, resolved_date
    dispute.version += 1
    await session.flush()
    await outbox.emit(session, DisputeResolved(
        dispute_id=dispute.id, invoice_id=dispute.invoice_id, invoice_number=dispute.invoice_number,
        legal_entity=dispute.legal_entity, customer_id=dispute.customer_id, owning_team=dispute.owning_team,
        currency=dispute.currency, amount=dispute.amount, reason=dispute.reason, outcome=data.outcome,
        credited_amount=credited, root_cause=data.root_cause, corrective_action=dispute.corrective_action,
        preventive_action=dispute.preventive_action, owner=dispute.owner, resolved_by=principal.subject,
        opened_at=dispute.opened_at, resolved_date=resolved_date, resolved_at=datetime.now(UTC)))
    await record_audit(session, actor=principal, action="dispute.resolved", entity_type="dispute",
                       entity_id=dispute.id, after={"outcome": data.outcome, "credited": credited,
                                                    "root_cause": data.root_cause})
    return dispute
