"""Fault injection (issue 15, done-when): every service is killed (SIGKILL) and restarted, and the broker paused,
while a steady flow of invoices and payments runs over HTTP. Afterwards SQL shows that every accepted write was
applied exactly once in every service, and that kpi's open AR equals collections' per invoice.

Bounded: one kill per service and two broker pauses; a few minutes on a loaded machine."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from o2c_cli.localstack import free_port
from o2c_cli.services import SERVICES
from o2c_cli.stack import Stack, StackConfig

from .fault_flow import Accepted, Flow

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CONVERGE_S = 240.0


@pytest.fixture
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack as `make dev` runs it, on a PostgreSQL and a broker of its own: the session's databases
    (o2c_<service>) belong to the e2e stack, whose relays would publish this test's events elsewhere."""
    data_dir = tmp_path_factory.mktemp("faults")
    stack = Stack(StackConfig(
        data_dir=data_dir, pg_port=free_port(), kafka_port=free_port(), durable_pg=False,
        ports={name: free_port() for name in SERVICES}, mail_port=None,
        extra_env={"O2C_OUTBOX_POLL_INTERVAL_S": "0.5", "O2C_OUTBOX_RETRY_MAX_BACKOFF_S": "2",
                   "KPI_RECON_INTERVAL_S": "3600"}))
    try:
        stack.start_infra()
        stack.start_services()
        yield stack
    finally:
        stack.stop()


def test_kills_and_broker_pauses_lose_no_write_and_apply_none_twice(stack: Stack) -> None:
    flow = Flow(stack, customer=f"FI-{uuid.uuid4().hex[:8]}")
    flow.start()
    faults: list[str] = []
    try:
        try:
            _wait_for(lambda: len(flow.accepted.invoices) >= 3, what="the first invoices", flow=flow)
        except AssertionError:
            print(asyncio.run(_diagnose(stack)))
            raise
        for n, service in enumerate(SERVICES.values()):
            stack.processes[service.name].kill()  # SIGKILL: no graceful shutdown, in-flight requests lost
            stack.processes[service.name].wait()
            faults.append(f"killed {service.name}")
            stack.start_service(service)
            stack.wait_ready(service, timeout=180)
            if n % 2 == 1:
                _pause_broker(stack, seconds=5)
                faults.append("paused the broker")
            done = len(flow.accepted.invoices)
            _wait_for(lambda done=done: len(flow.accepted.invoices) > done, what="the flow going on", flow=flow)
    finally:
        accepted = flow.stop()
    assert accepted.failures == [], accepted.failures
    assert len(faults) == len(SERVICES) + len(SERVICES) // 2
    assert len(accepted.invoices) >= len(SERVICES) + 3 and accepted.paid
    asyncio.run(_converged(stack, flow.customer, accepted))


async def _converged(stack: Stack, customer: str, accepted: Accepted) -> None:
    deadline = time.monotonic() + CONVERGE_S
    problems: list[str] = ["not checked"]
    while time.monotonic() < deadline:
        problems = await _problems(stack, customer, accepted)
        if not problems:
            return
        await asyncio.sleep(2)
    raise AssertionError("after the faults: " + "; ".join(problems[:20]))


async def _problems(stack: Stack, customer: str, accepted: Accepted) -> list[str]:
    ids = list(accepted.invoices)
    invoicing = await _rows(stack, "invoicing", "SELECT id::text, status FROM invoices WHERE customer_id = :c",
                            c=customer)
    issued_events = await _rows(stack, "invoicing", "SELECT key, count(*) FROM outbox WHERE event_type = "
                                "'o2c.invoice.issued.v1' AND key = ANY(:ids) GROUP BY key", ids=ids)
    items = await _rows(stack, "collections", "SELECT invoice_id::text, open_amount, original_amount FROM open_items "
                        "WHERE customer_id = :c", c=customer)
    entries = await _rows(stack, "collections", "SELECT invoice_id::text, kind, count(*) FROM ledger_entries "
                          "WHERE customer_id = :c GROUP BY 1, 2", c=customer)
    payments = await _rows(stack, "collections", "SELECT count(*) FROM payments WHERE customer_id = :c", c=customer)
    kpi = await _rows(stack, "kpi", "SELECT invoice_id::text, sum(amount) FROM receivable_movements "
                      "WHERE customer_id = :c GROUP BY 1", c=customer)
    problems = []
    created = {r[0] for r in invoicing}
    if len(invoicing) != len(created) or not set(ids) <= created or len(created - set(ids)) > 1:
        problems.append(f"invoicing holds {len(invoicing)} invoices for {len(ids)} accepted")  # one may be in flight
    problems += [f"invoice.issued emitted {n} times for {k}" for k, n in issued_events if n != 1]
    if len(issued_events) != len(ids):
        problems.append(f"{len(issued_events)} invoice.issued events for {len(ids)} issued invoices")
    open_amounts = {r[0]: Decimal(r[1]) for r in items}
    if set(open_amounts) != set(ids):
        problems.append(f"collections has {len(open_amounts)} receivables for {len(ids)} issued invoices")
    counts = {(r[0], r[1]): int(r[2]) for r in entries}
    for invoice_id, total in accepted.invoices.items():
        paid = invoice_id in accepted.paid
        if counts.get((invoice_id, "invoice"), 0) != 1 or counts.get((invoice_id, "payment"), 0) != int(paid):
            problems.append(f"{invoice_id}: ledger {counts.get((invoice_id, 'invoice'))} invoice and "
                            f"{counts.get((invoice_id, 'payment'))} payment entries (paid: {paid})")
        expected = Decimal(0) if paid else total
        if open_amounts.get(invoice_id) != expected:
            problems.append(f"{invoice_id}: collections open {open_amounts.get(invoice_id)}, expected {expected}")
    if int(payments[0][0]) != len(accepted.paid):
        problems.append(f"collections holds {payments[0][0]} payments for {len(accepted.paid)} accepted")
    kpi_open = {r[0]: Decimal(r[1]) for r in kpi}
    problems += [f"{i}: kpi open {kpi_open.get(i)} != collections {a}" for i, a in open_amounts.items()
                 if kpi_open.get(i) != a]
    return problems


async def _rows(stack: Stack, service: str, sql: str, **params: Any) -> list[Any]:
    engine = create_async_engine(stack.database_url(SERVICES[service]))
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def _diagnose(stack: Stack) -> str:
    outbox = await _rows(stack, "invoicing", "SELECT event_type, published_at IS NOT NULL, count(*) FROM outbox "
                         "GROUP BY 1, 2")
    inbox = await _rows(stack, "collections", "SELECT consumer, event_type, status, count(*) FROM inbox "
                        "GROUP BY 1, 2, 3")
    return f"invoicing outbox: {outbox}\ncollections inbox: {inbox}"


def _pause_broker(stack: Stack, *, seconds: float) -> None:
    assert stack.broker is not None and stack.broker.process is not None
    stack.broker.process.send_signal(signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        stack.broker.process.send_signal(signal.SIGCONT)


def _wait_for(probe: Any, *, what: str, flow: Flow, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        if flow.accepted.failures:
            raise AssertionError(f"while waiting for {what}: {flow.accepted.failures}")
        time.sleep(0.2)
    raise AssertionError(f"{what}: not in {timeout:g}s")
