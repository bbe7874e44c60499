"""``python -m bench.escalation``: escalation desk figures on this machine (not a test).

(a) case creation rate over the API (in-process ASGI, full request path: auth, routing, SLA clocks in the
    team's calendar, audit, outbox), sequential and with 8 concurrent clients;
(b) the time one SLA timer sweep takes with 100,000 open cases: nothing due (the common case), and with
    a full batch (sweep_batch_size, default 100; --batch to change) of due timers, each escalating its
    case (two outbox events and the history written).

It starts its own embedded PostgreSQL (durable settings, as in dev) on a free port and removes it after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import text

from o2c_cli.localstack import EmbeddedPostgres, free_port
from o2c_cli.testing import Infra
from o2c_common.auth import mint_token
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade
from o2c_common.settings import DEV_JWT_SECRET
from o2c_escalation.config import EscalationSettings
from o2c_escalation.main import create_app
from o2c_escalation.workers import sweep_timers_once

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "escalation"
BODY = {"title": "Invoice stuck in portal", "description": "Rejected twice", "requester_function": "sales",
        "category": "portal", "severity": "P2", "owning_team": "vendor-a"}


async def creation_rate(settings: EscalationSettings, *, n: int, concurrency: int) -> float:
    app = create_app(settings)
    token = mint_token(secret=DEV_JWT_SECRET, subject="bench", roles=["requester"], issuer="o2c", audience="o2c")
    headers = {"Authorization": f"Bearer {token}"}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
        for _ in range(20):  # warm up
            (await client.post("/cases", json=BODY, headers=headers)).raise_for_status()
        queue = list(range(n))

        async def worker() -> None:
            while queue:
                queue.pop()
                (await client.post("/cases", json=BODY, headers=headers)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return n / (time.perf_counter() - started)


async def seed_open_cases(db: Database, *, count: int, due: int) -> None:
    """``count`` open cases with both clocks running, ``due`` of them with an acknowledge timer already due."""
    async with db.unit_of_work() as s:
        await s.execute(text("""
            INSERT INTO cases (id, title, description, requester, requester_function, category, severity, tier,
                               owning_team, l1_team, invoice_ids, source, status, version)
            SELECT gen_random_uuid(), 'bench', 'bench', 'bench', 'sales', 'portal', 'P2', 'L1', 'vendor-a',
                   'vendor-a', '{}', 'api', 'open', 1 FROM generate_series(1, :n)"""), {"n": count})
        await s.execute(text("""
            INSERT INTO sla_timers (case_id, clock, status, team, target_seconds, consumed_seconds, running_since,
                                    due_at, breaches)
            SELECT id, k.clock, 'running', 'vendor-a', 3600, 0, now(), now() + interval '30 days', 0
            FROM cases CROSS JOIN (VALUES ('acknowledge'), ('resolve')) AS k(clock) WHERE title = 'bench'"""))
        await s.execute(text("""
            UPDATE sla_timers SET due_at = now() - interval '1 minute'
            WHERE id IN (SELECT id FROM sla_timers WHERE clock = 'acknowledge' ORDER BY id LIMIT :d)"""), {"d": due})
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def sweep_times(settings: EscalationSettings, db: Database, *, repeats: int) -> list[float]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            await sweep_timers_once(app.state.transactions, settings=settings)
            times.append(time.perf_counter() - started)
        return times


async def main(args: argparse.Namespace) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-escalation-"))
    pg = EmbeddedPostgres(data / "pgdata", port=free_port(), durable=True)
    pg.start()
    try:
        infra = Infra(pg_url=pg.url, kafka_bootstrap="127.0.0.1:9", broker=None)
        url = await infra.create_database("o2c_escalation_bench")
        await asyncio.to_thread(upgrade, SERVICE_DIR, url)
        settings = EscalationSettings(database_url=url, run_workers=False, log_json=False, log_level="WARNING",
                                      environment="test", database_pool_size=20, sweep_batch_size=args.batch)
        print(f"# escalation bench {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} cores, PostgreSQL durable")
        for concurrency in (1, 8):
            rate = await creation_rate(settings, n=args.cases, concurrency=concurrency)
            print(f"case creation over the API, {args.cases} cases, {concurrency} concurrent: {rate:.0f} cases/s")
        db = Database(url, pool_size=5)
        try:
            await db.ping()
            async with db.unit_of_work() as s:
                await s.execute(text("TRUNCATE cases CASCADE"))
            await seed_open_cases(db, count=args.open_cases, due=0)
            idle = await sweep_times(settings, db, repeats=20)
            print(f"one sweep, {args.open_cases} open cases, none due: median {statistics.median(idle) * 1000:.1f} ms,"
                  f" max {max(idle) * 1000:.1f} ms")
            await db.dispose()
            async with db.unit_of_work() as s:
                await s.execute(text("TRUNCATE cases CASCADE"))
            await seed_open_cases(db, count=args.open_cases, due=settings.sweep_batch_size)
            [busy] = await sweep_times(settings, db, repeats=1)
            async with db.unit_of_work() as s:
                fired = (await s.execute(text("SELECT count(*) FROM sla_timers WHERE breaches = 1"))).scalar()
                events = (await s.execute(text(
                    "SELECT count(*) FROM outbox WHERE event_type LIKE 'o2c.escalation.%' "
                    "AND event_type NOT LIKE '%opened%'"))).scalar()
            print(f"one sweep, {args.open_cases} open cases, {fired} due (a full batch, each escalating its case,"
                  f" {events} outbox events): {busy * 1000:.0f} ms")
        finally:
            await db.dispose()
    finally:
        pg.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000, help="cases created per creation phase")
    parser.add_argument("--batch", type=int, default=100, help="timers fired per sweep (sweep_batch_size)")
    parser.add_argument("--open-cases", type=int, default=100_000, help="open cases for the sweep phase")
    asyncio.run(main(parser.parse_args()))
