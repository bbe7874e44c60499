"""AR, aging, DSO family and CEI on a small hand-computed ledger (numbers worked out in the comments)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from o2c_cli.testing import ServiceHarness, bearer
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts import collections as col, invoicing as inv
from o2c_common.events.examples import example_payload
from o2c_kpi.ar import repository as ar_repository
from o2c_kpi.kpis.schemas import Period, Scope
from services.kpi.tests.integration.conftest import (
    VIEWER,
    compute,
    ingest,
    invoice,
    transactions,
    value,
    wrap,
)

pytestmark = pytest.mark.integration

D = Decimal
MARCH = Period.month(date(2026, 3, 1))
AR_NAMES = ["ar_balance", "current_ar", "past_due_ar", "average_days_past_due", "aging", "credit_sales", "dso",
            "count_back_dso", "best_possible_dso", "add", "cei"]


def ledger() -> list[Event]:
    a = invoice("1000.00", date(2026, 1, 15), date(2026, 1, 31))
    b = invoice("500.00", date(2026, 3, 10), date(2026, 4, 9))
    c = invoice("300.00", date(2026, 2, 1), date(2026, 3, 1))
    d = invoice("200.00", date(2026, 3, 20), date(2026, 3, 25))
    e = invoice("100.00", date(2026, 4, 2), date(2026, 5, 2))
    f = invoice("700.00", date(2026, 3, 5), date(2026, 4, 4), customer_id="CUST-2", team="vendor-b")
    return [*a.issued(), *b.issued(), *c.issued(), *d.issued(), *e.issued(), *f.issued(),
            *a.paid("400.00", date(2026, 3, 10)), *d.credited("50.00", date(2026, 3, 28)),
            *f.paid("700.00", date(2026, 3, 30))]


async def test_march_figures_match_the_hand_computation(kpi_db: Database) -> None:
    await ingest(kpi_db, ledger())
    values = await compute(kpi_db, AR_NAMES, MARCH)
    # At 31 Mar: A 600 (59 days past due), B 500 current, C 300 (30 days), D 150 (6 days); F paid, E not issued.
    assert value(values, "ar_balance", currency="USD") == D("1550.00")
    assert value(values, "current_ar", currency="USD") == D("500.00")
    assert value(values, "past_due_ar", currency="USD") == D("1050.00")
    assert value(values, "average_days_past_due", currency="USD") == D("43.14")  # 45,300 / 1,050
    aging = {v.dimension: v.value for v in values if v.name == "aging"}
    assert aging == {"current": D("500.00"), "1-30": D("450.00"), "31-60": D("600.00"), "61-90": D("0.00"),
                     "91-120": D("0.00"), "over_120": D("0.00")}
    assert value(values, "credit_sales", currency="USD") == D("1400.00")  # B + D + F
    assert value(values, "dso", currency="USD") == D("34.32")  # 1,550 / 1,400 x 31
    assert value(values, "best_possible_dso", currency="USD") == D("11.07")  # 500 / 1,400 x 31
    assert value(values, "add", currency="USD") == D("23.25")
    assert value(values, "cei", currency="USD") == D("52.27")  # (1,300 + 1,400 - 1,550) / (1,300 + 1,400 - 500)
    assert value(values, "count_back_dso", currency="USD") == D("45.00")  # 31 + 150 / 300 x 28
    units = {v.name: v.unit for v in values}
    assert units["dso"] == "days" and units["ar_balance"] == "money" and units["cei"] == "percent"


async def test_scope_and_as_of_filter_the_facts(kpi_db: Database) -> None:
    await ingest(kpi_db, ledger())
    team_a = await compute(kpi_db, ["ar_balance", "credit_sales", "dso"], MARCH, Scope(team="vendor-a"))
    assert value(team_a, "ar_balance", currency="USD") == D("1550.00")
    assert value(team_a, "credit_sales", currency="USD") == D("700.00")
    assert value(team_a, "dso", currency="USD") == D("68.64")  # 1,550 / 700 x 31
    cust_2 = await compute(kpi_db, ["ar_balance", "credit_sales", "dso", "aging"], MARCH, Scope(customer_id="CUST-2"))
    assert value(cust_2, "ar_balance", currency="USD") == D("0.00")
    assert value(cust_2, "dso", currency="USD") == D("0.00")
    # mid-March: A 600, B 500, C 300, F 700 (paid only on 30 Mar)
    mid = await compute(kpi_db, ["ar_balance"], Period.month(date(2026, 3, 1), as_of=date(2026, 3, 15)))
    assert value(mid, "ar_balance", currency="USD") == D("2100.00")
    assert await compute(kpi_db, ["ar_balance"], MARCH, Scope(currency="EUR")) == []
    assert await compute(kpi_db, ["ar_balance"], MARCH, Scope(legal_entity="DE01")) == []
    april_day = await compute(kpi_db, ["credit_sales"], Period.day(date(2026, 4, 2)))
    assert value(april_day, "credit_sales", currency="USD") == D("100.00")
    q1 = await compute(kpi_db, ["credit_sales"], Period.quarter(date(2026, 2, 14)))
    assert value(q1, "credit_sales", currency="USD") == D("2700.00")  # A + C + B + D + F


async def test_a_period_without_credit_sales_has_no_dso(kpi_db: Database) -> None:
    await ingest(kpi_db, ledger())
    values = await compute(kpi_db, ["dso", "best_possible_dso", "add", "ar_balance"], Period.day(date(2026, 3, 31)))
    assert value(values, "dso", currency="USD") is None
    assert value(values, "add", currency="USD") is None
    assert value(values, "ar_balance", currency="USD") == D("1550.00")


# --- AR only from the ledger (receivable.changed) ---------------------------------------------------------------

APRIL = Period.month(date(2026, 4, 1))


async def open_in_kpi(db: Database) -> dict[uuid.UUID, tuple[Decimal, int]]:
    """Each invoice's open amount and last ledger sequence as kpi has them (what the reconciliation reads)."""
    async with transactions(db).begin("system:test") as tx:
        return {r.invoice_id: (r.open_amount, r.last_sequence)
                for r in await ar_repository.open_by_invoice(tx.session, after=None, limit=1000)}


