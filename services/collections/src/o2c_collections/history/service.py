"""The history importer: replays the IBM late-payment history through the service layer, as if it had happened.
Each row is one transaction of three steps, each done only when it is missing, so that this importer and
``o2c history replay`` (which issues the history through invoicing's API, so ``invoice.issued`` opens the same
receivable, and posts the payments to ``POST /payments``) can run in any order, or both, without booking twice:

1. the receivable, opened on InvoiceDate by ``open_receivable`` (as the ``invoice.issued`` consumer opens it;
   idempotent on the invoice id, ``HistoryRow.invoice_id``) unless it exists;
2. for a Disputed row, a dispute opened on min(due, settled) date and resolved ``customer_pays`` on the settled date
   (source key ``history:<entity>:<number>``) unless it exists;
3. the payment received on SettledDate with the invoice number as its reference and ``history:<entity>:<number>``
   as its bank reference, so its dedupe key is the one ``POST /payments`` derives from that bank reference
   (``bank:<entity>:history:<entity>:<number>``): booked unless either path booked it. A payment the other path
   booked before its receivable existed (it arrived before ``invoice.issued``) is still unapplied: it is applied
   now, by the same engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from o2c_collections.cashapp import repository as cashapp
from o2c_collections.cashapp.engine import Line
from o2c_collections.cashapp.service import auto_apply
from o2c_collections.config import CollectionsSettings
from o2c_collections.disputes import service as disputes
from o2c_collections.disputes.schemas import DisputeResolve
from o2c_collections.history.schemas import HistoryRow
from o2c_collections.payments import repository as payments_repository, service as payments
from o2c_collections.payments.parsers import ParsedPayment
from o2c_collections.permissions import service_principal
from o2c_collections.receivables import repository as receivables_repository
from o2c_collections.receivables.service import open_receivable
from o2c_common.events.contracts.collections_terms import HISTORY_IMPORT
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.money import round_money
from o2c_common.tx import Tx

IMPORTER = service_principal("system:history-import")


def bank_reference(*, legal_entity: str, invoice_number: str) -> str:
    """The bank reference of a history payment, on both paths (this importer and POST /payments)."""
    return f"history:{legal_entity}:{invoice_number}"


@dataclass
class RowResult:
    opened: bool = False  # the receivable was opened by this run
    disputed: bool = False  # the dispute was recorded by this run
    booked: bool = False  # the payment was booked by this run
    applied: bool = False  # cash was applied by this run (a new payment, or one booked earlier, unapplied)

    @property
    def imported(self) -> bool:
        """Something changed; False: every step was done before (by this importer or the other path)."""
        return self.opened or self.disputed or self.booked or self.applied


async def import_row(tx: Tx, *, row: HistoryRow, legal_entity: str, currency: str,
                     settings: CollectionsSettings) -> RowResult:
    """One history row, in the importer's name (``system:history-import``)."""
    tx = tx.acting_as(IMPORTER)
    result = RowResult()
    amount = round_money(row.amount, currency)  # as invoicing would have issued it, and as cash can pay it
    fact = InvoiceIssued(invoice_id=row.invoice_id, invoice_number=row.invoice_number, legal_entity=legal_entity,
                         customer_id=row.customer_id, currency=currency, amount=amount, tax_amount=0,
                         issue_date=row.invoice_date, due_date=row.due_date, region=row.country_code,
                         issued_at=datetime.combine(row.invoice_date, datetime.min.time(), UTC))
    result.opened = await open_receivable(tx, fact=fact, event_id=None) is not None
    reference = bank_reference(legal_entity=legal_entity, invoice_number=row.invoice_number)
    if row.disputed:
        locked = await receivables_repository.get(tx.session, invoice_id=row.invoice_id, for_update=True)
        assert locked is not None
        dispute = await disputes.open_dispute(
            tx, item=locked, amount=amount, reason="other", source="history_import",
            opened_date=min(row.due_date, row.settled_date), dispute_id=row.dispute_id, source_key=reference)
        if dispute is not None:
            await disputes.resolve(tx, dispute, settings=settings, data=DisputeResolve(
                outcome="customer_pays", root_cause="other", resolved_date=row.settled_date))
            result.disputed = True
    parsed = ParsedPayment(bank_reference=reference, value_date=row.settled_date, currency=currency,
                           amount=amount, customer_id=row.customer_id, lines=(Line(row.invoice_number, amount, None),))
    key = payments.dedupe_key(legal_entity, parsed)
    booked = await payments.book(tx, parsed=parsed, legal_entity=legal_entity, source=HISTORY_IMPORT,
                                 import_id=None, settings=settings, key=key)
    result.booked, result.applied = booked.payment is not None, booked.applied
    if booked.payment is None:
        result.applied = await _apply_if_left_unapplied(tx, key=key, settings=settings)
    return result


async def _apply_if_left_unapplied(tx: Tx, *, key: str, settings: CollectionsSettings) -> bool:
    payment = await payments_repository.by_dedupe_key(tx.session, key=key, for_update=True)
    if payment is None or payment.unapplied_amount != payment.amount:
        return False
    lines = await cashapp.lines(tx.session, payment_id=payment.id)
    done = await auto_apply(tx, payment=payment, lines=lines, settings=settings)
    return bool(done.decision.allocations)
