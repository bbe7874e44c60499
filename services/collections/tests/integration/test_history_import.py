"""The history importer on a slice of the real file, through the real CLI against a real database: invoices
issued and paid on their dates (applied by reference and amount), disputes for Disputed rows, aging as of a past
date reproduced, and a re-run changing nothing."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from typer.testing import CliRunner

from o2c_cli.main import app
from services.collections.tests.conftest import SUPERVISOR, Service

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
    return result.output


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
    assert f"imported {SLICE} invoices (0 already imported), {SLICE} payments applied, {disputed} disputes" in output
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
    assert f"imported 0 invoices ({SLICE} already imported), 0 payments applied, 0 disputes" in again
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
