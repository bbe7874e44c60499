"""``python -m bench.broker``: what the local broker (Tansu, memory storage) costs for a stream of events, by how many
consumer groups read it and how the stream is batched (issue 16; not a test).

For each case, a fresh Tansu on a free port, one topic of ``--partitions`` partitions, ``groups`` consumer groups
reading it as the services' consumers do (fetch wait 50 ms, the local stack's session timeout), and a producer
configured as the relays' (``o2c_common.kafka.make_producer``) sending ``--rate`` invoice.issued records a second
for ``--seconds``, ``per_request`` records per produce request (the relay publishes what has committed since its
last cycle: one record a request when writes come one at a time, more when they pile up). The broker's CPU is read
from /proc over the produce window; the table gives it in % of one core and in µs per record, with the stored
batches each group read (records ÷ records per stored batch, summed over groups).

The services' topics are read by six groups each (invoicing's by collections, kpi, kpi-sla, kpi-operations,
escalation and workforce; collections' by invoicing and the same five), and a freshness write publishes two records
(invoice.issued, receivable.changed), one a request.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.table import Table

from bench.cpu import process_seconds
from bench.infra import load_average, machine
from bench.kafka_raw import Record, bench_records, produce, producer
from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS, TansuBroker, free_port
from o2c_common.kafka import ensure_topics

TOPIC = "bench.broker"
FETCH_MAX_WAIT_MS = 50  # as the services' consumers while records flow (ServiceSettings.consumer_fetch_max_wait_ms)


@dataclass(frozen=True)
class Case:
    groups: int
    per_request: int
    partitions: int
    held: int = 0


@dataclass
class Result:
    case: Case
    records: int
    seconds: float
    broker_cpu_s: float
    read: list[int]

    @property
    def percent(self) -> float:
        return 100 * self.broker_cpu_s / self.seconds

    @property
    def us_per_record(self) -> float:
        return 1e6 * self.broker_cpu_s / self.records


@dataclass
class Reader:
    """One group's progress: records read of the stream (negative while it reads the held ones)."""

    read: int
    stream: int
    caught_up: asyncio.Event  # the held records read
    done: asyncio.Event  # the stream read


async def _read(bootstrap: str, group: str, reader: Reader, stop: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                enable_auto_commit=False, fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
                                session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS,
                                heartbeat_interval_ms=LOCAL_SESSION_TIMEOUT_MS // 4)
    await consumer.start()
    try:
        while not stop.is_set():
            fetched = await consumer.getmany(timeout_ms=200)
            reader.read += sum(len(records) for records in fetched.values())
            if consumer.assignment() and reader.read >= 0:
                reader.caught_up.set()
            if reader.read >= reader.stream:
                reader.done.set()
    finally:
        await consumer.stop()


async def _produce(bootstrap: str, records: list[Record], *, rate: float, per_request: int) -> None:
    """Open loop: ``per_request`` records sent together every ``per_request / rate`` seconds, each cycle's
    acknowledgements awaited before the next (as the relay does)."""
    p = producer(bootstrap, "bench-broker")
    await p.start()
    try:
        start = time.monotonic()
        for cycle, first in enumerate(range(0, len(records), per_request)):
            delay = start + cycle * per_request / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            futures = [await p.send(TOPIC, value, key=key, headers=headers)
                       for key, value, headers in records[first:first + per_request]]
            await asyncio.gather(*futures)
    finally:
        await p.stop()


async def _measure(case: Case, records: list[Record], rate: float) -> Result:
    broker = TansuBroker(port=free_port())
    broker.start()
    try:
        assert broker.process is not None
        bootstrap = broker.bootstrap_servers
        await ensure_topics(bootstrap, [TOPIC], partitions=case.partitions, replication_factor=1)
        if case.held:
            await produce(bootstrap, bench_records(case.held, keys=100_000), topic=TOPIC)
        stop = asyncio.Event()
        readers = [Reader(-case.held, len(records), asyncio.Event(), asyncio.Event()) for _ in range(case.groups)]
        tasks = [asyncio.create_task(_read(bootstrap, f"bench-group-{i}", reader, stop))
                 for i, reader in enumerate(readers)]
        await asyncio.wait_for(asyncio.gather(*(r.caught_up.wait() for r in readers)), 120)
        before, started = process_seconds(broker.process.pid), time.monotonic()
        await _produce(bootstrap, records, rate=rate, per_request=case.per_request)
        await asyncio.wait_for(asyncio.gather(*(r.done.wait() for r in readers)), 30)
        seconds, cpu = time.monotonic() - started, process_seconds(broker.process.pid) - before
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return Result(case, len(records), seconds, cpu, [r.read for r in readers])
    finally:
        broker.stop()


def _cases(groups: list[int], batches: list[int], partitions: list[int], held: list[int]) -> list[Case]:
    cases = [Case(g, 1, partitions[0]) for g in groups]
    cases += [Case(max(groups), b, partitions[0]) for b in batches if b != 1]
    cases += [Case(max(groups), 1, p) for p in partitions[1:]]
    cases += [Case(max(groups), 1, partitions[0], h) for h in held if h]
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=300.0, help="records a second (two a freshness write)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--groups", type=int, nargs="+", default=[0, 1, 3, 6], help="reading groups, one case each")
    parser.add_argument("--per-request", type=int, nargs="+", default=[1, 6, 30],
                        help="records a produce request, one case each (with the most groups)")
    parser.add_argument("--partitions", type=int, nargs="+", default=[6, 2, 12],
                        help="the topic's partitions: the first for every case, the others with the most groups")
    parser.add_argument("--held", type=int, nargs="*", default=[20_000],
                        help="records on the topic before the stream (the groups read them first), one case each")
    args = parser.parse_args()
    console = Console()
    console.print(f"# broker bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; "
                  f"load at start {load_average(' / ')}")
    records = bench_records(int(args.rate * args.seconds), keys=100_000)
    results = []
    for case in _cases(args.groups, args.per_request, args.partitions, args.held):
        result = asyncio.run(_measure(case, records, args.rate))
        console.print(f"{case.groups} groups, {case.per_request} a request, {case.partitions} partitions, "
                      f"{case.held:,} held: "
                      f"broker {result.percent:.1f} % of a core, {result.us_per_record:.0f} µs a record")
        results.append(result)
    table = Table(title=f"Tansu's CPU for {len(records):,} records at {args.rate:g}/s "
                        f"(load at end {load_average(' / ')})")
    for column in ("reading groups", "records a produce request", "partitions", "records held before",
                   "broker, % of one core",
                   "broker µs per record produced", "records read (all groups)"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(str(r.case.groups), str(r.case.per_request), str(r.case.partitions), f"{r.case.held:,}",
                      f"{r.percent:.1f}",
                      f"{r.us_per_record:,.0f}", f"{sum(r.read):,}")
    console.print(table)


if __name__ == "__main__":
    main()
