"""``python -m bench history --rows 200000``: history onboarding end to end (issue 16), not a test.

Generated history rows (an invoice and its payment each: ``--customers`` customers, issue dates over three years,
paid 5 to 60 days later) go through the real stack — the five services as separate processes, as ``o2c dev``
starts them, on the bench's own PostgreSQL and broker — with ``o2c history replay``'s code: the invoices to
invoicing's batch endpoint in chunks, the wait until collections has opened every receivable, the payments to
collections (batch endpoint, or one request per row without it), then the wait until kpi's read models include
every invoice and every payment. Prints rows/s end to end, the seconds of each stage, the CPU of each process
over the whole run (where the time goes) and the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench import per_row, pg_stats
from bench.cpu import CpuMeter
from bench.infra import (
    QUEUES,
    bench_infra,
    gauge_total,
    load_average,
    machine,
    remove,
    started_stack,
    stop_on_sigterm,
)
from o2c_cli.history import RichReplayProgress, mint_replay_token, replay
from o2c_cli.localstack import free_port
from o2c_cli.services import SERVICES
from o2c_cli.stack import StackConfig
from o2c_collections.history.schemas import HistoryRow
from o2c_common.db.database import asyncpg_dsn

console = Console()


def generated_rows(n: int, *, customers: int, seed: int = 16) -> list[HistoryRow]:
    """``n`` invoices of ``customers`` customers issued over 2015-2017, each paid in full 5-60 days after issue."""
    rng = random.Random(seed)
    first = date(2015, 1, 1)
    rows = []
    for i in range(n):
        issued = first + timedelta(days=rng.randrange(3 * 365))
        rows.append(HistoryRow(
            line=i + 2, country_code="US", customer_id=f"HB-{rng.randrange(customers):05d}",
            invoice_number=f"HB-{i:08d}", invoice_date=issued, due_date=issued + timedelta(days=30),
            amount=Decimal(rng.randrange(1_000, 500_000)) / 100, disputed=False,
            settled_date=issued + timedelta(days=rng.randrange(5, 61))))
    return rows


class Backlogs:
    """Samples each service's ``/metrics`` every 5 s: its outbox backlog (rows its relay has not published) and
    its consumers' lag (records not yet handled), so the report says which queue the time was spent waiting on."""

    GAUGES = QUEUES
    # A scrape is work taken from the run it measures: when it still counted every unpublished outbox row, 333 ms
    # of PostgreSQL at a 160,000-row backlog (12:05, 4c85eb5; bounded since 13b618d). Every 5 s shows the queues.
    INTERVAL_S = 5.0

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self.peak: dict[tuple[str, str], float] = {}
        self.last_busy: dict[tuple[str, str], float] = {}
        self.began = time.monotonic()

    async def sample(self, client: httpx.AsyncClient) -> None:
        for name, url in self.urls.items():
            try:
                text = (await client.get(f"{url}/metrics")).text
            except httpx.HTTPError:
                continue
            for gauge in self.GAUGES:
                value = gauge_total(text, gauge)
                key = (name, gauge)
                self.peak[key] = max(self.peak.get(key, 0.0), value)
                if value > 0:
                    self.last_busy[key] = time.monotonic() - self.began

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            while not stop.is_set():
                await self.sample(client)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.INTERVAL_S)

    def table(self) -> dict[str, str]:
        return {f"{name} {gauge}": f"peak {self.peak[(name, gauge)]:,.0f}, last seen at "
                f"{self.last_busy.get((name, gauge), 0):.0f} s" for name, gauge in sorted(self.peak)
                if self.peak[(name, gauge)] > 0}


async def sampled_replay(backlogs: Backlogs, waits: pg_stats.Waits, **kwargs: Any) -> tuple[Any, Any]:
    """The replay, with the services' queues sampled from their metrics and (``--pg-stats``) where PostgreSQL's
    transactions are; returns the replay's result and those places."""
    stop = asyncio.Event()
    sampler = asyncio.create_task(backlogs.run(stop))
    await waits.start()
    try:
        result = await replay(**kwargs)
    finally:
        places = await waits.stop()
        stop.set()
        await sampler
    return result, places


