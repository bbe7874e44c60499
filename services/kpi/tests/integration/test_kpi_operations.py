"""Billing, cash and service KPIs on a hand-computed March 2026 (numbers worked out in the comments)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv
from o2c_common.events.examples import example_payload
from o2c_kpi.kpis.schemas import Period, Scope
from services.kpi.tests.integration.conftest import compute, ingest, invoice, value, wrap

pytestmark = pytest.mark.integration

D = Decimal
MARCH = Period.month(date(2026, 3, 1))
TEAM = {"legal_entity": "US01", "customer_id": "CUST-1", "owning_team": "vendor-a"}


def t(day: int, hour: float = 12) -> datetime:
    return datetime(2026, 3, day, tzinfo=UTC) + timedelta(hours=hour)


def ev(model: type[Any], **fields: Any) -> Event:
    return wrap(example_payload(model, **fields))


def billing() -> list[Event]:
    x, y, z, w = (uuid.uuid4() for _ in range(4))
    sx, sz = uuid.uuid4(), uuid.uuid4()
    common = {**TEAM, "channel": "coupa"}
    return [
        ev(inv.InvoiceApproved, invoice_id=x, approved_at=t(1, 10), **{k: TEAM[k] for k in TEAM}),
        ev(inv.InvoiceSubmitted, invoice_id=x, submission_id=sx, attempt=1, submitted_at=t(2, 10), **common),
        ev(inv.InvoicePortalRejected, invoice_id=x, submission_id=sx, attempt=1, reason="missing_po",
           rejection_count=1, rejected_at=t(3, 10), **common),
        ev(inv.InvoiceResubmitted, invoice_id=x, submission_id=uuid.uuid4(), attempt=2, previous_submission_id=sx,
           rejected_at=t(3, 10), resubmitted_at=t(4, 22), **common),  # 1.5 days
        ev(inv.InvoicePortalApproved, invoice_id=x, submission_id=uuid.uuid4(), attempt=2, first_pass=False,
           submitted_at=t(2, 10), approved_at=t(6, 10), **common),  # 4 days from the first submission
        ev(inv.InvoiceSubmitted, invoice_id=y, submission_id=uuid.uuid4(), attempt=1, submitted_at=t(4), **common),
        ev(inv.InvoicePortalApproved, invoice_id=y, submission_id=uuid.uuid4(), attempt=1, first_pass=True,
           submitted_at=t(4), approved_at=t(5), **common),  # 1 day
        ev(inv.InvoiceSubmitted, invoice_id=z, submission_id=sz, attempt=1, submitted_at=t(10), **common),
        ev(inv.InvoicePortalRejected, invoice_id=z, submission_id=sz, attempt=1, reason="tax_error",
           rejection_count=1, rejected_at=t(11), **common),
        ev(inv.InvoiceResubmitted, invoice_id=z, submission_id=uuid.uuid4(), attempt=2, previous_submission_id=sz,
           rejected_at=t(11), resubmitted_at=t(12, 0), **common),  # 0.5 day
        ev(inv.InvoiceSubmitted, invoice_id=w, submission_id=uuid.uuid4(), attempt=1, submitted_at=t(12), **common),
        ev(inv.InvoicePortalApproved, invoice_id=w, submission_id=uuid.uuid4(), attempt=1, first_pass=True,
           submitted_at=t(12), approved_at=t(13, 0), **common),  # 0.5 day
        *invoice("10.00", date(2026, 3, 2), date(2026, 4, 1)).issued(billing_deadline=date(2026, 3, 2)),
        *invoice("10.00", date(2026, 3, 9), date(2026, 4, 8)).issued(billing_deadline=date(2026, 3, 5)),
    ]


def cash_and_service() -> list[Event]:
    i1 = invoice("1000.00", date(2026, 3, 1), date(2026, 3, 31))
    i2 = invoice("500.00", date(2026, 3, 1), date(2026, 3, 31))
    p1, p2 = uuid.uuid4(), uuid.uuid4()
    money = {**TEAM, "currency": "USD"}
    d2, ds1, e1 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    case = {"owning_team": "vendor-a", "legal_entity": "US01", "customer_id": "CUST-1"}
    return [
        *i1.issued(),
        *i2.issued(),
        ev(col.PaymentReceived, payment_id=p1, amount=D(1000), value_date=date(2026, 3, 2), **money),
        *i1.paid("800.00", date(2026, 3, 2), payment_id=p1),
        ev(col.PaymentReceived, payment_id=p2, amount=D(500), value_date=date(2026, 3, 5), **money),
        *i2.paid("500.00", date(2026, 3, 20), rule="manual", payment_id=p2, value_date=date(2026, 3, 5)),
        ev(col.DeductionOpened, deduction_id=uuid.uuid4(), amount=D(50), opened_date=date(2026, 3, 3), owner="carl",
           **money),
        ev(col.DeductionOpened, deduction_id=d2, amount=D(30), opened_date=date(2026, 3, 10), **money),
        ev(col.DeductionResolved, deduction_id=d2, invoice_id=i1.invoice_id, amount=D(30), resolution="written_off",
           opened_date=date(2026, 3, 10), resolved_date=date(2026, 3, 20), **money),
        i1.post("write_off", "-30", date(2026, 3, 20), reason="deduction", deduction_id=d2),
        ev(col.DisputeOpened, dispute_id=ds1, amount=D(120), opened_date=date(2026, 3, 1), owner="dana", **money),
        ev(col.DisputeResolved, dispute_id=ds1, amount=D(120), opened_at=t(1), resolved_at=t(4),
           resolved_date=date(2026, 3, 4), **money),  # 3 days
        ev(col.DisputeOpened, dispute_id=uuid.uuid4(), amount=D(80), opened_date=date(2026, 3, 10), owner="dana",
           **money),
        ev(esc.EscalationOpened, case_id=e1, assignee="erin", opened_at=t(2), **case),
        ev(esc.EscalationAcknowledged, case_id=e1, business_minutes_to_acknowledge=30, within_sla=True,
           acknowledged_at=t(2, 13), **case),
        ev(esc.EscalationResolved, case_id=e1, business_minutes_to_resolve=240, within_sla=True, opened_at=t(2),
           resolved_at=t(3), **case),
        ev(esc.EscalationOpened, case_id=uuid.uuid4(), assignee=None, opened_at=t(5),
           **{**case, "owning_team": "vendor-b"}),
        ev(esc.EscalationAcknowledged, case_id=uuid.uuid4(), business_minutes_to_acknowledge=90, within_sla=False,
           acknowledged_at=t(5, 14), **{**case, "owning_team": "vendor-b"}),
        *(ev(col.PromiseToPayKept, promise_id=uuid.uuid4(), kept_date=date(2026, 3, d), **money) for d in (3, 9)),
        ev(col.PromiseToPayBroken, promise_id=uuid.uuid4(), promised_date=date(2026, 3, 12), **money),
    ]


async def test_billing_kpis(kpi_db: Database) -> None:
    await ingest(kpi_db, billing())
    values = await compute(kpi_db, ["on_time_invoicing_rate", "first_pass_acceptance_rate", "rejection_rate",
                                    "time_to_resubmit", "cycle_time", "backlog"], MARCH)
    assert value(values, "on_time_invoicing_rate") == D("50.00")
    assert value(values, "first_pass_acceptance_rate") == D("50.00")  # y, w first pass; x, z rejected first
    assert value(values, "rejection_rate") == D("33.33")  # 2 rejections / (4 submissions + 2 resubmissions)
    assert value(values, "rejection_rate", dimension="missing_po") == D("16.67")
    assert value(values, "rejection_rate", dimension="tax_error") == D("16.67")
    assert value(values, "time_to_resubmit") == D("24.00")  # hours: (36 + 12) / 2
    assert value(values, "cycle_time", dimension="approved_to_submitted") == D("1.00")
    assert value(values, "cycle_time", dimension="submitted_to_accepted") == D("1.83")  # (4 + 1 + 0.5) / 3
    assert value(values, "cycle_time", dimension="accepted_to_paid") is None
    assert value(values, "backlog") == D(0)  # both rejections were resubmitted
    early = await compute(kpi_db, ["backlog"], Period.day(date(2026, 3, 3)))
    assert value(early, "backlog") == D(1)  # x rejected, not yet resubmitted
    other_team = await compute(kpi_db, ["first_pass_acceptance_rate"], MARCH, Scope(team="vendor-z"))
    assert value(other_team, "first_pass_acceptance_rate") is None


async def test_a_reversed_application_takes_its_cash_back_from_the_rule_that_applied_it(kpi_db: Database) -> None:
    """The engine's 800.00 to the wrong invoice is reversed: cash applied and the auto-match rate drop by it, the
    cash is unapplied again, and AR rises by it (the ledger's reversal entry)."""
    i1 = invoice("1000.00", date(2026, 3, 1), date(2026, 3, 31))
    p1 = uuid.uuid4()
    money = {**TEAM, "currency": "USD"}
    paid = i1.paid("800.00", date(2026, 3, 2), payment_id=p1)
    application = paid[0].data.applications[0]
    reversed_ = col.CashApplication(application_id=application.application_id, invoice_id=i1.invoice_id,
                                    invoice_number=i1.number, amount=D(800), rule="reference_and_amount")
    await ingest(kpi_db, [
        *i1.issued(), ev(col.PaymentReceived, payment_id=p1, amount=D(800), value_date=date(2026, 3, 2), **money),
        *paid, ev(col.PaymentUnapplied, payment_id=p1, amount=D(800), unapplied_balance=D(800), reason="reversed",
                  reversed_applications=(reversed_,), unapplied_date=date(2026, 3, 9), **money),
        i1.post("reversal", "800.00", date(2026, 3, 9), reason="reversed", payment_id=p1,
                application_id=application.application_id)])
    values = await compute(kpi_db, ["cash_received", "cash_applied", "auto_match_rate", "unapplied_cash",
                                    "ar_balance"], MARCH)
    usd = {"currency": "USD"}
    assert value(values, "cash_received", **usd) == D("800.00")
    assert value(values, "cash_applied", **usd) == D("0.00")
    assert value(values, "auto_match_rate", **usd) == D("0.00")
    assert value(values, "unapplied_cash", **usd) == D("800.00")
    assert value(values, "ar_balance", **usd) == D("1000.00")


async def test_cash_and_service_kpis(kpi_db: Database) -> None:
    await ingest(kpi_db, cash_and_service())
    values = await compute(kpi_db, [
        "cash_received", "cash_applied", "auto_match_rate", "unapplied_cash", "unapplied_cash_age",
        "open_deductions", "open_deductions_age", "open_disputes", "dispute_resolution_time",
        "escalation_acknowledge_time", "escalation_resolve_time", "escalation_acknowledged_within_sla_rate",
        "escalation_resolved_within_sla_rate", "promise_to_pay_kept_rate", "backlog", "work_items_by_team",
        "work_items_by_agent", "ar_balance"], MARCH)
    usd = {"currency": "USD"}
    assert value(values, "cash_received", **usd) == D("1500.00")
    assert value(values, "cash_applied", **usd) == D("1300.00")
    assert value(values, "auto_match_rate", **usd) == D("53.33")  # 800 by the engine / 1,500 received
    assert value(values, "unapplied_cash", **usd) == D("200.00")
    assert value(values, "unapplied_cash_age", **usd) == D("29.00")  # received 2 Mar
    assert value(values, "open_deductions", **usd) == D("50.00")
    assert value(values, "open_deductions_age", **usd) == D("28.00")
    assert value(values, "open_disputes", **usd) == D("80.00")
    assert value(values, "ar_balance", **usd) == D("170.00")  # 1,000 - 800 applied - 30 written off (+ 500 - 500)
    assert value(values, "dispute_resolution_time") == D("3.00")
    assert value(values, "escalation_acknowledge_time") == D("60.00")
    assert value(values, "escalation_resolve_time") == D("240.00")
    assert value(values, "escalation_acknowledged_within_sla_rate") == D("50.00")
    assert value(values, "escalation_resolved_within_sla_rate") == D("100.00")
    assert value(values, "promise_to_pay_kept_rate") == D("66.67")
    assert value(values, "backlog") == D(3)  # deduction of carl, dispute of dana, case of vendor-b
    assert value(values, "work_items_by_team", dimension="vendor-a") == D(2)
    assert value(values, "work_items_by_team", dimension="vendor-b") == D(1)
    assert value(values, "work_items_by_agent", dimension="carl") == D(1)
    assert value(values, "work_items_by_agent", dimension="(unassigned)") == D(1)
    mid = await compute(kpi_db, ["unapplied_cash", "unapplied_cash_age"], Period.day(date(2026, 3, 10)))
    assert value(mid, "unapplied_cash", **usd) == D("700.00")
    assert value(mid, "unapplied_cash_age", **usd) == D("5.86")  # (200 x 8 + 500 x 5) / 700


async def test_time_to_resubmit_is_in_hours(kpi_db: Database) -> None:
    """A resubmission 15 minutes after the rejection reads 0.25 hours (it read 0.00 days)."""
    submission = uuid.uuid4()
    await ingest(kpi_db, [ev(inv.InvoiceResubmitted, invoice_id=uuid.uuid4(), submission_id=uuid.uuid4(), attempt=2,
                             previous_submission_id=submission, rejected_at=t(3, 10), resubmitted_at=t(3, 10.25),
                             **TEAM, channel="coupa")])
    values = await compute(kpi_db, ["time_to_resubmit"], MARCH)
    assert value(values, "time_to_resubmit") == D("0.25")
    assert values[0].unit == "hours"


async def test_on_time_invoicing_counts_invoices_with_a_billing_deadline(kpi_db: Database) -> None:
    """An invoice.issued carrying its billing deadline gives a rate (it was always null: no deadline was sent);
    without any, the value is null and says why."""
    await ingest(kpi_db, [*invoice("10.00", date(2026, 3, 2), date(2026, 4, 1)).issued(),  # no deadline: not counted
                          *invoice("10.00", date(2026, 3, 3), date(2026, 4, 2)).issued(
                              billing_deadline=date(2026, 3, 5))])
    on_time = (await compute(kpi_db, ["on_time_invoicing_rate"], MARCH))[0]
    assert (on_time.value, on_time.note) == (D("100.00"), None)
    april = (await compute(kpi_db, ["on_time_invoicing_rate"], Period.month(date(2026, 4, 1))))[0]
    assert (april.value, april.note) == (None, "no invoice with a billing deadline in scope")


async def test_a_reopened_escalation_is_backlog_again_until_resolved_again(kpi_db: Database) -> None:
    e = uuid.uuid4()
    case = {"case_id": e, "owning_team": "vendor-r", "legal_entity": "US01", "customer_id": "CUST-R",
            "assignee": "rita", "opened_at": t(2)}
    resolved = {"business_minutes_to_resolve": 60, "within_sla": True}
    await ingest(kpi_db, [
        ev(esc.EscalationOpened, **case),
        ev(esc.EscalationResolved, resolved_at=t(3), reopened_count=0, **resolved, **case),
        ev(esc.EscalationReopened, reopened_at=t(10), reopened_count=1, **case),
        ev(esc.EscalationResolved, resolved_at=t(20), reopened_count=1, **resolved, **case),
        ev(esc.EscalationReopened, reopened_at=t(25), reopened_count=2, **case),
    ])

    async def backlog(day: int) -> Decimal | None:
        values = await compute(kpi_db, ["backlog"], Period.day(date(2026, 3, day)))
        return value(values, "backlog")

    assert [await backlog(d) for d in (2, 5, 12, 22, 28)] == [D(1), D(0), D(1), D(0), D(1)]
