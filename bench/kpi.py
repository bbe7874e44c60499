"""``python -m bench.kpi``: the KPI engine's projection throughput and query latency (not a test).

(a) Projection: ``--events`` events (an invoice's life as the services write it: invoice.issued, receivable.changed
    opening it, payment.applied, receivable.changed paying it) are produced to the invoicing and collections topics
    of the bench's own broker. Then, in the same run and on the same broker: the raw consume rate (an aiokafka
    consumer only reading the records), and the projection rate of the ``kpi`` consumer (the service's EventConsumer
    with the kpi handlers, writing the read models in a fresh kpi database, inbox included), as events/s and as a
    ratio to the raw rate.
(b) Queries: ``--invoices`` invoices' history (issue, and for 90 % payment 20 days before to 59 days after the due
    date; 3 years, 20,000 customers, 8 teams, 2 entities/currencies) is loaded into the read models in bulk with
    SQL: the invoices and AR movements as the handlers write them, the daily rollups with the same aggregation
    the projection's roll-up statement performs. Then GET /kpis (the in-process app over ASGI: auth, validation,
    JSON included) for a mix of periods and scopes; latency p50/p99 per query and overall.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from bench.cpu import CpuMeter, process_seconds
from bench.infra import BenchInfra, bench_infra, load_average, machine
from bench.kpi_queries import SERVICE_DIR, query_phase
from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.db.migrate import upgrade
from o2c_common.events import Event
from o2c_common.events.contracts.collections import CashApplication, PaymentApplied, ReceivableChanged
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.events.examples import example_payload
from o2c_common.inbox import EventConsumer
from o2c_common.kafka import ensure_topics, make_producer, read_from_start
from o2c_common.runtime import settle_heap
from o2c_common.settings import ServiceSettings
from o2c_common.tx import Transactions
from o2c_kpi.facts.handlers import HANDLERS

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ("o2c.invoicing.events", "o2c.collections.events")
Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


# --- (a) projection ----------------------------------------------------------------------------------------------

def make_events(n: int, rng: random.Random) -> list[Record]:
    """An invoice's life as the services write it, ``n`` events in all: invoice.issued, the receivable opened
    (receivable.changed, entry 1), payment.applied and the receivable paid (receivable.changed, entry 2). The AR
    read models follow the ledger's receivable.changed; invoice.issued and payment.applied add the counts."""
    issued_t = example_payload(InvoiceIssued, currency="USD", owning_team="team-1", legal_entity="US01")
    applied_t = example_payload(PaymentApplied, currency="USD", owning_team="team-1", legal_entity="US01")
    changed_t = example_payload(ReceivableChanged, currency="USD", owning_team="team-1", legal_entity="US01",
                                payment_id=None, application_id=None, credit_note_id=None, deduction_id=None,
                                dispute_id=None, reason=None)
    records: list[Record] = []
    for i in range(n // 4):
        invoice_id = uuid.UUID(int=rng.getrandbits(128))
        issue = date(2024, 1, 1) + timedelta(days=rng.randrange(730))
        amount = Decimal(rng.randrange(10_000, 1_000_000)) / 100
        customer, number, team = f"C{rng.randrange(20_000):05d}", f"US01-{i:08d}", f"team-{i % 8}"
        issued = issued_t.model_copy(update={
            "invoice_id": invoice_id, "invoice_number": number, "customer_id": customer, "amount": amount,
            "issue_date": issue, "due_date": issue + timedelta(days=30), "owning_team": team,
            "issued_at": datetime.combine(issue, datetime.min.time(), tzinfo=UTC)})
        paid = issue + timedelta(days=rng.randrange(10, 90))
        payment_id, application_id = uuid.UUID(int=rng.getrandbits(128)), uuid.UUID(int=rng.getrandbits(128))
        applied = applied_t.model_copy(update={
            "payment_id": payment_id, "customer_id": customer, "applied_date": paid, "value_date": paid,
            "owning_team": team, "applications": (CashApplication(application_id=application_id, invoice_id=invoice_id,
                                                                  invoice_number=number, amount=amount),)})
        ledger = {"invoice_id": invoice_id, "invoice_number": number, "customer_id": customer, "owning_team": team,
                  "issue_date": issue, "due_date": issue + timedelta(days=30), "original_amount": amount}
        opened = changed_t.model_copy(update={
            **ledger, "sequence": 1, "kind": "invoice", "amount": amount, "effective_date": issue,
            "open_amount_after": amount, "cash_applied_total": Decimal(0), "credited_total": Decimal(0),
            "written_off_total": Decimal(0), "posted_at": issued.issued_at})
        settled = opened.model_copy(update={
            "sequence": 2, "kind": "payment", "amount": -amount, "effective_date": paid,
            "open_amount_after": Decimal(0), "cash_applied_total": amount, "payment_id": payment_id,
            "application_id": application_id, "posted_at": datetime.combine(paid, datetime.min.time(), tzinfo=UTC)})
        for payload in (issued, opened, applied, settled):
            event = Event.new(payload, source=payload.expected_source())  # others are refused
            records.append((event.topic, event.key.encode(), event.value(), event.headers()))
    return records


async def produce(bootstrap: str, records: list[Record]) -> float:
    producer = make_producer(ServiceSettings(kafka_bootstrap_servers=bootstrap, service_name="bench-kpi"))
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=key, headers=headers)
                   for topic, key, value, headers in records]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, expect: int) -> float:
    """Seconds for an aiokafka consumer to read ``expect`` records of the topics from the start."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest",
                         max_poll_records=500)
    await c.start()
    try:
        await c.topics()
        partitions = [TopicPartition(t, p) for t in TOPICS for p in sorted(c.partitions_for_topic(t) or ())]
        await read_from_start(c, partitions)
        got, started = 0, time.perf_counter()
        while got < expect:
            batch = await c.getmany(timeout_ms=1000, max_records=500)
            got += sum(len(v) for v in batch.values())
        return time.perf_counter() - started
    finally:
        await c.stop()


async def project(db: Database, bootstrap: str, expect: int,
                  meter: CpuMeter | None = None) -> tuple[float, float, float, dict[str, float]]:
    """(seconds from start, seconds from the first handled event, CPU seconds of this process, ``meter``'s % of a
    core per process from the first handled event on) for the kpi consumer to handle ``expect``."""
    settings = ServiceSettings(kafka_bootstrap_servers=bootstrap, service_name="bench-kpi")
    dlq = make_producer(settings)
    await dlq.start()
    consumer = EventConsumer(group_id="kpi", topics=list(TOPICS), handlers=HANDLERS,
                             transactions=Transactions(db=db, source="/o2c/kpi"),
                             bootstrap_servers=bootstrap, dlq_producer=dlq, batch_size=settings.consumer_batch_size)
    settle_heap()  # as the service's start-up does (and the records made above are off the collector's walk)
    started, cpu_started = time.perf_counter(), time.process_time()
    first: float | None = None
    if meter is not None:
        meter.start()  # again at the first handled event, unless every event is handled before the loop sees one
    task = asyncio.create_task(consumer.run())
    try:
        while consumer.stats.processed < expect:
            if consumer.stats.dead_lettered or consumer.stats.refused:
                raise RuntimeError(f"the kpi consumer dead-lettered events: {consumer.stats}")
            if first is None and consumer.stats.processed:
                first = time.perf_counter()
                if meter is not None:
                    meter.start()
            await asyncio.sleep(0.01)
        done, cpu = time.perf_counter(), time.process_time() - cpu_started
        busy = meter.stop() if meter is not None else {}
    finally:
        consumer.stop()
        await task
        await dlq.stop()
    return done - started, done - (first or started), cpu, busy


async def _work(url: str, bootstrap: str, group: str) -> None:
    """One consumer process of ``group`` (``--worker``): runs until SIGTERM."""
    db = Database(url, pool_size=2)
    dlq = make_producer(ServiceSettings(kafka_bootstrap_servers=bootstrap, service_name="bench-kpi"))
    await dlq.start()
    consumer = EventConsumer(group_id=group, topics=list(TOPICS), handlers=HANDLERS,
                             transactions=Transactions(db=db, source="/o2c/kpi"), bootstrap_servers=bootstrap,
                             dlq_producer=dlq, batch_size=ServiceSettings().consumer_batch_size)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, consumer.stop)
    settle_heap()  # as the service's start-up does
    await consumer.run()
    await dlq.stop()
    await db.dispose()


def cpu_per_event(cpu_us: float | None) -> str:
    if cpu_us is None:
        return "the consumers' CPU not measured (the run was shorter than the kernel's 10-ms tick)"
    return f"{cpu_us:.0f} us CPU per event in the consumers"


async def scale_out(infra: Infra, expect: int, processes: int) -> dict[str, Any]:
    """``processes`` consumer processes of one new group over the same records (6 partitions per topic), into a
    fresh kpi database; events/s from the first inbox row to the last, and their CPU per event. The processes join
    the group one after the other and each join rebalances it, so the rate is also taken from the moment the group
    is stable with all of them, once rows arrive (``stable_rate``): what the processes do together, without their
    start-up."""
    url = await infra.create_database(f"o2c_kpi_bench_scale{processes}")
    await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    group = f"kpi-scale-{processes}"
    command = [sys.executable, "-m", "bench.kpi", "--worker", url, infra.kafka_bootstrap, group]
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    procs = [subprocess.Popen(command, cwd=ROOT) for _ in range(processes)]  # noqa: ASYNC220 - started, not awaited
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        first: float | None = None
        cpu_at_first = 0.0  # their start-up (imports, group join) does not count
        # (from when, inbox rows then): the first poll after the first row that finds the group stable with every
        # process
        stable: tuple[float, int] | None = None
        while (count := int(await conn.fetchval("SELECT count(*) FROM inbox"))) < expect:
            if first is None and count:
                first, cpu_at_first = time.perf_counter(), sum(process_seconds(p.pid) for p in procs)
            if first is not None and stable is None and await _stable_members(admin, group) == processes:
                stable = (time.perf_counter(), count)
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a consumer process ended early")
            await asyncio.sleep(0.01)
        done = time.perf_counter()
        seconds = done - (first or done)
        cpu = sum(process_seconds(p.pid) for p in procs) - cpu_at_first
        dead = int(await conn.fetchval("SELECT count(*) FROM dead_letters"))
    finally:
        await conn.close()
        await admin.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    stable_rate = None
    if stable is not None and expect - stable[1] >= expect // 4:  # a quarter of the events or more left to measure
        stable_rate = (expect - stable[1]) / max(done - stable[0], 1e-9)
    # the kernel counts a process's CPU in clock ticks (10 ms): a window shorter than a tick may show none
    return {"processes": processes, "rate": expect / max(seconds, 1e-9), "cpu_us": cpu / expect * 1e6 if cpu else None,
            "dead_letters": dead, "stable_rate": stable_rate,
            "stable_after": None if stable is None else stable[1]}


async def _stable_members(admin: AIOKafkaAdminClient, group: str) -> int:
    """Members of ``group`` once it is stable (its partitions assigned), else 0."""
    # DescribeGroups' group: (error_code, group, state, protocol_type, protocol, members)
    described = (await admin.describe_consumer_groups([group]))[0].groups
    return len(described[0][5]) if described and described[0][2] == "Stable" else 0


async def projection_phase(infra: Infra, events: int, processes: int = 0,
                           servers: CpuMeter | None = None) -> dict[str, Any]:
    """``servers``: a meter of the servers (PostgreSQL, the broker) whose CPU per event is reported."""
    records = make_events(events, random.Random(7))
    bootstrap = infra.kafka_bootstrap
    await ensure_topics(bootstrap, [*TOPICS, "o2c.dlq.kpi"], partitions=6, replication_factor=1)
    produce_s = await produce(bootstrap, records)
    raw_s = await raw_consume(bootstrap, len(records))
    url = await infra.create_database("o2c_kpi_bench_projection")
    await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    db = Database(url, pool_size=2)
    try:
        total_s, steady_s, cpu_s, busy = await project(db, bootstrap, len(records), servers)
        async with db.unit_of_work() as s:
            rows = {t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                    for t in ("receivable_movements", "kpi_ar_daily", "kpi_daily_counts")}
    finally:
        await db.dispose()
    raw_rate, rate, steady = len(records) / raw_s, len(records) / total_s, len(records) / steady_s
    scaled = [await scale_out(infra, len(records), n) for n in sorted({1, processes}) if processes > 1]
    return {"scale_out": scaled, "events": len(records), "produce_rate": len(records) / produce_s,
            "raw_consume_rate": raw_rate,
            "projection_rate": rate, "projection_rate_steady": steady, "ratio": rate / raw_rate,
            "ratio_steady": steady / raw_rate, "python_cpu_us": cpu_s / len(records) * 1e6,
            "wall_us": steady_s / len(records) * 1e6, "rows": rows,
            "servers_cpu_us": {name: busy[name] / 100 * steady_s / len(records) * 1e6
                               for name in (*servers.pids, *servers.trees)} if servers else {},
            "machine_percent": busy.get("machine (100% = one core)")}


TARGET_EVENTS_PER_S = 20_000
"""Issue 16's target for the projection on one process."""


