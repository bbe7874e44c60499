"""(a) Raw aiokafka against the bench's broker: produce rate, consume rate, and the produce→consume
round trip at a fixed rate, with CloudEvents-sized records (real invoice.issued events, ~600-byte
JSON value, ce_* headers, keyed by the invoice id).

The producer is configured exactly as the services' (``o2c_common.kafka.make_producer``) so the
relay figures in (b) can be read as a ratio to these."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.infra import Stats
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.events.examples import example_payload
from o2c_common.kafka import ensure_topics, make_producer, read_from_start
from o2c_common.settings import ServiceSettings

RAW_TOPIC = "bench.raw"
RTT_TOPIC = "bench.rtt"
PARTITIONS = 6  # as the services' topics
VALUE_BYTES = 600
SEQ_HEADER = "bench_seq"

Progress = Callable[[int], None]
Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


def _template() -> InvoiceIssued:
    base = example_payload(InvoiceIssued, invoice_id=uuid.UUID(int=0), invoice_number="US01-2026-000000",
                           legal_entity="US01", customer_id="CUST-000000", currency="USD",
                           amount=Decimal("1250.00"), tax_amount=Decimal("208.33"),
                           issued_at=datetime(2026, 1, 1, tzinfo=UTC), po_number=None)
    pad = max(0, VALUE_BYTES - len(base.model_dump_json()))
    # the PO number pads the record towards VALUE_BYTES, within the contract's 64 characters
    return base.model_copy(update={"po_number": "PO-" + "7" * min(61, max(1, pad - 3))})


_TEMPLATE: InvoiceIssued | None = None


def bench_event(i: int, *, keys: int) -> Event:
    """The i-th bench event: an invoice.issued of one of ``keys`` invoices, as the services write it."""
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = _template()
    key = i % keys
    payload = _TEMPLATE.model_copy(update={
        "invoice_id": uuid.UUID(int=key + 1), "invoice_number": f"US01-2026-{i % 1_000_000:06d}",
        "customer_id": f"CUST-{key % 1_000_000:06d}", "issued_at": datetime.now(UTC),
    })
    return Event.new(payload, source="/o2c/bench", correlation_id=uuid.uuid4().hex)


def bench_records(n: int, *, keys: int) -> list[Record]:
    out = []
    for i in range(n):
        event = bench_event(i, keys=keys)
        out.append((event.key.encode(), event.value(), event.headers()))
    return out


def producer(bootstrap: str, name: str = "bench") -> AIOKafkaProducer:
    return make_producer(ServiceSettings(kafka_bootstrap_servers=bootstrap, service_name=name))


@dataclass
class RawResult:
    records: int
    value_bytes: float
    header_bytes: float
    produce_s: float
    consume_s: float
    round_trips: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def produce_rate(self) -> float:
        return self.records / self.produce_s

    @property
    def consume_rate(self) -> float:
        return self.records / self.consume_s

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "value_bytes": round(self.value_bytes),
                "header_bytes": round(self.header_bytes),
                "produce_rate": round(self.produce_rate), "consume_rate": round(self.consume_rate),
                "produce_s": round(self.produce_s, 3), "consume_s": round(self.consume_s, 3),
                "round_trips": self.round_trips}


async def produce(bootstrap: str, records: list[Record], *, topic: str = RAW_TOPIC,
                  progress: Progress | None = None) -> float:
    """Seconds to send every record and have every one acknowledged (acks=all)."""
    p = producer(bootstrap)
    await p.start()
    try:
        started = time.perf_counter()
        futures = []
        for i, (key, value, headers) in enumerate(records, 1):
            futures.append(await p.send(topic, value, key=key, headers=headers))
            if progress is not None and i % 1000 == 0:
                progress(1000)
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - started
        if progress is not None:
            progress(len(records) % 1000)
        return elapsed
    finally:
        await p.stop()


async def consume(bootstrap: str, expect: int, *, topic: str = RAW_TOPIC, progress: Progress | None = None) -> float:
    """Seconds to fetch ``expect`` records from the start of ``topic`` (all partitions, no group)."""
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await c.start()
    try:
        partitions = [TopicPartition(topic, p) for p in c.partitions_for_topic(topic) or range(PARTITIONS)]
        await read_from_start(c, partitions)
        got, started = 0, time.perf_counter()
        deadline = started + max(60.0, expect / 1000)
        while got < expect:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"consumed {got} of {expect} records")
            batch = await c.getmany(timeout_ms=1000, max_records=5000)
            n = sum(len(v) for v in batch.values())
            got += n
            if progress is not None and n:
                progress(n)
        return time.perf_counter() - started
    finally:
        await c.stop()


async def round_trip(bootstrap: str, *, rate: float, seconds: float, fetch_max_wait_ms: int | None = None,
                     progress: Progress | None = None) -> dict[str, Any]:
    """Produce at ``rate``/s for ``seconds`` while a consumer reads the topic's tail; latency is from
    just before ``send`` to the moment ``getmany`` hands the record over. ``fetch_max_wait_ms=None``
    keeps aiokafka's default, which is what the services' consumers use."""
    n = max(1, int(rate * seconds))
    consumer_args = {} if fetch_max_wait_ms is None else {"fetch_max_wait_ms": fetch_max_wait_ms}
    c = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **consumer_args)
    p = producer(bootstrap)
    await c.start()
    await p.start()
    sent: dict[int, float] = {}
    latencies: list[float] = []
    reader: asyncio.Task[None] | None = None
    try:
        partitions = [TopicPartition(RTT_TOPIC, i) for i in range(PARTITIONS)]
        c.assign(partitions)
        await c.seek_to_end(*partitions)
        for tp in partitions:
            await c.position(tp)  # resolve the end offsets before producing

        async def read() -> None:
            while len(latencies) < n:
                batch = await c.getmany(timeout_ms=200)
                now = time.perf_counter()
                for records in batch.values():
                    for r in records:
                        seq = int(dict(r.headers).get(SEQ_HEADER, b"-1"))
                        if seq in sent:
                            latencies.append(now - sent.pop(seq))
                if progress is not None and batch:
                    progress(sum(len(v) for v in batch.values()))

        reader = asyncio.create_task(read())
        records = bench_records(n, keys=1000)
        started = time.perf_counter()
        for i, (key, value, headers) in enumerate(records):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[i] = time.perf_counter()
            await p.send(RTT_TOPIC, value, key=key, headers=[*headers, (SEQ_HEADER, str(i).encode())])
        await asyncio.wait_for(reader, timeout=30)
    finally:
        if reader is not None and not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        await p.stop()
        await c.stop()
    stats = Stats.of_seconds(latencies)
    return {"rate": rate, "records": n, "fetch_max_wait_ms": fetch_max_wait_ms or 500, **stats.as_dict()}


async def run_raw(bootstrap: str, *, records: int, rtt_rate: float, rtt_seconds: float,
                  tuned_fetch_wait_ms: int, progress: Callable[[str, int], Progress]) -> RawResult:
    """The whole of (a). ``progress(label, total)`` returns an advance callback."""
    await ensure_topics(bootstrap, [RAW_TOPIC, RTT_TOPIC], partitions=PARTITIONS, replication_factor=1)
    data = bench_records(records, keys=max(1, records // 10))
    value_bytes = sum(len(v) for _, v, _ in data) / len(data)
    header_bytes = sum(sum(len(k) + len(v) for k, v in h) for _, _, h in data) / len(data)
    produce_s = await produce(bootstrap, data, progress=progress("raw produce", records))
    del data
    consume_s = await consume(bootstrap, records, progress=progress("raw consume", records))
    result = RawResult(records, value_bytes, header_bytes, produce_s, consume_s)
    n = max(1, int(rtt_rate * rtt_seconds))
    result.round_trips["default"] = await round_trip(
        bootstrap, rate=rtt_rate, seconds=rtt_seconds, progress=progress("raw round trip (consumer defaults)", n))
    result.round_trips["tuned"] = await round_trip(
        bootstrap, rate=rtt_rate, seconds=rtt_seconds, fetch_max_wait_ms=tuned_fetch_wait_ms,
        progress=progress(f"raw round trip (fetch_max_wait_ms={tuned_fetch_wait_ms})", n))
    return result
