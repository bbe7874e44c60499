"""``python -m bench.invoicing``: invoicing figures on this machine (not a test).

Invoices created (POST /invoices), approved (request-approval by the preparer, approve by another person)
and issued (POST /invoices/{id}/issue: gapless number, outbox event) per second over the API, in-process
(ASGI, the full request path: auth, validation, audit, idempotency-free), one worker, with p50/p99 per
step. Its own embedded PostgreSQL (durable settings, as in dev), removed after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from o2c_cli.localstack import EmbeddedPostgres, free_port
from o2c_cli.testing import Infra
from o2c_common.auth import mint_token
from o2c_common.db.migrate import upgrade
from o2c_common.settings import DEV_JWT_SECRET
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "invoicing"
BODY = {"legal_entity": "US01", "customer_id": "BENCH-1", "currency": "USD", "payment_terms_days": 30,
        "po_number": "PO-1", "lines": [{"description": "Widgets", "quantity": "3", "unit_price": "33.335",
                                        "tax_rate": "0.10"}]}


def _headers(subject: str, role: str) -> dict[str, str]:
    jwt = mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=[role], issuer="o2c", audience="o2c")
    return {"Authorization": f"Bearer {jwt}"}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run(settings: InvoicingSettings, *, n: int, concurrency: int) -> dict[str, tuple[float, float, float]]:
    app = create_app(settings)
    preparer, approver = _headers("bench", "billing_specialist"), _headers("bench-approver", "billing_approver")
    results: dict[str, tuple[float, float, float]] = {}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://invoicing") as client:
        for _ in range(30):  # warm up
            (await client.post("/invoices", json=BODY, headers=preparer)).raise_for_status()
        state: dict[int, tuple[str, str]] = {}

        async def step(name: str, call: object) -> None:
            latencies: list[float] = []
            todo = list(range(n))

            async def worker() -> None:
                while todo:
                    i = todo.pop()
                    started = time.perf_counter()
                    await call(i)  # type: ignore[operator]
                    latencies.append(time.perf_counter() - started)

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - began
            results[name] = (n / elapsed, _pct(latencies, 0.5), _pct(latencies, 0.99))

        async def create(i: int) -> None:
            r = (await client.post("/invoices", json=BODY, headers=preparer)).raise_for_status()
            state[i] = (r.json()["id"], r.headers["ETag"])

        async def approve(i: int) -> None:
            invoice_id, etag = state[i]
            r = (await client.post(f"/invoices/{invoice_id}/request-approval",
                                   headers={**preparer, "If-Match": etag})).raise_for_status()
            r = (await client.post(f"/invoices/{invoice_id}/approve",
                                   headers={**approver, "If-Match": r.headers["ETag"]})).raise_for_status()
            state[i] = (invoice_id, r.headers["ETag"])

        async def issue(i: int) -> None:
            invoice_id, etag = state[i]
            (await client.post(f"/invoices/{invoice_id}/issue",
                               headers={**preparer, "If-Match": etag})).raise_for_status()

        await step("created", create)
        await step("approved (request-approval + approve)", approve)
        await step("issued", issue)
    return results


async def main(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-invoicing-"))
    pg = EmbeddedPostgres(data / "pgdata", port=free_port(), durable=True)
    pg.start()
    try:
        infra = Infra(pg_url=pg.url, kafka_bootstrap="127.0.0.1:9", broker=None)
        url = await infra.create_database("o2c_invoicing_bench")
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        settings = InvoicingSettings(database_url=url, run_workers=False, log_json=False, log_level="WARNING",
                                     environment="test", database_pool_size=20)
        print(f"# invoicing bench {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} cores, PostgreSQL durable")
        for concurrency in args.concurrency:
            for name, (rate, p50, p99) in (await run(settings, n=args.invoices, concurrency=concurrency)).items():
                print(f"{name}, {args.invoices} invoices, {concurrency} concurrent: {rate:.0f}/s,"
                      f" p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    finally:
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    asyncio.run(main(parser.parse_args()))