async def assert_agrees_with_ledger(db: Database, events: list[Event]) -> None:
    """kpi's open amount and sequence per invoice equal the ledger's last entry (open_amount_after, sequence)."""
    ledger_open = {e.data.invoice_id: (e.data.open_amount_after, e.data.sequence)
                   for e in events if isinstance(e.data, col.ReceivableChanged)}
    assert await open_in_kpi(db) == ledger_open


async def write_offs(db: Database) -> dict[str, Decimal]:
    async with db.unit_of_work() as session:
        rows = (await session.execute(text(
            "SELECT dimension, sum(value) FROM kpi_daily_counts WHERE metric = 'write_offs' GROUP BY 1"))).all()
    return {reason: Decimal(amount) for reason, amount in rows}


async def test_tolerance_write_off_reduces_ar(kpi_db: Database) -> None:
    """A payment 3.15 short, within tolerance: the ledger writes the 3.15 off, and so does kpi."""
    a = invoice("229.15", date(2026, 4, 1), date(2026, 4, 30))
    events = [*a.issued(), *a.paid("226.00", date(2026, 4, 10), tolerance="3.15")]
    await ingest(kpi_db, events)
    values = await compute(kpi_db, ["ar_balance"], APRIL)
    assert value(values, "ar_balance", currency="USD") == D("0.00")
    assert await write_offs(kpi_db) == {"tolerance": D("3.15")}
    await assert_agrees_with_ledger(kpi_db, events)


async def test_a_tolerance_written_back_with_its_reversed_application_takes_its_write_off_back(
        kpi_db: Database) -> None:
    """The application is reversed: collections posts the cash and the tolerance back; kpi's AR and its write-offs
    (amount and count) return to where they were before the payment."""
    a = invoice("229.15", date(2026, 4, 1), date(2026, 4, 30))
    paid = a.paid("226.00", date(2026, 4, 10), tolerance="3.15")
    links = {"payment_id": paid[1].data.payment_id, "application_id": paid[1].data.application_id}
    events = [*a.issued(), *paid, a.post("reversal", "226.00", date(2026, 4, 12), reason="reversed", **links),
              a.post("tolerance_write_off", "3.15", date(2026, 4, 12), reason="tolerance", **links)]
    await ingest(kpi_db, events)
    assert value(await compute(kpi_db, ["ar_balance"], APRIL), "ar_balance", currency="USD") == D("229.15")
    async with kpi_db.unit_of_work() as session:
        counted = (await session.execute(text(
            "SELECT dimension, sum(count), sum(value) FROM kpi_daily_counts WHERE metric = 'write_offs' "
            "GROUP BY 1"))).all()
    assert [(reason, int(n), Decimal(amount)) for reason, n, amount in counted] == [("tolerance", 0, D("0.00"))]
    await assert_agrees_with_ledger(kpi_db, events)


async def test_dispute_write_off_reduces_ar(kpi_db: Database) -> None:
    a = invoice("1200.00", date(2026, 4, 1), date(2026, 4, 30))
    dispute_id = uuid.uuid4()
    resolved = wrap(example_payload(
        col.DisputeResolved, dispute_id=dispute_id, invoice_id=a.invoice_id, invoice_number=a.number, amount=D(1200),
        outcome="written_off", written_off_amount=D(1200), approved_by="sam", currency="USD", customer_id="CUST-1",
        legal_entity="US01", owning_team="vendor-a", resolved_date=date(2026, 4, 20)))
    events = [*a.issued(), resolved, a.post("write_off", "-1200.00", date(2026, 4, 20), reason="dispute",
                                           dispute_id=dispute_id)]
    await ingest(kpi_db, events)
    assert value(await compute(kpi_db, ["ar_balance"], APRIL), "ar_balance", currency="USD") == D("0.00")
    assert await write_offs(kpi_db) == {"dispute": D("1200.00")}
    await assert_agrees_with_ledger(kpi_db, events)


