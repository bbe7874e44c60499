"""The history importer on a slice of the real file, through the real CLI against a real database: invoices
issued and paid on their dates (applied by reference and amount), disputes for Disputed rows, aging as of a past
date reproduced, a re-run changing nothing, and the importer beside the other path (invoice.issued from invoicing
and POST /payments with bank reference history:<entity>:<number>) booking each payment once."""

from __future__ import annotations

import asyncio
import csv
import uuid
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from o2c_cli.main import app
from o2c_collections.history.schemas import HistoryRow, parse
from o2c_collections.receivables.service import open_receivable
from o2c_common.events.contracts.invoicing import InvoiceIssued
from services.collections.tests.conftest import COLLECTOR, SUPERVISOR, Service, problem

HISTORY = Path(__file__).resolve().parents[4] / "examples" / "data" / "ibm-late-payment-histories.csv"
SLICE = 40


def slice_of_history(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    lines = HISTORY.read_text().splitlines()[: SLICE + 1]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    return path, list(csv.DictReader(lines))


async def run_cli(service: Service, path: Path) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, app, [
        "collections", "import-history", str(path), "--database-url", service.db.url])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return " ".join(result.output.split())  # rich wraps long lines


async def customer_balance(service: Service, customer: str, as_of: str) -> str | None:
    response = await service.client.get(f"/balances?as_of={as_of}&by=customer", headers=SUPERVISOR)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    amounts = [r["open_amount"] for r in rows if r["key"] == customer and r["open_amount"] != "0.00"]
    return amounts[0] if amounts else None


async def test_replays_the_history_and_a_rerun_changes_nothing(service: Service, tmp_path: Path) -> None:
    path, rows = slice_of_history(tmp_path)
    disputed = sum(r["Disputed"] == "Yes" for r in rows)
    assert disputed > 0
    output = await run_cli(service, path)
    assert (f"{SLICE} rows imported (0 already complete): {SLICE} receivables opened, {disputed} disputes, {SLICE} "
            f"payments booked, {SLICE} payments applied") in output
    assert await service.scalar("SELECT count(*) FROM open_items WHERE status = 'closed'") == SLICE
    rules = await service.rows("SELECT DISTINCT rule FROM applications")
    assert [r[0] for r in rules] == ["reference_and_amount"]
    first = rows[0]  # 0000611365 issued 1/2/2013, due 2/1/2013, 55.94, settled 1/15/2013
    closed = await service.rows("SELECT closed_on, issue_date, due_date, original_amount FROM open_items "
                                "WHERE invoice_number = :n", n=first["invoiceNumber"])
    assert [tuple(str(v) for v in closed[0])] == [("2013-01-15", "2013-01-02", "2013-02-01", "55.940000")]
    statuses = await service.rows("SELECT status, outcome, source FROM disputes")
    assert len(statuses) == disputed and set(statuses) == {("resolved", "customer_pays", "history_import")}
    # the ledger as of a past date: the first invoice was open the day before it was settled, not after
    assert await customer_balance(service, first["customerID"], "2013-01-14") == "55.94"
    assert await customer_balance(service, first["customerID"], "2013-01-15") is None
    counts = {table: await service.scalar(f"SELECT count(*) FROM {table}")
              for table in ("open_items", "payments", "applications", "disputes", "ledger_entries", "outbox")}
    again = await run_cli(service, path)
    assert (f"0 rows imported ({SLICE} already complete): 0 receivables opened, 0 disputes, 0 payments booked, "
            "0 payments applied") in again
    assert counts == {table: await service.scalar(f"SELECT count(*) FROM {table}") for table in counts}


async def test_a_malformed_file_imports_nothing(service: Service, tmp_path: Path) -> None:
    path, _ = slice_of_history(tmp_path)
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("/2013", "/13x", 1)
    path.write_text("\n".join(lines) + "\n")
    result = await asyncio.to_thread(CliRunner().invoke, app, [
        "collections", "import-history", str(path), "--database-url", service.db.url])
    assert result.exit_code == 2 and "line 4" in result.output
    assert await service.scalar("SELECT count(*) FROM open_items") == 0


async def issued_by_invoicing(service: Service, row: HistoryRow) -> None:
    """invoice.issued as invoicing publishes it for `o2c history replay`: the invoice id is HistoryRow.invoice_id."""
    fact = InvoiceIssued(invoice_id=row.invoice_id, invoice_number=row.invoice_number, legal_entity="US01",
                         customer_id=row.customer_id, currency="USD", amount=row.amount, tax_amount=0,
                         issue_date=row.invoice_date, due_date=row.due_date, issued_at=datetime.now(UTC))
    async with service.transactions.begin("system:collections") as tx:
        assert await open_receivable(tx, fact=fact, event_id=uuid.uuid4()) is not None
        assert await open_receivable(tx, fact=fact, event_id=uuid.uuid4()) is None  # idempotent on the id