def run(args: argparse.Namespace) -> dict[str, Any]:
    rows = generated_rows(args.rows, customers=args.customers)
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-bench-history-"))
    figures: dict[str, Any] = {"rows": args.rows, "chunk": args.chunk, "machine": machine(),
                               "load before": load_average()}
    try:
        settings = {**pg_stats.SETTINGS, **(pg_stats.WAL_KEPT if args.wal_by_relation else {})}
        with bench_infra(data_dir, settings=settings if args.pg_stats else None) as infra:
            dsn = f"{asyncpg_dsn(infra.pg.url)}/postgres" if args.pg_stats else None
            stack = started_stack(StackConfig(
                data_dir=data_dir / "stack", external_pg_url=infra.infra.pg_url,
                external_kafka=infra.infra.kafka_bootstrap, ports={name: free_port() for name in SERVICES}))
            try:
                pids = {name: proc.pid for name, proc in stack.processes.items()}
                pids |= {"tansu": infra.broker.process.pid} if infra.broker.process else {}
                meter = CpuMeter(pids, {"postgres": infra.pg.process.pid} if infra.pg.process else {})
                service_urls = {name: f"http://127.0.0.1:{stack.config.ports[name]}" for name in SERVICES}
                replayed = ("invoicing", "collections", "kpi")
                urls = {f"{name}_url": service_urls[name] for name in replayed}
                with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=console) as bars:
                    asyncio.run(pg_stats.reset(dsn))
                    wal_before = asyncio.run(pg_stats.wal(dsn))
                    events_before = asyncio.run(per_row.event_counts(service_urls))
                    databases_before = asyncio.run(per_row.database_counts(dsn))
                    tables_before = asyncio.run(per_row.table_counts(dsn, list(SERVICES)))
                    meter.start()
                    began = time.monotonic()
                    backlogs = Backlogs({name: service_urls[name] for name in replayed})
                    result, figures["waits"] = asyncio.run(sampled_replay(
                        backlogs, pg_stats.Waits(dsn, interval=0.05), rows=rows, token=mint_replay_token(),
                        chunk_size=args.chunk,
                        concurrency=args.concurrency,
                        receivable_timeout_s=args.timeout, readmodel_timeout_s=args.timeout,
                        progress=RichReplayProgress(bars), **urls))
                    wall = time.monotonic() - began
                    figures["cpu % of one core"] = meter.stop()
                    figures["per row"] = per_row.ledger(
                        rows=args.rows, seconds=wall, cpu=figures["cpu % of one core"],
                        events=(events_before, asyncio.run(per_row.event_counts(service_urls))),
                        databases=(databases_before, asyncio.run(per_row.database_counts(dsn, settle=True))))
                    figures["tables per row"] = per_row.tables(
                        tables_before, asyncio.run(per_row.table_counts(dsn, list(SERVICES))), rows=args.rows)
                    figures["statements"] = asyncio.run(pg_stats.top(dsn, 15))
                    wal_after = asyncio.run(pg_stats.wal(dsn))
                    if wal_before and wal_after:
                        figures["wal"] = pg_stats.wal_line(wal_before, wal_after)
                        records = wal_after["wal_records"] - wal_before["wal_records"]
                        figures["wal records a row"] = records / args.rows
                        if args.wal_by_relation:
                            figures["wal by relation"] = asyncio.run(
                                pg_stats.wal_by_relation(dsn, wal_before, wal_after))
                    figures["queues (from /metrics, seconds since the start)"] = backlogs.table()
            finally:
                stack.stop()
    finally:
        if not args.keep:
            remove(data_dir)
    figures.update({"load after": load_average(), "seconds": round(wall, 1), "rows/s": round(args.rows / wall),
                    "stages": {k: round(v, 1) for k, v in result.seconds.items()},
                    "invoices created": result.invoices_created, "payments applied": result.payments_applied,
                    "errors": len(result.errors)})
    return figures


