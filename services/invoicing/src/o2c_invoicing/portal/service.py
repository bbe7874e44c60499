"""Portal statuses, from signed callbacks or from polling, applied to the invoice of the submission.

Idempotent: a status the submission already has is a duplicate; a status for an older attempt, or one the
invoice has moved past (AB after AP), is ignored. A portal's "paid" is the customer's word: the invoice becomes
``paid_by_customer`` and ``invoice.customer_reported_paid`` is emitted, but nothing is settled (only cash in the
AR ledger settles; past ``customer_paid_no_cash_days`` without it, the invoice is a work item). Only the latest
attempt moves the invoice; every applied status is a history row carrying the submission and attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError

from o2c_common.auth import Principal
from o2c_common.errors import DomainError
from o2c_common.events.contracts.invoicing import (
    InvoiceCustomerReportedPaid,
    InvoicePortalApproved,
    InvoicePortalRejected,
    InvoiceScheduledForPayment,
)
from o2c_common.tx import Transactions, Tx
from o2c_invoicing.channels import portals
from o2c_invoicing.channels.delivery import PollAnswerInvalid, poll_status
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.invoices import repository as invoices, states
from o2c_invoicing.invoices.lifecycle import move
from o2c_invoicing.invoices.models import Invoice
from o2c_invoicing.portal.schemas import Outcome, PortalStatus
from o2c_invoicing.profiles import repository as profiles
from o2c_invoicing.submissions import repository
from o2c_invoicing.submissions.errors import (
    SignatureInvalid,
    SignatureMissing,
    SignatureStale,
    SubmissionNotFound,
    UnknownPortalStatus,
)
from o2c_invoicing.submissions.models import Submission, SubmissionStatus
from o2c_invoicing.submissions.reasons import STATUS_BY_CODE, classify
from o2c_invoicing.submissions.signing import PORTAL_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, valid

CHALLENGE = {"WWW-Authenticate": 'HMAC-SHA256 realm="portal-callbacks"'}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallerPortal:
    """Whose statuses a verified callback may change: the portal its ``X-Portal-Id`` names (signed with that
    portal's own secret), or, naming none (the shared secret), the submissions of portals without a secret of
    their own (``others`` are the portals that have one)."""

    portal: str | None
    others: frozenset[str] = frozenset()


def authenticate(settings: InvoicingSettings, *, headers: Mapping[str, str], body: bytes) -> CallerPortal:
    """The calling portal once its signature checks out (401 otherwise)."""
    named = (headers.get(PORTAL_HEADER) or "").strip().lower() or None
    secrets = {portal.lower(): secret for portal, secret in settings.portal_callback_secrets.items()}
    if named is not None:
        secret = secrets.get(named)
        if secret is None:
            raise SignatureInvalid(f"portal {named} has no callback secret here", headers=CHALLENGE)
        caller = CallerPortal(named)
    else:
        if settings.portal_callback_secret is None:
            raise SignatureMissing(f"{PORTAL_HEADER} is required: callbacks are verified with the secret of the "
                                   "portal they name", headers=CHALLENGE)
        secret, caller = settings.portal_callback_secret, CallerPortal(None, frozenset(secrets))
    verify_signature(secret=secret.get_secret_value(), tolerance_s=settings.portal_callback_tolerance_s,
                     timestamp=headers.get(TIMESTAMP_HEADER), signature=headers.get(SIGNATURE_HEADER), body=body)
    return caller


def verify_signature(*, secret: str, tolerance_s: int, timestamp: str | None, signature: str | None,
                     body: bytes, now: float | None = None) -> None:
    if not timestamp or not signature:
        raise SignatureMissing("X-Portal-Timestamp and X-Portal-Signature are required", headers=CHALLENGE)
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise SignatureInvalid("X-Portal-Timestamp is not a Unix time", headers=CHALLENGE) from exc
    if not valid(secret, timestamp=ts, body=body, given=signature):
        raise SignatureInvalid("the signature does not match the body and timestamp", headers=CHALLENGE)
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        raise SignatureStale(f"timestamp {ts} is more than {tolerance_s}s away from now", headers=CHALLENGE)


def portal_actor(submission: Submission) -> Principal:
    """Who reported a portal status, in the audit trail and the history: ``portal:<channel>``."""
    return Principal(subject=f"portal:{submission.channel}", kind="service")


def _target(report: PortalStatus) -> SubmissionStatus:
    target = STATUS_BY_CODE.get(report.status.upper())
    if target is None:
        raise UnknownPortalStatus(f"portal status {report.status!r} is not known",
                                  extensions={"known": sorted(STATUS_BY_CODE)})
    return target


async def apply_status(tx: Tx, *, report: PortalStatus, via: str, caller: CallerPortal) -> tuple[Outcome, Invoice]:
    """The status applied to the calling portal's submission with the reported reference (404 when it has none)."""
    _target(report)
    submission = await repository.by_reference(tx.session, reference=report.reference, portal=caller.portal,
                                               others=caller.others)
    if submission is None:
        raise SubmissionNotFound(f"no submission has portal reference {report.reference}")
    return await apply_to(tx, submission, report=report, via=via)


async def apply_to(tx: Tx, submission: Submission, *, report: PortalStatus, via: str) -> tuple[Outcome, Invoice]:
    """The status applied to ``submission`` (idempotent, attempt-aware; see the module's text)."""
    code, target = report.status.upper(), _target(report)
    invoice = await invoices.get(tx.session, invoice_id=submission.invoice_id, for_update=True)
    assert invoice is not None
    if submission.status == target:
        return Outcome.DUPLICATE, invoice
    if submission.attempt != invoice.attempts or not states.allowed(target, invoice.status):
        return Outcome.IGNORED, invoice
    tx = tx.acting_as(portal_actor(submission))
    at = report.at or tx.now()
    rejected = target is SubmissionStatus.PORTAL_REJECTED
    reason, root_cause = classify(report.reason_code) if rejected else (None, None)
    submission.status = target
    if rejected:
        invoice.rejection_count += 1
    if target is SubmissionStatus.PORTAL_PAID:
        invoice.customer_paid_reported_at = at
    await move(tx, invoice, to=target.invoice_status, note=report.reason_text, submission_id=submission.id,
               attempt=submission.attempt, portal_status_code=code, portal_reason_code=report.reason_code,
               reason=reason, root_cause=root_cause)
    await tx.audit(f"invoice.{target}", entity_type="invoice", entity_id=invoice.id, reason=report.reason_text,
                   after={"portal_status": code, "reason_code": report.reason_code, "via": via,
                          "submission_id": submission.id, "attempt": submission.attempt})
    await _emit(tx, invoice, submission, report=report, code=code, target=target, at=at)
    return Outcome.APPLIED, invoice


async def _emit(tx: Tx, invoice: Invoice, submission: Submission, *, report: PortalStatus, code: str,
                target: SubmissionStatus, at: datetime) -> None:
    assert invoice.number is not None
    fact = dict(invoice_id=invoice.id, invoice_number=invoice.number, legal_entity=invoice.legal_entity,
                customer_id=invoice.customer_id, owning_team=invoice.owning_team, submission_id=submission.id,
                attempt=submission.attempt, channel=submission.channel)
    if target is SubmissionStatus.PORTAL_REJECTED:
        reason, root_cause = classify(report.reason_code)
        await tx.emit(InvoicePortalRejected(
            **fact, portal_status_code=code, portal_reason_code=report.reason_code or "UNSPECIFIED",
            reason=reason, root_cause=root_cause, reason_text=report.reason_text,
            rejection_count=invoice.rejection_count, rejected_at=at))
    elif target is SubmissionStatus.PORTAL_APPROVED:
        first = await repository.attempt(tx.session, invoice_id=invoice.id, attempt=1)
        assert first is not None
        await tx.emit(InvoicePortalApproved(
            **fact, portal_status_code=code, first_pass=invoice.rejection_count == 0 and submission.attempt == 1,
            submitted_at=first.submitted_at, approved_at=at))
    elif target is SubmissionStatus.SCHEDULED_FOR_PAYMENT:
        await tx.emit(InvoiceScheduledForPayment(
            **fact, portal_status_code=code, scheduled_payment_date=report.payment_date, scheduled_at=at))
    elif target is SubmissionStatus.PORTAL_PAID:
        await tx.emit(InvoiceCustomerReportedPaid(**fact, reported_at=at, payment_date=report.payment_date))


POLLER = "system:portal-poller"


async def _poll(tx: Tx, submission: Submission, *, settings: InvoicingSettings, client: httpx.AsyncClient) -> None:
    """Asks the submission's portal for its status history and applies it in order to this submission only
    (nothing when the portal is down, or is no longer the customer's portal, or may not be called)."""
    invoice = await invoices.get(tx.session, invoice_id=submission.invoice_id)
    assert invoice is not None and submission.portal_reference is not None
    url = portals.url_of(await profiles.get(tx.session, customer_id=invoice.customer_id), settings)
    if submission.portal is not None and portals.portal_id(url) != submission.portal:
        return  # the customer moved to another portal: it knows nothing of this submission
    if (refusal := portals.refusal(url, settings)) is not None:
        log.warning("portal poll skipped: %s", refusal, extra={"submission_id": str(submission.id)})
        return
    try:
        view = await poll_status(client, base_url=url, reference=submission.portal_reference,
                                 timeout_s=settings.portal_timeout_s)
    except httpx.HTTPError:
        return  # the portal is down: try again next pass
    for report in _reports(view, submission.portal_reference):
        await apply_to(tx, submission, report=report, via="poll")


def _reports(view: dict[str, Any], reference: str) -> list[PortalStatus]:
    """The statuses of a poll answer (its ``history``, or the answer itself), all naming ``reference``: a portal
    answers for the submission it was asked about, whatever reference it writes."""
    entries = view.get("history") or [view]
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise PollAnswerInvalid("the history is not a list of objects")
    return [PortalStatus.model_validate({**entry, "reference": reference}) for entry in entries[:100]]


async def poll_once(transactions: Transactions, *, settings: InvoicingSettings, client: httpx.AsyncClient,
                    now: datetime | None = None) -> int:
    """One polling pass: claims up to ``portal_poll_batch`` polled submissions not polled for
    ``portal_poll_interval_s``, asks each portal for its status history and applies it in order. Each answer is
    applied under its own savepoint: a malformed one (not JSON, an unknown status, a bad field) is logged and
    rolled back alone, and the pass goes on with the other portals."""
    async with transactions.begin(POLLER) as tx:
        now = now or tx.now()
        cutoff = datetime.fromtimestamp(now.timestamp() - settings.portal_poll_interval_s, UTC)
        claimed = await repository.due_for_poll(tx.session, before=cutoff, limit=settings.portal_poll_batch)
        for submission in claimed:
            submission.last_polled_at = now
            submission_id = submission.id
            try:
                async with repository.savepoint(tx.session):
                    await _poll(tx, submission, settings=settings, client=client)
            except (ValueError, TypeError, DomainError, DBAPIError) as exc:
                log.warning("portal poll answer refused: %s", exc, extra={"submission_id": str(submission_id)})
        await invoices.flush(tx.session)
        return len(claimed)
