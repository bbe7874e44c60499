"""The history importer: replays the IBM late-payment history through the service layer, as if it had happened.
Each row is one transaction: the invoice is issued on its InvoiceDate (``open_receivable``, as the
``invoice.issued`` consumer books it), a Disputed row gets a dispute opened on min(due, settled) date and resolved
``customer_pays`` on the settled date, and the payment is received on SettledDate with the invoice number as its
reference (``payments.service.book``, source ``history_import``), which the engine applies by
``reference_and_amount``. Ids are uuid5 of the invoice number (invoice, dispute) and the payment's dedupe key is
``history:<entity>:<invoice number>``: a re-run finds everything and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.application.engine import Line
from o2c_collections.config import CollectionsSettings
from o2c_collections.deps import no_precondition
from o2c_collections.disputes import service as disputes
from o2c_collections.disputes.schemas import DisputeResolve
from o2c_collections.history.schemas import HistoryRow
from o2c_collections.payments import service as payments
from o2c_collections.payments.parsers import ParsedPayment
from o2c_collections.receivables import repository as receivables_repository
from o2c_collections.receivables.service import open_receivable
from o2c_common.auth import Principal
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.outbox import Outbox

IMPORTER = Principal(subject="system:history-import", roles=frozenset({"ar_supervisor"}), kind="service")


@dataclass
class RowResult:
    imported: bool  # False: seen in an earlier run, nothing changed
    applied: bool = False
    disputed: bool = False


async def import_row(session: AsyncSession, *, row: HistoryRow, legal_entity: str, currency: str,
                     outbox: Outbox, settings: CollectionsSettings) -> RowResult:
    fact = InvoiceIssued(invoice_id=row.invoice_id, invoice_number=row.invoice_number, legal_entity=legal_entity,
                         customer_id=row.customer_id, currency=currency, amount=row.amount, tax_amount=0,
                         issue_date=row.invoice_date, due_date=row.due_date, region=row.country_code,
                         issued_at=datetime.combine(row.invoice_date, datetime.min.time(), UTC))
    item = await open_receivable(session, fact=fact, event_id=None)
    if item is None:
        return RowResult(imported=False)
    result = RowResult(imported=True)
    if row.disputed:
        locked = await receivables_repository.get(session, invoice_id=row.invoice_id, for_update=True)
        assert locked is not None
        dispute = await disputes.open_dispute(
            session, outbox=outbox, item=locked, amount=row.amount, reason="other", source="history_import",
            actor=IMPORTER, opened_date=min(row.due_date, row.settled_date), dispute_id=row.dispute_id,
            source_key=f"history:{legal_entity}:{row.invoice_number}")
        if dispute is not None:
            await disputes.resolve(session, dispute_id=dispute.id, principal=IMPORTER, precondition=no_precondition,
                                   outbox=outbox, settings=settings, data=DisputeResolve(
                                       outcome="customer_pays", root_cause="other", resolved_date=row.settled_date))
            result.disputed = True
    parsed = ParsedPayment(bank_reference=None, value_date=row.settled_date, currency=currency, amount=row.amount,
                           customer_id=row.customer_id, lines=(Line(row.invoice_number, row.amount, None),))
    booked = await payments.book(session, parsed=parsed, legal_entity=legal_entity, source="history_import",
                                 import_id=None, actor=IMPORTER.subject, outbox=outbox, settings=settings,
                                 key=f"history:{legal_entity}:{row.invoice_number}")
    result.applied = booked.applied
    return result