def report(figures: dict[str, Any]) -> None:
    console.print(f"[bold]history onboarding[/]: {figures['rows']:,} rows (invoice + payment each) in "
                  f"{figures['seconds']} s = [bold]{figures['rows/s']:,} rows/s[/] end to end (target ≥ 2,000)")
    console.print(f"invoices created {figures['invoices created']:,}, payments applied "
                  f"{figures['payments applied']:,}, errors {figures['errors']}")
    for stage, seconds in figures["stages"].items():
        console.print(f"  {stage:<12} {seconds:>8.1f} s  ({figures['rows'] / max(seconds, 1e-9):,.0f} rows/s)")
    console.print("CPU over the run, % of one core: " + ", ".join(
        f"{name} {value}" for name, value in sorted(figures["cpu % of one core"].items(), key=lambda kv: -kv[1])))
    console.print("A history row's costs (each figure over the run, divided by the rows; events: published, handled, "
                  "left unread by a lane; the database's with --pg-stats):")
    for line in per_row.table(figures["per row"]):
        console.print(line, soft_wrap=True)
    if figures["tables per row"]:
        console.print("Rows written (inserted, updated or deleted) a history row, by table (--pg-stats): " + ", ".join(
            f"{name} {n:.2f}" for name, n in figures["tables per row"]), soft_wrap=True)
    for queue, seen in figures["queues (from /metrics, seconds since the start)"].items():
        console.print(f"  {queue:<32} {seen}")
    console.print(f"load average before {figures['load before']}, after {figures['load after']} "
                  f"({figures['machine']['cores']} cores); host speed {figures['machine']['host speed']}")
    if figures.get("statements"):
        console.print("PostgreSQL's statements by time over the run (--pg-stats; lock waits included):")
        for database, calls, total_s, mean_ms, query in pg_stats.rows(figures["statements"]):
            console.print(f"  {database:<12} {calls:>9} calls {total_s:>8} s {mean_ms:>9} ms  {query}", soft_wrap=True)
    if figures.get("wal"):
        console.print(figures["wal"] + f"; {figures['wal records a row']:,.0f} records a row")
        for r in figures.get("wal by relation") or []:
            console.print(f"  {r['database']:<12} {r['relation']:<40} {r['records']:>10,} block writes "
                          f"{r['fpi MiB']:>8} MiB of page images {r['data MiB']:>8} MiB of data")
    if figures.get("waits"):
        console.print("Where the services' transactions were (--pg-stats; backends on average, every 50 ms):")
        for database, backends, where, statement in pg_stats.wait_rows(figures["waits"]):
            console.print(f"  {database:<12} {backends:>6}  {where} {statement}", soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench history", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="history rows (an invoice and a payment each)")
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--chunk", type=int, default=500, help="rows per batch request")
    parser.add_argument("--concurrency", type=int, default=12, help="requests in flight")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for a read model")
    parser.add_argument("--keep", action="store_true", help="keep the bench's data directory")
    parser.add_argument("--pg-stats", action="store_true",
                        help="PostgreSQL's statements by time over the run (pg_stat_statements in the bench's server) "
                             "and where the services' transactions waited")
    parser.add_argument("--wal-by-relation", action="store_true",
                        help="with --pg-stats: keep the run's WAL and name the relations whose blocks it touched "
                             "most (pg_walinspect; reads the whole WAL after the run: slow for large runs)")
    stop_on_sigterm()
    try:
        figures = run(parser.parse_args(argv))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: everything the bench started has been stopped[/]")
        raise SystemExit(130) from None
    report(figures)


if __name__ == "__main__":
    main()
