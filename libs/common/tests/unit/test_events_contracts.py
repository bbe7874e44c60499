"""The payload contracts: every event type exists, is registered sanely and survives the envelope unchanged."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from pydantic import ValidationError

from o2c_common.events import REGISTRY, TOPICS, Event, EventPayload
from o2c_common.events.contracts.collections import PaymentApplied
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.events.examples import example_payload

EXPECTED_KEYS = {
    # invoicing
    "o2c.invoice.issued.v1": "invoice_id",
    "o2c.invoice.approved.v1": "invoice_id",
    "o2c.invoice.submitted.v1": "invoice_id",
    "o2c.invoice.portal_rejected.v1": "invoice_id",
    "o2c.invoice.resubmitted.v1": "invoice_id",
    "o2c.invoice.portal_approved.v1": "invoice_id",
    "o2c.invoice.scheduled_for_payment.v1": "invoice_id",
    "o2c.invoice.paid.v1": "invoice_id",
    "o2c.invoice.cancelled.v1": "invoice_id",
    "o2c.invoice.stalled.v1": "invoice_id",
    "o2c.credit_note.issued.v1": "invoice_id",
    "o2c.invoice.customer_reported_paid.v1": "invoice_id",
    "o2c.invoice.submission_failed.v1": "invoice_id",
    "o2c.invoice.amended.v1": "invoice_id",
    "o2c.invoice.rebilled.v1": "invoice_id",
    # collections
    "o2c.payment.received.v1": "payment_id",
    "o2c.payment.applied.v1": "payment_id",
    "o2c.payment.unapplied.v1": "payment_id",
    "o2c.deduction.opened.v1": "deduction_id",
    "o2c.deduction.resolved.v1": "deduction_id",
    "o2c.dispute.opened.v1": "dispute_id",
    "o2c.dispute.resolved.v1": "dispute_id",
    "o2c.dunning.notice_sent.v1": "invoice_id",
    "o2c.promise_to_pay.recorded.v1": "promise_id",
    "o2c.promise_to_pay.kept.v1": "promise_id",
    "o2c.promise_to_pay.broken.v1": "promise_id",
    "o2c.credit.hold_placed.v1": "customer_id",
    "o2c.credit.hold_released.v1": "customer_id",
    "o2c.balance.overdue_escalated.v1": "customer_id",
    "o2c.credit_note.requested.v1": "invoice_id",
    "o2c.receivable.changed.v1": "invoice_id",
    "o2c.account.updated.v1": "customer_id",
    "o2c.dunning.statement_sent.v1": "customer_id",
    "o2c.dunning.statement_failed.v1": "customer_id",
    # kpi
    "o2c.sla.breached.v1": "breach_key",
    "o2c.sla.recovered.v1": "breach_key",
    "o2c.reconciliation.drift_detected.v1": "drift_key",
    "o2c.reconciliation.drift_cleared.v1": "drift_key",
    "o2c.fx.rates_changed.v1": "fx_key",
    # escalation
    "o2c.escalation.opened.v1": "case_id",
    "o2c.escalation.acknowledged.v1": "case_id",
    "o2c.escalation.escalated.v1": "case_id",
    "o2c.escalation.resolved.v1": "case_id",
    "o2c.escalation.reopened.v1": "case_id",
    "o2c.escalation.sla_breached.v1": "case_id",
    # workforce
    "o2c.vendor.changed.v1": "vendor_id",
    "o2c.team.changed.v1": "team_id",
    "o2c.agent.changed.v1": "agent_id",
    "o2c.sop.created.v1": "sop_id",
    "o2c.sop.version_published.v1": "sop_id",
    "o2c.training.assigned.v1": "assignment_id",
    "o2c.training.completed.v1": "assignment_id",
    "o2c.agent.untrained_work_flagged.v1": "flag_id",
    "o2c.hypercare.changed.v1": "window_id",
    "o2c.improvement_plan.changed.v1": "plan_id",
    "o2c.contingency_plan.changed.v1": "plan_id",
    "o2c.contingency_plan.invoked.v1": "plan_id",
    "o2c.quality.sample_taken.v1": "sample_id",
    "o2c.quality.reviewed.v1": "sample_id",
    "o2c.capacity.outlook_published.v1": "process",
    "o2c.case_action.changed.v1": "case_id",
}

PRODUCERS = {
    "invoice": "invoicing",
    "credit_note.issued": "invoicing",
    "payment": "collections",
    "deduction": "collections",
    "dispute": "collections",
    "dunning": "collections",
    "promise_to_pay": "collections",
    "credit.": "collections",
    "balance": "collections",
    "credit_note.requested": "collections",
    "receivable": "collections",
    "account": "collections",
    "sla": "kpi",
    "reconciliation": "kpi",
    "fx.": "kpi",
    "escalation": "escalation",
    "case_action": "escalation",
    "capacity": "workforce",
    "vendor": "workforce",
    "team": "workforce",
    "agent": "workforce",
    "sop": "workforce",
    "training": "workforce",
    "hypercare": "workforce",
    "improvement_plan": "workforce",
    "contingency_plan": "workforce",
    "quality": "workforce",
}

# What consumers compute from events alone (KPI read models, ledger, escalation desk) needs these fields.
REQUIRED_FIELDS = {
    "o2c.invoice.issued.v1": {"amount", "currency", "issue_date", "due_date", "legal_entity", "owning_team"},
    "o2c.invoice.approved.v1": {"approved_at", "approved_by", "prepared_by"},
    "o2c.invoice.submitted.v1": {"submitted_at", "attempt", "channel"},
    "o2c.invoice.portal_rejected.v1": {"reason", "root_cause", "portal_reason_code", "rejection_count"},
    "o2c.invoice.resubmitted.v1": {"attempt", "rejected_at", "resubmitted_at"},
    "o2c.invoice.portal_approved.v1": {"first_pass", "submitted_at", "approved_at"},
    "o2c.invoice.paid.v1": {"paid_date", "paid_at"},
    "o2c.credit_note.issued.v1": {"invoice_id", "amount", "currency", "issue_date"},
    "o2c.payment.applied.v1": {"applications", "applied_date", "value_date", "rule", "confidence"},
    "o2c.payment.unapplied.v1": {"unapplied_balance", "reversed_applications", "unapplied_date"},
    "o2c.deduction.resolved.v1": {"resolution", "amount", "resolved_date", "approved_by"},
    "o2c.receivable.changed.v1": {"sequence", "kind", "amount", "open_amount_after", "effective_date", "due_date"},
    "o2c.promise_to_pay.broken.v1": {"broken_count", "promised_date"},
    "o2c.balance.overdue_escalated.v1": {"breach_id", "overdue_amount", "max_days_past_due"},
    "o2c.sla.breached.v1": {"breach_key", "severity", "scope_type", "target", "actual"},
    "o2c.escalation.acknowledged.v1": {"business_minutes_to_acknowledge", "within_sla"},
}

MODELS = sorted(REGISTRY.items())


def test_every_named_event_type_is_registered_with_its_key() -> None:
    assert {ce_type: model.aggregate_field for ce_type, model in REGISTRY.items()} == EXPECTED_KEYS


@pytest.mark.parametrize(("ce_type", "model"), MODELS, ids=[t for t, _ in MODELS])
def test_contract_is_documented_and_published_on_its_producer_topic(ce_type: str, model: type[EventPayload]) -> None:
    assert re.fullmatch(r"o2c\.[a-z_]+\.[a-z_]+\.v[0-9]+", ce_type)
    doc = (model.__dict__.get("__doc__") or "").strip()
    assert doc and "\n" not in doc and doc.endswith("."), f"{model.__name__} needs a one-line docstring"
    event_type = ce_type.removeprefix("o2c.")
    longest_first = sorted(PRODUCERS.items(), key=lambda item: -len(item[0]))
    producer = next(p for prefix, p in longest_first if event_type.startswith(prefix))
    assert model.producer == producer
    assert model.topic() == TOPICS[producer]
    assert model.model_fields[model.aggregate_field].is_required()


@pytest.mark.parametrize("ce_type", sorted(REQUIRED_FIELDS))
def test_contract_carries_the_fields_consumers_need(ce_type: str) -> None:
    assert REQUIRED_FIELDS[ce_type] <= set(REGISTRY[ce_type].model_fields)


@pytest.mark.parametrize("minimal", [False, True], ids=["all_fields", "required_only"])
@pytest.mark.parametrize(("ce_type", "model"), MODELS, ids=[t for t, _ in MODELS])
def test_every_type_round_trips_through_the_envelope_unchanged(
    ce_type: str, model: type[EventPayload], minimal: bool
) -> None:
    payload = example_payload(model, minimal=minimal)
    sent = Event.new(payload, source=f"/o2c/{model.producer}", correlation_id="corr-1", traceparent=None)

    received = Event.from_kafka(sent.key.encode(), sent.value(), sent.headers())

    assert received == sent
    assert type(received.data) is model
    assert received.data.model_dump() == payload.model_dump()
    assert received.value() == sent.value()
    assert received.headers() == sent.headers()
    assert received.key == str(getattr(payload, EXPECTED_KEYS[ce_type]))
    assert received.topic == TOPICS[model.producer]


@pytest.mark.parametrize(("ce_type", "model"), MODELS, ids=[t for t, _ in MODELS])
def test_payloads_ignore_unknown_fields_and_are_immutable(ce_type: str, model: type[EventPayload]) -> None:
    payload = example_payload(model)
    newer = model.model_validate({**payload.model_dump(), "field_from_a_newer_producer": 1})
    assert newer == payload  # tolerant reader: an added optional field does not break older consumers
    with pytest.raises(ValidationError):
        setattr(payload, model.aggregate_field, "changed")


def test_instants_must_be_timezone_aware_and_are_kept_in_utc() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        example_payload(InvoiceIssued, issued_at=datetime(2024, 3, 15, 9, 30))
    issued = example_payload(InvoiceIssued, issued_at="2024-03-15T11:30:00+02:00")
    assert issued.issued_at.utcoffset() is not None
    assert issued.issued_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert '"issued_at":"2024-03-15T09:30:00Z"' in issued.model_dump_json()


def test_closed_vocabularies_refuse_unknown_values() -> None:
    with pytest.raises(ValidationError):
        example_payload(PaymentApplied, rule="guessed")
    with pytest.raises(ValidationError):
        example_payload(REGISTRY["o2c.escalation.opened.v1"], severity="P5")
    with pytest.raises(ValidationError):
        example_payload(REGISTRY["o2c.deduction.resolved.v1"], resolution="forgotten")


def test_payment_applied_needs_at_least_one_positive_application() -> None:
    with pytest.raises(ValidationError):
        example_payload(PaymentApplied, applications=())
    application = example_payload(PaymentApplied).applications[0]
    with pytest.raises(ValidationError):
        example_payload(PaymentApplied, applications=[{**application.model_dump(), "amount": "0"}])


def test_example_payload_refuses_unknown_overrides() -> None:
    with pytest.raises(TypeError, match="no fields"):
        example_payload(InvoiceIssued, not_a_field=1)


def test_an_identifier_longer_than_any_consumer_stores_is_refused_at_decoding() -> None:
    """A value one consumer cannot keep must be refused by every consumer alike, never applied by one only."""
    from o2c_common.events.contracts.invoicing import InvoiceIssued
    from o2c_common.events.envelope import Event, EventDecodeError
    from o2c_common.events.examples import example_payload

    event = Event.new(example_payload(InvoiceIssued), source="/o2c/invoicing")
    too_long = event.value().replace(event.data.invoice_number.encode(), b"N" * 41)
    with pytest.raises(EventDecodeError, match="invoice_number"):
        Event.from_kafka(event.key.encode(), too_long, event.headers())
