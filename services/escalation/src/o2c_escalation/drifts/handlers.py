"""A drift between invoicing, collections and kpi about one invoice opens a case (category reconciliation, P2,
one per invoice until closed) routed to the account's team; when the services agree again, an untouched case is
resolved with ``no_action_needed`` and a worked one gets a comment saying so."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from o2c_common.events import Event
from o2c_common.events.contracts.kpi import ReconciliationDriftCleared, ReconciliationDriftDetected
from o2c_common.inbox import Handlers
from o2c_common.text import money, or_dash
from o2c_common.tx import Tx
from o2c_escalation.cases import lifecycle, repository as cases
from o2c_escalation.cases.schemas import TransitionWrite
from o2c_escalation.cases.service import NewCase, open_new
from o2c_escalation.cases.states import CaseStatus, Resolution, Transition
from o2c_escalation.comments import service as comments
from o2c_escalation.comments.schemas import CommentCreate
from o2c_escalation.config import EscalationSettings

REQUESTER = "system:reconciliation"
SERVICES = (("ledger", "collections_open"), ("invoicing", "invoicing_open"), ("kpi", "kpi_open"))


def handlers(settings: EscalationSettings) -> Handlers:
    return {
        ReconciliationDriftDetected: partial(on_reconciliation_drift_open_case, settings=settings),
        ReconciliationDriftCleared: on_reconciliation_drift_cleared_resolve_case,
    }


def source_key(fact: ReconciliationDriftDetected | ReconciliationDriftCleared) -> str:
    return f"reconciliation:{fact.invoice_id}"


async def on_reconciliation_drift_open_case(tx: Tx, event: Event[ReconciliationDriftDetected], *,
                                            settings: EscalationSettings) -> None:
    await open_new(tx.acting_as(REQUESTER), new=drift_case(event), settings=settings)


async def on_reconciliation_drift_cleared_resolve_case(tx: Tx, event: Event[ReconciliationDriftCleared]) -> None:
    fact = event.data
    tx = tx.acting_as(REQUESTER)
    case = await cases.not_closed_by_source_key(tx.session, source_key=source_key(fact))
    if case is None or case.status == CaseStatus.RESOLVED:
        return
    note = f"The services agree again about invoice {_invoice(fact)} (since {fact.cleared_at:%Y-%m-%d %H:%M} UTC)."
    if case.status == CaseStatus.OPEN and case.assignee is None:  # nobody has touched it
        await lifecycle.transition(tx, case, data=TransitionWrite(action=Transition.ACKNOWLEDGE, note=note))
        await lifecycle.transition(tx, case, data=TransitionWrite(
            action=Transition.RESOLVE, note=note, resolution=Resolution.NO_ACTION_NEEDED, root_cause="self_corrected"))
    else:
        await comments.add(tx, case_id=case.id, data=CommentCreate(body=note))


def _invoice(fact: ReconciliationDriftDetected | ReconciliationDriftCleared) -> str:
    return fact.invoice_number or str(fact.invoice_id)


def drift_case(event: Event[ReconciliationDriftDetected]) -> NewCase:
    """"Invoice US01-2026-000123: ledger 83.51 USD, invoicing 0.00 USD, kpi 83.51 USD"."""
    fact = event.data
    figures = ", ".join(f"{name} {_figure(getattr(fact, field), fact.currency, name, fact.missing_in)}"
                        for name, field in SERVICES)
    missing = f" Missing in {', '.join(fact.missing_in)}." if fact.missing_in else ""
    return NewCase(
        title=f"Invoice {_invoice(fact)}: {figures}"[:200],
        description=(f"Invoicing, collections (the ledger) and kpi disagree about what invoice {_invoice(fact)} of"
                     f" customer {or_dash(fact.customer_id)} still owes: {figures}.{missing} First seen"
                     f" {fact.first_seen_at:%Y-%m-%d %H:%M} UTC; still there at {fact.detected_at:%Y-%m-%d %H:%M}"
                     " UTC. `o2c reconcile` shows every drifting invoice; the ledger is the truth."),
        requester_function="finance", category="reconciliation", severity="P2", source="reconciliation_drift",
        owning_team=fact.owning_team, customer_id=fact.customer_id, invoice_ids=(fact.invoice_id,),
        source_key=source_key(fact), source_event_id=event.id,
    )


def _figure(amount: Decimal | None, currency: str, name: str, missing_in: tuple[str, ...]) -> str:
    service = "collections" if name == "ledger" else name
    if amount is None:
        return "missing" if service in missing_in else "not yet known"
    return money(amount, currency)