def _print_projection(a: dict[str, Any]) -> None:
    print(f"(a) projection of {a['events']} events (invoices' lives: issued, receivable opened, "
          "payment applied, receivable paid), same broker, same run:")
    print(f"    produce {a['produce_rate']:,.0f} ev/s; raw consume {a['raw_consume_rate']:,.0f} ev/s")
    print(f"    kpi projection {a['projection_rate']:,.0f} ev/s from start (group join included), "
          f"{a['projection_rate_steady']:,.0f} ev/s from the first handled event")
    print(f"    ratio to raw consume: {a['ratio']:.2f} (steady {a['ratio_steady']:.2f}); rows {a['rows']}")
    servers_cpu = ", ".join(f"{name} {us:.0f} us" for name, us in a["servers_cpu_us"].items())
    print(f"    per event: {a['wall_us']:.0f} us wall (steady), {a['python_cpu_us']:.0f} us CPU of this "
          f"process (consumer, handlers, drivers); CPU of the servers from the first handled event: "
          f"{servers_cpu or 'not measured'}; the machine {a['machine_percent'] or 0:.0f} % of one core")
    for sc in a["scale_out"]:
        stable = (f"{sc['stable_rate']:,.0f} ev/s once the group was stable with all of them "
                  f"({sc['stable_after']:,} events handled before)" if sc["stable_rate"] is not None
                  else "not stable with all of them before the last quarter of the events")
        print(f"    {sc['processes']} consumer process(es) of one group: first to last inbox row "
              f"{sc['rate']:,.0f} ev/s (ratio to raw {sc['rate'] / a['raw_consume_rate']:.2f}); {stable}; "
              f"{cpu_per_event(sc['cpu_us'])}; dead letters {sc['dead_letters']}")
    rates = {sc["processes"]: sc["stable_rate"] for sc in a["scale_out"]}
    if len(rates) == 2 and None not in rates.values():
        (one, r1), (many, rn) = sorted(rates.items())
        print(f"    scale-out, stable group: {one} → {many} processes, ratio {rn / r1:.2f}")