async def posted_by_the_replay(service: Service, row: HistoryRow) -> dict[str, object]:
    """The payment as `o2c history replay` posts it."""
    return await service.pay(str(row.amount), customer=row.customer_id, value_date=row.settled_date.isoformat(),
                             bank_reference=f"history:US01:{row.invoice_number}",
                             remittance=[{"reference": row.invoice_number}])


async def test_either_path_or_both_book_each_payment_once(service: Service, tmp_path: Path) -> None:
    path, _ = slice_of_history(tmp_path)
    rows = parse(path.read_text())
    for row in rows[:5]:  # the other path first, in order: the payment is applied on arrival
        await issued_by_invoicing(service, row)
        assert (await posted_by_the_replay(service, row))["status"] == "applied"
    for row in rows[5:10]:  # the payment overtook invoice.issued: booked, left unapplied
        assert (await posted_by_the_replay(service, row))["status"] == "unapplied"
        await issued_by_invoicing(service, row)
    disputed = sum(r.disputed for r in rows)
    output = await run_cli(service, path)
    rest = SLICE - 10
    assert (f"{rest} receivables opened, {disputed} disputes, {rest} payments booked, {rest + 5} payments applied"
            in output)
    assert await service.scalar("SELECT count(*) FROM payments") == SLICE  # one per invoice, whichever path
    assert await service.scalar("SELECT count(*) FROM open_items WHERE status = 'closed'") == SLICE
    assert await service.scalar("SELECT count(*) FROM payments WHERE status <> 'applied'") == 0
    assert await service.scalar("SELECT count(*) FROM disputes") == disputed
    over = await service.scalar("SELECT count(*) FROM (SELECT invoice_id FROM applications GROUP BY invoice_id "
                                "HAVING count(*) > 1) twice")
    assert over == 0
    # and the other path after the importer: the payment is recognized, not booked again
    late = await service.client.post("/payments", headers=COLLECTOR, json={
        "legal_entity": "US01", "customer_id": rows[20].customer_id, "currency": "USD", "amount": str(rows[20].amount),
        "value_date": rows[20].settled_date.isoformat(), "bank_reference": f"history:US01:{rows[20].invoice_number}"})
    assert problem(late, 409)["type"].endswith("duplicate-payment")
    assert await service.scalar("SELECT count(*) FROM payments") == SLICE


async def test_racing_openers_of_one_invoice_open_one_receivable(service: Service, tmp_path: Path) -> None:
    """The invoice.issued consumer and the importer opening the same invoice at once: one wins, none fails."""
    path, _ = slice_of_history(tmp_path)
    row = parse(path.read_text())[0]
    fact = InvoiceIssued(invoice_id=row.invoice_id, invoice_number=row.invoice_number, legal_entity="US01",
                         customer_id=row.customer_id, currency="USD", amount=row.amount, tax_amount=0,
                         issue_date=row.invoice_date, due_date=row.due_date, issued_at=datetime.now(UTC))

    async def open_once() -> bool:
        async with service.transactions.begin("system:collections") as tx:
            return await open_receivable(tx, fact=fact, event_id=uuid.uuid4()) is not None

    assert sorted(await asyncio.gather(*(open_once() for _ in range(5)))) == [False] * 4 + [True]
    assert await service.scalar("SELECT count(*) FROM ledger_entries") == 1
    assert await service.scalar("SELECT count(*) FROM audit_log WHERE action = 'receivable.opened'") == 1


async def test_history_in_a_currency_without_cents_is_booked_in_whole_units(service: Service, tmp_path: Path) -> None:
    """The file's 55.94 in JPY: the invoice is opened, paid and closed at 56, not at a fraction no cash can pay."""
    path, _ = slice_of_history(tmp_path)
    path.write_text("\n".join(path.read_text().splitlines()[:2]) + "\n")
    result = await asyncio.to_thread(CliRunner().invoke, app, [
        "collections", "import-history", str(path), "--database-url", service.db.url, "--currency", "JPY"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert await service.rows("SELECT original_amount, open_amount, status FROM open_items") == [
        (56, 0, "closed")]
    assert await service.rows("SELECT amount, status FROM payments") == [(56, "applied")]
