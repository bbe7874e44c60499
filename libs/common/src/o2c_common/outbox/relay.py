"""Outbox relay: publishes committed outbox rows to Kafka, in order per aggregate, at least once.

Ordering with several replicas: every row carries a ``slot`` (hash of its key). A relay publishes
only the slots whose PostgreSQL advisory lock it holds, so one aggregate's rows are published by
one relay at a time, in id order. Relays register as members with another advisory lock and each
holds at most its fair share of slots; when a relay dies its connection closes, its locks are
released and the others take its slots over, starting again from the first unpublished row.

Quiet at rest: an insert into the outbox wakes the relay at once (LISTEN/NOTIFY, trigger of the plumbing
migration); the poll behind it, which catches a notification lost with a dropped connection, backs off from
``poll_interval`` to ``idle_poll_interval`` while the outbox stays empty.

A row is marked published only after the broker acknowledged it; if anything fails the relay drops
its connection and producer, backs off and starts again, so a row may be published twice (consumers
are idempotent) but never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from o2c_common.events.bundle import BUNDLE_HEADER, bundled_count, by_partition, partition_for, unpack

log = logging.getLogger(__name__)

MEMBER_LOCK_NS = 0x02C0
SLOT_LOCK_NS = 0x02C1
NOTIFY_CHANNEL = "o2c_outbox"

_COUNT_MEMBERS = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
# The relay's session plans without bitmap scans: the planner's count of unpublished rows is stale on a table where
# every row is inserted and marked within seconds, and it read each slot's unpublished rows by a bitmap scan to sort
# them (55 ms a fetch at a 45,000-row backlog) where the (slot, id) index gives them in order (3 ms).
RELAY_SESSION = {"enable_bitmapscan": "off"}


@functools.cache
def fetch_statement(owned: tuple[int, ...]) -> str:
    """The oldest ``$1`` unpublished rows of the ``owned`` slots in id order: each slot's ids in order by the
    (slot, id) index, merged and cut at ``$1``, so it reads about ``$1`` index entries whatever the slots hold; then
    their rows by primary key. Each slot's first ``$1`` ids sorted together read ``$1`` per slot (16,000 for 1,000:
    31 ms a fetch in the history run); every unpublished row of the slots sorted took 574 ms at a 370,000-row
    backlog (docs/performance.md). ``owned`` is not empty."""
    branches = " UNION ALL ".join(
        f"(SELECT id FROM outbox WHERE published_at IS NULL AND slot = {int(slot)} ORDER BY id)"  # noqa: S608 - ints
        for slot in owned)
    return ("SELECT id, topic, key, event_type, headers, payload FROM outbox "  # noqa: S608 - the branches above
            f"WHERE id = ANY(ARRAY(SELECT id FROM ({branches}) AS oldest ORDER BY id LIMIT $1)) ORDER BY id")


_MARK = "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])"
# The backlog as /metrics reports it, without reading every unpublished row (counting 150,000 of them took 400 ms of
# PostgreSQL a scrape, docs/performance.md): each slot's oldest unpublished row by the (slot, id) index, for the age;
# an exact count up to :counted; above that, the ids from the oldest unpublished row to the newest row (an upper bound).
_BACKLOG = """
WITH heads AS (
  SELECT o.id, o.created_at FROM generate_series(0, CAST(:slots AS int) - 1) AS owned(slot)
  CROSS JOIN LATERAL (SELECT id, created_at FROM outbox WHERE published_at IS NULL AND slot = owned.slot
                      ORDER BY id LIMIT 1) AS o
)
SELECT (SELECT count(*) FROM (SELECT FROM outbox WHERE published_at IS NULL LIMIT CAST(:counted AS int) + 1) AS c),
       (SELECT max(id) FROM outbox) - (SELECT min(id) FROM heads) + 1,
       EXTRACT(EPOCH FROM now() - (SELECT min(created_at) FROM heads))::float8
