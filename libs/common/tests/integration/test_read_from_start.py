"""Reading a topic from its first offset without a consumer group, on the real broker (``read_from_start``: offset
0, with a consumer that resets to ``earliest``).

aiokafka resets a freshly assigned partition to ``auto_offset_reset`` (``latest`` by default) in the background; when
that answer arrives after ``seek_to_beginning`` asked for the earliest offset, it wins and the reader starts at the
end. A proxy in front of the broker holds every ListOffsets answer back, so that order happens every time."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from o2c_cli.localstack import TansuBroker, free_port
from o2c_common.kafka import ensure_topics, read_from_start

LIST_OFFSETS = 2  # Kafka API key
PARTITIONS = 3
RECORDS = 60


class DelayingProxy:
    """Forwards Kafka protocol frames both ways; answers to ListOffsets requests reach the client ``delay`` late."""

    def __init__(self, upstream_port: int, delay: float) -> None:
        self.upstream_port, self.delay, self.port = upstream_port, delay, free_port()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> DelayingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        broker_r, broker_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        held: set[int] = set()  # correlation ids of ListOffsets requests in flight

        def note_request(frame: bytes) -> float:
            api_key, _version, correlation = struct.unpack(">hhi", frame[:8])
            if api_key == LIST_OFFSETS:
                held.add(correlation)
            return 0.0

        def delay_response(frame: bytes) -> float:
            correlation = struct.unpack(">i", frame[:4])[0]
            return self.delay if correlation in held else 0.0

        try:
            await asyncio.gather(_pump(client_r, broker_w, note_request), _pump(broker_r, client_w, delay_response))
        finally:
            for writer in (client_w, broker_w):
                writer.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, hold: Callable[[bytes], float]) -> None:
    try:
        while True:
            size = await reader.readexactly(4)
            frame = await reader.readexactly(struct.unpack(">i", size)[0])
            if wait := hold(frame):
                await asyncio.sleep(wait)
            writer.write(size + frame)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        writer.close()


@pytest.fixture
async def proxied_broker(tmp_path: Path) -> AsyncIterator[str]:
    """A broker of its own whose clients all talk to it through a DelayingProxy (0.5 s on ListOffsets)."""
    broker = TansuBroker(port=free_port(), log_path=tmp_path / "tansu.log")
    async with DelayingProxy(broker.port, delay=0.5) as proxy:
        broker.advertised_port = proxy.port
        await asyncio.to_thread(broker.start)
        try:
            yield f"127.0.0.1:{proxy.port}"
        finally:
            broker.stop()


async def _topic_with_records(bootstrap: str) -> str:
    topic = f"from-start-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=PARTITIONS, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(topic, b"x", key=str(i).encode()) for i in range(RECORDS)])
    finally:
        await producer.stop()
    return topic


async def _read_all(bootstrap: str, topic: str,
                    position: Callable[[AIOKafkaConsumer, list[TopicPartition]], Coroutine[Any, Any, None]],
                    reset: str = "earliest") -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                auto_offset_reset=reset)
    await consumer.start()
    try:
        await position(consumer, [TopicPartition(topic, p) for p in range(PARTITIONS)])
        read, quiet = 0, 0
        while quiet < 3:
            batch = await consumer.getmany(timeout_ms=300)
            quiet = 0 if batch else quiet + 1
            read += sum(len(records) for records in batch.values())
        return read
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()


async def _seek_to_beginning(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
    consumer.assign(partitions)
    await asyncio.sleep(0.1)  # the fetcher asks for the latest offsets first (on a busy machine it just happens)
    await consumer.seek_to_beginning(*partitions)


async def test_read_from_start_reads_every_record_when_the_latest_offsets_answer_last(proxied_broker: str) -> None:
    topic = await _topic_with_records(proxied_broker)
    assert await _read_all(proxied_broker, topic, read_from_start) == RECORDS


async def test_seek_to_beginning_after_assign_loses_that_race(proxied_broker: str) -> None:
    """The aiokafka behaviour read_from_start avoids (if a later aiokafka fixes it, this test says so)."""
    topic = await _topic_with_records(proxied_broker)
    assert await _read_all(proxied_broker, topic, _seek_to_beginning, reset="latest") < RECORDS


async def test_read_from_start_refuses_a_consumer_that_would_reset_to_the_end() -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:9", group_id=None)  # refused before any request
    with pytest.raises(ValueError, match="earliest"):
        await read_from_start(consumer, [TopicPartition("any", 0)])