def _print_runs(rates: list[float]) -> None:
    """The spread of ``--runs`` projections: this host's speed moves a run by ±20 %."""
    listed = " · ".join(f"{rate:,.0f}" for rate in rates)
    print(f"(a) {len(rates)} runs, each on a fresh PostgreSQL and broker, from the first handled event: {listed} ev/s; "
          f"median {statistics.median(rates):,.0f}; runs at {TARGET_EVENTS_PER_S:,} or more: "
          f"{sum(rate >= TARGET_EVENTS_PER_S for rate in rates)} of {len(rates)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="(a) events projected")
    parser.add_argument("--runs", type=int, default=1,
                        help="(a) projections, each on a fresh PostgreSQL and broker (scale-out in the last only)")
    parser.add_argument("--invoices", type=int, default=1_000_000, help="(b) invoices' history loaded")
    parser.add_argument("--repeats", type=int, default=50, help="(b) requests per query kind")
    parser.add_argument("--phases", default="ab")
    parser.add_argument("--processes", type=int, default=2,
                        help="(a) then also N consumer processes of one group across the partitions (0: not)")
    parser.add_argument("--worker", nargs=3, metavar=("URL", "BOOTSTRAP", "GROUP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(_work(*args.worker))
        return
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    print(f"# kpi bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"load average at start (1/5/15 min): {load_average(' / ')}")
    rates: list[float] = []
    for run in range(args.runs if "a" in args.phases else 0):
        if args.runs > 1:
            print(f"(a) run {run + 1} of {args.runs}, {datetime.now(UTC):%H:%M:%S}Z")
        processes = args.processes if run == args.runs - 1 else 0
        with _infra() as infra:
            servers = CpuMeter({"Tansu": infra.broker.process.pid} if infra.broker.process else {},
                               {"PostgreSQL": infra.pg.process.pid} if infra.pg.process else {})
            a = asyncio.run(projection_phase(infra.infra, args.events, processes, servers))
        _print_projection(a)
        rates.append(a["projection_rate_steady"])
    if len(rates) > 1:
        _print_runs(rates)
    if "b" in args.phases:
        with _infra() as infra:
            b = asyncio.run(query_phase(infra.infra, args.invoices, args.repeats))
        print(f"(b) {b['invoices']:,} invoices' history bulk-loaded in {b['load_s']:.0f}s; rows {b['rows']}")
        for name, st in b["per_query"].items():
            print(f"    {name:<40} p50 {st.p50:7.1f} ms  p99 {st.p99:7.1f} ms  (n={st.n})")
        st = b["overall"]
        print(f"    {'all GET /kpis':<40} p50 {st.p50:7.1f} ms  p99 {st.p99:7.1f} ms  max {st.max:.1f} ms "
              f"(n={st.n})")
    print(f"load average at end (1/5/15 min): {load_average(' / ')}")


@contextmanager
def _infra() -> Iterator[BenchInfra]:
    """PostgreSQL and the broker in a data directory of their own, removed afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-bench-kpi-"))
    try:
        with bench_infra(data_dir) as infra:
            yield infra
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