"""
BACKLOG_COUNTED = 10_000


class OutboxRelay:
    def __init__(
        self,
        *,
        dsn: str,
        producer_factory: Callable[[], AIOKafkaProducer],
        slots: int = 16,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        idle_poll_interval: float = 5.0,
        max_backoff: float = 10.0,
        rebalance_interval: float = 2.0,
        on_published: Callable[[str, str, int], None] | None = None,
        prepare: Callable[[], Awaitable[object]] | None = None,
        name: str = "relay",
    ) -> None:
        self._dsn = dsn
        self._producer_factory = producer_factory
        self._slots = slots
        self._batch_size = batch_size
        self.rows_per_fetch = batch_size
        """Rows a fetch asks for: about ``batch_size`` events, so fewer rows while the outbox holds bundles (a row
        may hold up to 250 events), by the events a row held in the fetch before."""
        self._poll_interval = poll_interval
        self._idle_poll_interval = max(poll_interval, idle_poll_interval)
        self.wait_s = poll_interval
        """How long the relay sleeps when the outbox has nothing for it (unless NOTIFY wakes it): the poll interval,
        doubled after each empty poll up to ``idle_poll_interval``; back to the poll interval once it publishes."""
        self._max_backoff = max_backoff
        self._rebalance_interval = rebalance_interval
        self._on_published = on_published
        self._prepare = prepare
        self.name = name
        self.owned: set[int] = set()
        self.connected = False
        self.published_total = 0
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._next_rebalance = 0.0

    async def run(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                await self._run_connected()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database down: back off and start again
                log.warning("outbox relay %s: %s: %s; retrying in %.1fs", self.name, type(exc).__name__, exc, backoff)
                self.connected = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, self._max_backoff)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def _run_connected(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn, server_settings=RELAY_SESSION)
        producer: AIOKafkaProducer | None = None
        self.owned = set()
        try:
            await conn.execute("SELECT pg_advisory_lock($1, pg_backend_pid())", MEMBER_LOCK_NS)
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
            if self._prepare is not None:  # e.g. (re)create topics after a broker restart
                await self._prepare()
            producer = self._producer_factory()
            await producer.start()
            self.connected = True
            self._next_rebalance = 0.0
            while not self._stopping.is_set():
                await self._rebalance(conn)
                self._wake.clear()
                asked = self.rows_per_fetch
                published = await self._publish_batch(conn, producer)
                self.wait_s = self._poll_interval if published else min(self.wait_s * 2, self._idle_poll_interval)
                if published < asked:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.wait_s)
        finally:
            self.connected = False
            self.owned = set()
            if producer is not None:
                with contextlib.suppress(Exception):
                    await producer.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)  # closing the session releases every advisory lock
            if not conn.is_closed():
                conn.terminate()

    async def _rebalance(self, conn: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now < self._next_rebalance:
            return
        self._next_rebalance = now + self._rebalance_interval
        members = max(1, int(await conn.fetchval(_COUNT_MEMBERS, MEMBER_LOCK_NS)))
        fair = math.ceil(self._slots / members)
        for slot in sorted(self.owned, reverse=True)[: max(0, len(self.owned) - fair)]:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", SLOT_LOCK_NS, slot)
            self.owned.discard(slot)
        for slot in range(self._slots):
            if len(self.owned) >= fair:
                break
            if slot not in self.owned and await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", SLOT_LOCK_NS, slot
            ):
                self.owned.add(slot)

    async def _publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        if not self.owned:
            return 0
        rows = await conn.fetch(fetch_statement(tuple(sorted(self.owned))), self.rows_per_fetch)
        if not rows:
            return 0
        futures = []
        events: Counter[tuple[str, str]] = Counter()
        for row in rows:
            pairs = json.loads(row["headers"])
            count = bundled_count(pairs)
            if count is None:
                headers = [(k, v.encode()) for k, v in pairs]
                futures.append(await producer.send(row["topic"], row["payload"], key=row["key"].encode(),
                                                   headers=headers))
            else:
                futures += await self._send_bundle(producer, row["topic"], pairs, row["payload"], count)
            events[row["topic"], row["event_type"]] += count or 1
        await asyncio.gather(*futures)
        await self._mark_published(conn, [row["id"] for row in rows])
        published = sum(events.values())
        self.published_total += published
        self.rows_per_fetch = max(1, min(self._batch_size, self._batch_size * len(rows) // published))
        if self._on_published is not None:
            for (topic, event_type), count in events.items():
                self._on_published(topic, event_type, count)
        return len(rows)

    @staticmethod
    async def _send_bundle(producer: AIOKafkaProducer, topic: str, row_headers: list[tuple[str, str]], value: bytes,
                           count: int) -> list[asyncio.Future[object]]:
        """A bundle row as one record a partition its members' keys go to: a bundle of that part (the row's
        headers, the part's count), or the plain event when it is one, so that each aggregate's events stay on its
        partition in order."""
        partitions = sorted(await producer.partitions_for(topic))
        futures = []
        for partition, part in by_partition(value, count, lambda key: partition_for(key, partitions)).items():
            key = part[0][0]
            if len(part) == 1:
                ((_, pairs, payload),) = unpack(part[0][1], 1)
                headers = [(k, v.encode()) for k, v in json.loads(pairs)]
            else:
                payload = b"".join(frames for _, frames in part)
                headers = [(k, (str(len(part)) if k == BUNDLE_HEADER else v).encode()) for k, v in row_headers]
            futures.append(await producer.send(topic, payload, key=key, headers=headers, partition=partition))
        return futures

    async def _mark_published(self, conn: asyncpg.Connection, ids: list[int]) -> None:
        """Only after every record of the batch was acknowledged by the broker."""
        await conn.execute(_MARK, ids)


async def outbox_backlog(conn: AsyncConnection, *, slots: int, counted: int = BACKLOG_COUNTED) -> tuple[int, float]:
    """Unpublished rows and the age in seconds of the oldest one (0 when empty). The rows are counted exactly up to
    ``counted``; beyond, the figure is the span of ids from the oldest unpublished row to the newest row, which is at
    least the backlog and grows with it."""
    exact, span, age = (await conn.execute(text(_BACKLOG), {"slots": slots, "counted": counted})).one()
    return (int(exact) if exact <= counted else int(span)), float(age or 0.0)
