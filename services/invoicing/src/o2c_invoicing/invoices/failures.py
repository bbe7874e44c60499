"""Why an invoice could not move on: an issue or a submission refused by the portal's rules, or a delivery its
channel did not take. The request's transaction rolls back (nothing else changes), so the failure is recorded
in a unit of work of its own, committed before the problem is answered: the invoice then waits in the
``submission_refused`` or ``delivery_failed`` work queue with this reason until its next status change."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from o2c_common.auth import Principal
from o2c_common.events.contracts.invoicing import InvoiceSubmissionFailed
from o2c_common.tx import Transactions
from o2c_invoicing.invoices import repository
from o2c_invoicing.invoices.models import SubmissionFailure
from o2c_invoicing.invoices.portal_rules import summary
from o2c_invoicing.profiles import repository as profiles

FailureKind = Literal["portal_rules", "delivery_failed", "email_failed"]
CHANNELS = frozenset({"coupa", "ariba", "tungsten", "peppol", "email", "other"})


async def record(transactions: Transactions, actor: Principal, *, invoice_id: uuid.UUID, kind: FailureKind,
                 step: str, detail: str, violations: list[dict[str, Any]] | None = None) -> None:
    """One ``submission_failures`` row, an audit entry, and ``invoice.submission_failed`` for a submission (an
    approval or issue refused has no number yet: no event). Reads the invoice without locking it: the failing
    request still holds its row lock until it rolls back."""
    rules = [f"{v['rule']}: {v['detail']}" for v in violations or []]
    reason = f"portal rules refused the {step}: {summary(violations)}" if violations else detail
    async with transactions.begin(actor) as tx:
        invoice = await repository.get(tx.session, invoice_id=invoice_id)
        if invoice is None:
            return
        submitting = step == "submission"
        attempt = invoice.attempts + 1 if submitting else max(invoice.attempts, 1)
        now = tx.now()
        await repository.add_failure(tx.session, SubmissionFailure(
            invoice_id=invoice.id, attempt=attempt, kind=kind, reason=reason[:2000], violations=rules, at=now,
            actor=actor.subject))
        await tx.audit(f"invoice.{step}_failed", entity_type="invoice", entity_id=invoice.id, reason=reason[:2000],
                       after={"kind": kind, "attempt": attempt, "violations": rules})
        if invoice.number is None or not submitting:
            return
        profile = await profiles.get(tx.session, customer_id=invoice.customer_id)
        channel = profile.channel if profile is not None and profile.channel in CHANNELS else "other"
        await tx.emit(InvoiceSubmissionFailed(
            invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
            customer_id=invoice.customer_id, owning_team=invoice.owning_team, kind=kind, reason=reason[:2000],
            violations=tuple(rules), attempt=attempt, channel=channel, failed_at=now, failed_by=actor.subject))
