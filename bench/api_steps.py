"""Statements, round trips and CPU per request of invoicing's write steps (``python -m bench.api_profile --steps``).

The invoicing app runs in this process (API only) against its own durable embedded PostgreSQL, the portal
simulator in its own process (callbacks off). Invoices go through create, request-approval, approve (another
person), issue and submit, 4 requests in flight over httpx's in-process ASGI transport. Per request of each step:

* **statements**: SQL statements the app's engine executed (SQLAlchemy ``before_cursor_execute``, counted here in
  the bench, not in the service);
* **round trips**: statements plus ``BEGIN``/``COMMIT`` and the pool's liveness pings (``pool_pre_ping`` on
  asyncpg: ``BEGIN``, ``;`` and ``ROLLBACK`` per checkout) — what the request waits for on the database;
* **CPU**: this process's user+system CPU (the app and the in-process client; the HTTP server is not in it).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import resource
import shutil
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import event

from bench.api_profile import _quiet
from bench.infra import load_average
from bench.invoicing import BODY, CUSTOMER, PROFILE, SERVICE_DIR, _start
from o2c_cli.localstack import EmbeddedPostgres, free_port, wait_for_port
from o2c_cli.testing import Infra
from o2c_common.auth import mint_token
from o2c_common.db.migrate import upgrade
from o2c_common.settings import DEV_JWT_SECRET

PROFILE_PATH = "/tmp/bench-api-steps.prof"
STEPS = ("create", "request-approval", "approve", "issue", "submit")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _bearer(subject: str, role: str) -> dict[str, str]:
    token = mint_token(secret=DEV_JWT_SECRET, subject=subject, roles=[role], ttl=timedelta(hours=2),
                       issuer="o2c", audience="o2c")
    return {"Authorization": f"Bearer {token}"}


class SqlCounter:
    """Counts what the engine sends: statements, transactions (BEGIN + COMMIT/ROLLBACK) and pre-pings."""

    def __init__(self, engine: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.pre_ping = bool(getattr(engine.pool, "_pre_ping", False))
        sync = engine.sync_engine
        self.texts: Counter[str] = Counter()
        event.listen(sync, "before_cursor_execute", self._statement)
        event.listen(sync, "begin", lambda *a: self.counts.update(("begin",)))
        event.listen(sync, "commit", lambda *a: self.counts.update(("commit",)))
        event.listen(sync, "rollback", lambda *a: self.counts.update(("commit",)))
        event.listen(sync.pool, "checkout", lambda *a: self.counts.update(("checkout",)))

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.counts["statements"] += 1
        self.texts[" ".join(statement.split())[:90]] += 1

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)

    def round_trips(self, c: Counter[str]) -> int:
        return c["statements"] + c["begin"] + c["commit"] + (3 * c["checkout"] if self.pre_ping else 0)


@dataclass
class StepResult:
    step: str
    statements: float
    round_trips: float
    checkouts: float
    cpu_ms: float
    sql: dict[str, float]


async def _measure(n: int, profile: str | None = None) -> list[StepResult]:
    from o2c_invoicing.main import create_app

    app = create_app()
    preparer, approver = _bearer("bench", "billing_specialist"), _bearer("bench-approver", "billing_approver")
    state: dict[int, tuple[str, str]] = {}
    results = []

    async def call(client: httpx.AsyncClient, path: str, headers: dict[str, str], etag: str | None = None,
                   body: bytes = b"", expect: int = 200) -> httpx.Response:
        r = await client.post(path, content=body, headers={**headers, "Content-Type": "application/json",
                                                            **({"If-Match": etag} if etag else {})})
        if r.status_code != expect:
            raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
        return r

    def stepper(client: httpx.AsyncClient) -> dict[str, Callable[[int], Awaitable[None]]]:
        async def create(i: int) -> None:
            r = await call(client, "/invoices", preparer, body=BODY, expect=201)
            state[i] = (r.json()["id"], r.headers["ETag"])

        def transition(action: str, headers: dict[str, str]) -> Callable[[int], Awaitable[None]]:
            async def go(i: int) -> None:
                invoice_id, etag = state[i]
                r = await call(client, f"/invoices/{invoice_id}/{action}", headers, etag)
                state[i] = (invoice_id, r.headers["ETag"])
            return go

        return {"create": create, "request-approval": transition("request-approval", preparer),
                "approve": transition("approve", approver), "issue": transition("issue", preparer),
                "submit": transition("submit", preparer)}

    async def run(work: Callable[[int], Awaitable[None]], items: range) -> None:
        todo = list(items)

        async def worker() -> None:
            while todo:
                await work(todo.pop())
        await asyncio.gather(*(worker() for _ in range(4)))

    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://invoicing") as client:
        r = await client.put(f"/billing-profiles/{CUSTOMER}", headers=_bearer("bench", "ar_supervisor"),
                             json={**PROFILE, "portal_url": os.environ["INVOICING_PORTAL_BASE_URL"]})
        if r.status_code != 201:
            raise RuntimeError(f"billing profile: {r.status_code} {r.text[:300]}")
        counter = SqlCounter(app.state.db.engine)
        steps = stepper(client)
        for name in STEPS:  # warm-up: caches, the pool, the simulator's connection
            await run(steps[name], range(n, n + 40))
        for name in STEPS:
            before, texts, cpu = counter.snapshot(), Counter(counter.texts), _cpu()
            await run(steps[name], range(n))
            spent, used = _cpu() - cpu, counter.snapshot() - before
            if name == profile:  # the same step again on fresh invoices, under cProfile
                await run(steps["create"], range(2 * n, 3 * n))
                for previous in STEPS[1:STEPS.index(name)]:
                    await run(steps[previous], range(2 * n, 3 * n))
                profiler = cProfile.Profile()
                profiler.enable()
                await run(steps[name], range(2 * n, 3 * n))
                profiler.disable()
                profiler.dump_stats(PROFILE_PATH)
            results.append(StepResult(name, used["statements"] / n, counter.round_trips(used) / n,
                                      used["checkout"] / n, spent / n * 1000,
                                      {k: v / n for k, v in (counter.texts - texts).items()}))
    return results


def run_steps(console: Console, *, invoices: int, show_sql: bool = False, profile: str | None = None) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-api-steps-"))
    pg = EmbeddedPostgres(data / "pgdata", port=free_port(), durable=True)
    pg.start()
    simulator = None
    load = os.getloadavg()
    try:
        url = asyncio.run(Infra(pg_url=pg.url, kafka_bootstrap="127.0.0.1:9", broker=None)
                          .create_database("o2c_invoicing_steps"))
        upgrade(SERVICE_DIR, url)
        sim_port = free_port()
        simulator = _start(["o2c_invoicing.simulator.app:create_app", "--port", str(sim_port)],
                           {"PORTAL_SIM_CALLBACK_URL": ""}, data / "simulator.log")
        wait_for_port("127.0.0.1", sim_port, timeout=60, process=simulator)
        os.environ.update({"INVOICING_DATABASE_URL": url, "INVOICING_RUN_WORKERS": "false",
                           "INVOICING_LOG_LEVEL": "WARNING", "INVOICING_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
                           "INVOICING_PORTAL_BASE_URL": f"http://127.0.0.1:{sim_port}"})
        with _quiet():
            results = asyncio.run(_measure(invoices, profile))
    finally:
        if simulator is not None:
            simulator.terminate()
            simulator.wait(20)
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)
    table = Table(title=f"invoicing write steps in-process, {invoices} invoices, 4 in flight, "
                        f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z; load average before "
                        f"{' '.join(f'{x:.2f}' for x in load)}, after "
                        f"{load_average()}", title_justify="left")
    for column in ("step (per request)", "SQL statements", "round trips", "pool checkouts", "CPU ms"):
        table.add_column(column)
    for r in results:
        table.add_row(r.step, f"{r.statements:.2f}", f"{r.round_trips:.2f}", f"{r.checkouts:.2f}", f"{r.cpu_ms:.2f}")
    console.print(table)
    for r in results if show_sql else ():
        console.print(f"[bold]{r.step}[/bold]", *(f"  {count:.2f} x {text}" for text, count in r.sql.items()),
                      sep="\n", markup=True, highlight=False)
    if profile:
        console.print(f"cProfile of {profile!r} in {PROFILE_PATH} (python -m pstats)")
