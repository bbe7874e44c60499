"""``python -m bench.collections_requests``: what one write request of collections costs (not a test).

The collections app in-process (auth, validation, the service, JSON; no HTTP server) over an embedded PostgreSQL:
``--requests`` invoices issued, then ``POST /payments`` paying each by reference (booked and applied by cash
application), and ``apply``: a payment without reference (left unapplied) applied by hand with
``POST /payments/{id}/applications``. Per request: the SQL statements sent (the engine's ``before_cursor_execute``;
a multi-row statement counts once) and the CPU of this process (``time.process_time``: the app and the driver,
not the database server), median and p90, with the load average. ``--show`` prints one request's statements.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import event

from bench.collections_db import embedded_database
from bench.infra import load_average
from o2c_cli.testing import bearer
from o2c_collections.config import CollectionsSettings
from o2c_collections.main import create_app
from o2c_collections.receivables.service import open_receivable
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.tx import Transactions

COLLECTOR = bearer("bench", "collector")


async def measure(label: str, n: int, call: Callable[[int], Awaitable[httpx.Response]], engine: Any,
                  show: bool) -> None:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    counts, cpu = [], []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for k in range(n):
            statements.clear()
            started = time.process_time()
            response = await call(k)
            cpu.append(time.process_time() - started)
            assert response.status_code in (200, 201), response.text
            counts.append(len(statements))
            if show and k == n // 2:
                print(f"  one {label} request's statements:")
                for s in statements:
                    print("    " + " ".join(s.split())[:150])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    cpu.sort()
    print(f"{label}: {n} requests, statements per request median {statistics.median(counts):.0f} "
          f"(min {min(counts)}, max {max(counts)}), CPU per request median {1000 * statistics.median(cpu):.1f} ms, "
          f"p90 {1000 * cpu[int(0.9 * (len(cpu) - 1))]:.1f} ms; load average "
          f"{load_average()}")


async def run(args: argparse.Namespace) -> None:
    async with embedded_database("o2c_collections_requests") as db:
        settings = CollectionsSettings(database_url=db.url, run_workers=False, log_json=False,
                                       environment="test")
        app = create_app(settings)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://collections", timeout=60) as client:
            transactions: Transactions = app.state.transactions
            engine = transactions.db.engine.sync_engine
            numbers = []
            for k in range(2 * args.requests):
                fact = InvoiceIssued(invoice_id=uuid.uuid4(), invoice_number=f"INV-{k:06d}", legal_entity="US01",
                                     customer_id=f"C{k % 50}", currency="USD", amount=Decimal(100 + k),
                                     tax_amount=Decimal(0), issue_date=datetime(2026, 1, 1).date(),
                                     due_date=datetime(2026, 1, 31).date(), issued_at=datetime.now(UTC))
                async with transactions.begin("system:collections") as tx:
                    await open_receivable(tx, fact=fact, event_id=uuid.uuid4())
                numbers.append((fact.invoice_id, fact.invoice_number, fact.customer_id, 100 + k))

            async def pay(k: int) -> httpx.Response:
                _, number, customer, amount = numbers[k]
                return await client.post("/payments", headers=COLLECTOR, json={
                    "legal_entity": "US01", "customer_id": customer, "currency": "USD", "amount": f"{amount}.00",
                    "value_date": "2026-02-03", "remittance": [{"reference": number}]})

            await measure("POST /payments (booked and applied)", args.requests, pay, engine, args.show)
            unapplied = []
            for k in range(args.requests, 2 * args.requests):
                response = await client.post("/payments", headers=COLLECTOR, json={
                    "legal_entity": "US01", "currency": "USD", "amount": f"{numbers[k][3]}.00",
                    "value_date": "2026-02-03"})
                unapplied.append((response.json()["id"], response.headers["etag"]))

            async def apply(k: int) -> httpx.Response:
                invoice_id, _, _, amount = numbers[args.requests + k]
                payment_id, etag = unapplied[k]
                return await client.post(f"/payments/{payment_id}/applications",
                                         headers={**COLLECTOR, "If-Match": etag},
                                         json={"invoice_id": str(invoice_id), "amount": f"{amount}.00"})

            await measure("apply (POST /payments/{id}/applications)", args.requests, apply, engine, args.show)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--show", action="store_true", help="print the statements of one request of each")
    print(f"# collections requests bench {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} cores, load average "
          f"{load_average()}")
    asyncio.run(run(parser.parse_args()))
