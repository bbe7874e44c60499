"""The bench's (a) and (b) parts with tiny sizes against the session's PostgreSQL and broker.

No timing is asserted (figures belong to ``python -m bench``); only that each part really moved
records and that the relay runs left nothing unpublished."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.kafka_raw import PARTITIONS, run_raw
from bench.relay import RELAY_TOPIC, relay_phase
from o2c_cli.testing import Infra
from o2c_common.kafka import read_from_start


def _no_progress(_label: str, _total: int):  # type: ignore[no-untyped-def]
    return lambda _n: None


async def _event_ids_on(bootstrap: str, topic: str, *, at_least: int, timeout_ms: int = 10_000) -> set[bytes]:
    """The distinct ce_id headers on ``topic``, read from the start (not from ListOffsets, which Tansu
    answers with the last batch's base offset + 1 rather than the high watermark)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    ids: set[bytes] = set()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        await read_from_start(consumer, partitions)
        for _ in range(timeout_ms // 250):
            batch = await consumer.getmany(timeout_ms=250)
            ids.update(dict(r.headers)["ce_id"] for records in batch.values() for r in records)
            if len(ids) >= at_least and not batch:
                break
        return ids
    finally:
        await consumer.stop()


async def test_raw_kafka_part_moves_records(infra: Infra) -> None:
    raw = await run_raw(infra.kafka_bootstrap, records=300, rtt_rate=100, rtt_seconds=0.3, tuned_fetch_wait_ms=20,
                        progress=_no_progress)
    assert raw.records == 300
    assert raw.produce_rate > 0 and raw.consume_rate > 0
    assert 500 < raw.value_bytes < 700 and raw.header_bytes > 0
    for kind in ("default", "tuned"):
        trip = raw.round_trips[kind]
        assert trip["n"] == trip["records"] == 30, trip
        assert 0 < trip["p50"] <= trip["p99"] <= trip["max"]


async def test_relay_part_publishes_every_row_with_one_and_two_relays(infra: Infra) -> None:
    runs = await relay_phase(infra, rows=400, keys=40, relay_counts=(1, 2), progress=_no_progress)
    assert [r.relays for r in runs] == [1, 2]
    for run in runs:
        assert run.rows == 400
        assert run.unpublished_after == 0, run
        assert sum(run.per_relay) >= 400, run
        assert run.rate > 0 and run.seconds > 0
    assert len(await _event_ids_on(infra.kafka_bootstrap, RELAY_TOPIC, at_least=800)) == 800