async def test_deduction_write_off_uses_posted_amount(kpi_db: Database) -> None:
    """A deduction of 83.51 written off on an invoice with 50.00 left: the ledger posts 50.00, kpi too."""
    a = invoice("100.00", date(2026, 4, 1), date(2026, 4, 30))
    deduction_id = uuid.uuid4()
    resolved = wrap(example_payload(
        col.DeductionResolved, deduction_id=deduction_id, invoice_id=a.invoice_id, amount=D("83.51"),
        resolution="written_off", currency="USD", customer_id="CUST-1", legal_entity="US01", owning_team="vendor-a",
        opened_date=date(2026, 4, 5), resolved_date=date(2026, 4, 20)))
    events = [*a.issued(), *a.paid("50.00", date(2026, 4, 5)), resolved,
              a.post("write_off", "-50.00", date(2026, 4, 20), reason="deduction", deduction_id=deduction_id)]
    await ingest(kpi_db, events)
    assert value(await compute(kpi_db, ["ar_balance"], APRIL), "ar_balance", currency="USD") == D("0.00")
    assert await write_offs(kpi_db) == {"deduction": D("50.00")}
    await assert_agrees_with_ledger(kpi_db, events)


async def test_credit_over_open_amount_uses_posted_amount(kpi_db: Database) -> None:
    """A credit note of 50.00 on an invoice with 20.00 left: the ledger caps the credit at 20.00, kpi too."""
    a = invoice("100.00", date(2026, 4, 1), date(2026, 4, 30))
    events = [*a.issued(), *a.paid("80.00", date(2026, 4, 5)), *a.credited("50.00", date(2026, 4, 8), posted="20.00")]
    await ingest(kpi_db, events)
    assert value(await compute(kpi_db, ["ar_balance"], APRIL), "ar_balance", currency="USD") == D("0.00")
    await assert_agrees_with_ledger(kpi_db, events)


async def test_reversal_and_portal_paid_follow_the_ledger(kpi_db: Database) -> None:
    """An application reversed reopens the invoice in kpi as in the ledger; a portal's "paid" moves nothing and
    closes no cycle; a ledger entry delivered twice counts once."""
    a = invoice("300.00", date(2026, 4, 1), date(2026, 4, 30))
    issued = a.issued()
    paid = a.paid("300.00", date(2026, 4, 10))
    reversal = a.post("reversal", "300.00", date(2026, 4, 12), reason="manual")
    portal_paid = wrap(example_payload(
        inv.InvoicePaid, invoice_id=a.invoice_id, currency="USD", amount=D(300), paid_date=date(2026, 4, 11),
        source="portal_reported", legal_entity="US01", customer_id="CUST-1", owning_team="vendor-a"))
    events = [*issued, *paid, portal_paid, reversal]
    await ingest(kpi_db, [*events, Event.new(reversal.data, source="/o2c/test")])  # republished: another event id
    assert value(await compute(kpi_db, ["ar_balance"], APRIL), "ar_balance", currency="USD") == D("300.00")
    async with kpi_db.unit_of_work() as session:
        milestones = (await session.execute(text("SELECT paid_at FROM kpi_invoice_milestones"))).all()
    assert milestones == []
    await assert_agrees_with_ledger(kpi_db, events)


async def test_open_amounts_page_through_every_invoice(api: ServiceHarness) -> None:
    """``GET /ar/open-amounts``: keyset pages by invoice id, for the reconciliation (integration, ar_supervisor)."""
    events = ledger()
    await ingest(api.db, events)
    ledger_open = {e.data.invoice_id: (e.data.open_amount_after, e.data.sequence)
                   for e in events if isinstance(e.data, col.ReceivableChanged)}
    seen: dict[uuid.UUID, tuple[Decimal, int]] = {}
    after: str | None = None
    while True:
        response = await api.client.get("/ar/open-amounts", params={"limit": 4, **({"after": after} if after else {})},
                                        headers=bearer("svc", "integration"))
        assert response.status_code == 200, response.text
        body = response.json()
        seen.update({uuid.UUID(i["invoice_id"]): (D(i["open_amount"]), i["entries"]) for i in body["items"]})
        after = body["next_after"]
        if after is None:
            break
    assert seen == ledger_open
    assert list(seen) == sorted(seen)
    assert (await api.client.get("/ar/open-amounts", headers=VIEWER)).status_code == 403


async def test_an_invoice_the_ledger_never_opened_is_not_in_ar(kpi_db: Database) -> None:
    """An invoice.issued that collections could not book (dead-lettered there) moves no AR in kpi either: kpi's
    AR is the ledger's, so a record one side refuses cannot leave the two apart (the 10.00 after a poison record)."""
    a = invoice("10.00", date(2026, 4, 1), date(2026, 4, 30))
    issued, _opened = a.issued(billing_deadline=date(2026, 4, 1))
    await ingest(kpi_db, [issued])
    assert await compute(kpi_db, ["ar_balance"], APRIL) == []
    assert await open_in_kpi(kpi_db) == {}
    assert value(await compute(kpi_db, ["on_time_invoicing_rate"], APRIL), "on_time_invoicing_rate") == D("100.00")
