"""`o2c history replay` through the running services: invoices in invoicing, receivables opened by collections
from `invoice.issued`, payments applied by reference on their settled dates, invoicing told through
the ledger's `receivable.changed`; a second run changes nothing."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

from o2c_cli.history import DEFAULT_HISTORY, load_rows, mint_replay_token, replay
from o2c_cli.stack import Stack

from .conftest import client

ROOT = Path(__file__).resolve().parents[2]
SLICE = 150  # the file's last rows: other tests replaying the first rows do not touch them


def test_history_replay_loads_pays_and_is_idempotent(stack: Stack) -> None:
    rows = load_rows(ROOT / DEFAULT_HISTORY)[-SLICE:]
    urls = {f"{name}_url": f"http://127.0.0.1:{stack.config.ports[name]}" for name in ("invoicing", "collections")}
    token = mint_replay_token()

    first = asyncio.run(replay(rows=rows, token=token, concurrency=8, **urls))
    assert first.errors == []
    assert (first.invoices_created, first.receivables_open, first.payments_booked) == (SLICE, SLICE, SLICE)
    assert first.payments_applied == SLICE

    invoicing, collections = client(stack, "invoicing"), client(stack, "collections")
    for row in rows[:: SLICE // 15]:
        invoice = invoicing.get(f"/invoices/{row.invoice_id}").json()
        assert (invoice["number"], invoice["source"], invoice["issue_date"], invoice["due_date"]) == (
            row.invoice_number, "import", row.invoice_date.isoformat(), row.due_date.isoformat())
        receivable = collections.get(f"/receivables/{row.invoice_id}").json()
        assert Decimal(receivable["open_amount"]) == 0 and Decimal(receivable["original_amount"]) == row.amount
        ledger = collections.get(f"/receivables/{row.invoice_id}/ledger").json()
        payments = [entry for entry in ledger if entry["kind"] == "payment"]
        assert [entry["effective_date"] for entry in payments] == [row.settled_date.isoformat()]

    # invoicing mirrors the ledger (receivable.changed): every invoice settled; its document status stays its own
    # (changed by issue 12: settlement is the ledger's, no longer the status `paid`)
    deadline, statuses = time.monotonic() + 60, set()
    while time.monotonic() < deadline:
        statuses = {invoicing.get(f"/invoices/{row.invoice_id}").json()["settlement_status"] for row in rows[-10:]}
        if statuses == {"settled"}:
            break
        time.sleep(0.5)
    assert statuses == {"settled"}

    second = asyncio.run(replay(rows=rows, token=token, concurrency=8, **urls))
    assert second.errors == [] and second.changed == 0
    assert (second.invoices_existing, second.payments_existing) == (SLICE, SLICE)
    payments = collections.get("/payments", params={"customer_id": rows[-1].customer_id, "limit": 200}).json()
    mine = [p for p in payments["items"] if p["bank_reference"] == f"history:US01:{rows[-1].invoice_number}"]
    assert len(mine) == 1
