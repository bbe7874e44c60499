"""Cases opened from other services' events. One open case per source key: a duplicate or replayed
fact finds the partial unique index taken and changes nothing (the inbox already skips replayed ids).
Every case opened here is requested by :data:`REQUESTER`; what it says is built by the pure ``*_case``
functions."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from o2c_common.events import Event
from o2c_common.events.contracts.collections import BalanceOverdueEscalated, PromiseToPayBroken
from o2c_common.events.contracts.invoicing import InvoicePortalRejected
from o2c_common.events.contracts.kpi import SlaBreached
from o2c_common.inbox import Handlers
from o2c_common.text import measure, money, or_dash
from o2c_common.tx import Tx
from o2c_escalation.cases.service import NewCase, open_new
from o2c_escalation.config import EscalationSettings

REQUESTER = "system:events"

_CATEGORY_BY_METRIC_PREFIX = (("first_pass", "portal"), ("rejection", "portal"), ("time_to_resubmit", "portal"),
                              ("invoice", "billing"), ("on_time", "billing"), ("auto_match", "cash_application"),
                              ("unapplied", "cash_application"), ("dso", "collections"), ("cei", "collections"),
                              ("dispute", "dispute"), ("promise", "collections"))


def handlers(settings: EscalationSettings) -> Handlers:
    """The service's one handler map: event payload type → handler, configuration bound."""
    return {
        SlaBreached: partial(on_sla_breached_open_case, settings=settings),
        BalanceOverdueEscalated: partial(on_balance_overdue_escalated_open_case, settings=settings),
        InvoicePortalRejected: partial(on_invoice_rejected_n_times_open_case, settings=settings),
        PromiseToPayBroken: partial(on_promise_broken_twice_open_case, settings=settings),
    }


async def on_sla_breached_open_case(tx: Tx, event: Event[SlaBreached], *, settings: EscalationSettings) -> None:
    await open_new(tx.acting_as(REQUESTER), new=sla_breach_case(event), settings=settings)


async def on_balance_overdue_escalated_open_case(tx: Tx, event: Event[BalanceOverdueEscalated], *,
                                                 settings: EscalationSettings) -> None:
    await open_new(tx.acting_as(REQUESTER), new=overdue_balance_case(event), settings=settings)


async def on_invoice_rejected_n_times_open_case(tx: Tx, event: Event[InvoicePortalRejected], *,
                                                settings: EscalationSettings) -> None:
    if event.data.rejection_count >= settings.portal_rejection_threshold:
        await open_new(tx.acting_as(REQUESTER), new=portal_rejections_case(event), settings=settings)


async def on_promise_broken_twice_open_case(tx: Tx, event: Event[PromiseToPayBroken], *,
                                            settings: EscalationSettings) -> None:
    if event.data.broken_count >= settings.broken_promise_threshold:
        await open_new(tx.acting_as(REQUESTER), new=broken_promises_case(event), settings=settings)


COMPARATORS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "="}


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def category_for_metric(metric: str) -> str:
    return next((category for prefix, category in _CATEGORY_BY_METRIC_PREFIX if metric.startswith(prefix)), "other")


def sla_breach_case(event: Event[SlaBreached]) -> NewCase:
    fact = event.data
    scope = f"{fact.scope_type}:{fact.scope_value}" if fact.scope_value else fact.scope_type
    return NewCase(
        title=f"SLA breached: {fact.sla_name} ({scope})"[:200],
        description=(f"{fact.metric} {COMPARATORS[fact.comparator]} {measure(fact.target, fact.unit)} was missed"
                     f" (actual {measure(fact.actual, fact.unit)}) for"
                     f" {_when(fact.window_start)} to {_when(fact.window_end)}."),
        requester_function="operations", category=category_for_metric(fact.metric),
        severity=fact.severity, source="sla_breached", owning_team=fact.owning_team,
        customer_id=fact.scope_value if fact.scope_type == "customer" else None,
        legal_entity=fact.scope_value if fact.scope_type == "legal_entity" else None,
        region=fact.scope_value if fact.scope_type == "region" else None,
        source_key=f"sla_breached:{fact.breach_key}", source_event_id=event.id,
    )


def overdue_balance_case(event: Event[BalanceOverdueEscalated]) -> NewCase:
    fact = event.data
    return NewCase(
        title=f"Overdue balance escalated: {fact.customer_id} {money(fact.overdue_amount, fact.currency)}"[:200],
        description=(f"Rule {fact.rule_name}: {money(fact.overdue_amount, fact.currency)} overdue, up to"
                     f" {fact.max_days_past_due} days past due, {fact.broken_promises} broken promises"
                     f" (as of {fact.as_of_date.isoformat()})."),
        requester_function="finance", category="collections",
        severity=fact.severity or "P3", source="balance_overdue", owning_team=fact.owning_team,
        customer_id=fact.customer_id, legal_entity=fact.legal_entity, region=fact.region,
        invoice_ids=fact.invoice_ids, source_key=f"balance_overdue:{fact.breach_id}", source_event_id=event.id,
    )


def portal_rejections_case(event: Event[InvoicePortalRejected]) -> NewCase:
    fact = event.data
    return NewCase(
        title=f"Invoice {fact.invoice_number} rejected {fact.rejection_count} times by its portal"[:200],
        description=(f"Latest rejection via {fact.channel}: {fact.portal_reason_code} ({fact.reason},"
                     f" root cause {or_dash(fact.root_cause)}). {fact.reason_text or ''}").strip(),
        requester_function="operations", category="portal",
        severity="P2" if fact.disputes_charge else "P3", source="portal_rejections",
        owning_team=fact.owning_team, customer_id=fact.customer_id, legal_entity=fact.legal_entity,
        invoice_ids=(fact.invoice_id,), source_key=f"portal_rejections:{fact.invoice_id}",
        source_event_id=event.id,
    )


def broken_promises_case(event: Event[PromiseToPayBroken]) -> NewCase:
    fact = event.data
    return NewCase(
        title=f"Customer {fact.customer_id} broke {fact.broken_count} promises to pay"[:200],
        description=(f"Promise {fact.promise_id}: {money(fact.amount, fact.currency)} by"
                     f" {fact.promised_date.isoformat()}, {money(fact.paid_amount, fact.currency)} paid."),
        requester_function="finance", category="collections", severity="P3",
        source="broken_promises", owning_team=fact.owning_team, customer_id=fact.customer_id,
        legal_entity=fact.legal_entity, source_key=f"broken_promises:{fact.legal_entity}:{fact.customer_id}",
        source_event_id=event.id,
    )
