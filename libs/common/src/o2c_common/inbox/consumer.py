"""Idempotent event consumer.

For each fetched batch: one database transaction in which every record of every partition is recorded in the
``inbox`` table (one statement for the batch) together with its handler's effect; a batch handler
(``o2c_common.inbox.handlers.Batched``) gets all of the batch's events of its type in one call. If that transaction
fails, each partition is taken in a transaction of its own, and if that fails too its records are taken again one by
one, each under its own savepoint. Records already in the inbox are skipped, so redelivery and replay from offset 0
change nothing. A bundle record (``o2c_common.events.bundle``) is read as its member events, each with the bundle's
offset. The offsets are committed only after the transaction committed, and at most every
``offset_commit_interval_s`` (``offsets.OffsetCommits``: also when the group goes quiet, partitions are revoked or the
consumer stops); a new owner of a partition that reads records again skips them. The next fetch is decoded while one
is written; writes go one at a time in fetch order, and a fetch from before a rebalance is not written after it.
Where every event of a fetch has a gathering handler (``handlers.Gathered``), its rows are gathered and prepared then
too, and its write is the inbox claim and those rows, unless the claim finds an event claimed before: then the
handlers run again in the transaction for the events not yet taken.

Lanes: a group may have several readers of its fetches (``lanes``, ``o2c_common.inbox.lane``), each with its own
inbox name, transaction, retries and dead letters, so that projections of one service that read the same topics are
served by the broker and decoded once. A partition's offset is noted once every lane has written it. A lane named
otherwise than the group is taken to have been a group of its own: a partition the group has no offset for starts
where the slowest of those groups stopped.

Quiet at rest: while records flow the broker may hold a fetch ``fetch_max_wait_ms`` (short, for freshness);
after ``idle_after_s`` without records the wait becomes ``idle_fetch_max_wait_ms`` (a long poll), and the
first record back makes it short again.

A record that cannot be decoded goes to the dead-letter topic at once; a record whose handler fails
is retried ``max_attempts`` times with backoff and then dead-lettered. Dead-lettered ids are kept in
the inbox too, so a replay does not dead-letter them again. If the transaction itself fails (database
down) nothing is committed and the partition is rewound to the batch's first record.

A record whose ``ce_type`` this group has no handler for (another consumer's business, or a ``v2`` published
next to ``v1``) is skipped without decoding and counted (``events_skipped_total``), never dead-lettered. A record
replayed from a dead-letter topic for another group (header ``o2c_replay_group``) is skipped as well. An event
whose ``ce_source`` is not the producer the registry names for its type is refused: dead-lettered with reason
``forged_source`` (``events_refused_total``), its handler never runs. Every dead letter is also kept in the
``dead_letters`` table, in the same transaction as its inbox row, so losing the broker loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from o2c_common.events.bundle import unbundle
from o2c_common.inbox.decoding import Decoded, Memo
from o2c_common.inbox.handlers import Handlers, topics_of
from o2c_common.inbox.lane import Lane
from o2c_common.inbox.offsets import OffsetCommits, committed_by, take_over
from o2c_common.inbox.stats import ConsumerStats, RebalanceGate
from o2c_common.tx import Transactions

log = logging.getLogger(__name__)

LAG_UPDATE_INTERVAL_S = 1.0


class EventConsumer:
    def __init__(
        self,
        *,
        group_id: str,
        topics: list[str],
        handlers: Handlers | None = None,
        lanes: Sequence[tuple[str, Handlers]] = (),
        transactions: Transactions,
        bootstrap_servers: str,
        dlq_producer: AIOKafkaProducer,
        max_attempts: int = 5,
        retry_backoff: float = 0.2,
        batch_size: int = 500,
        fetch_max_wait_ms: int = 50,
        idle_fetch_max_wait_ms: int = 1000,
        idle_after_s: float = 1.0,
        session_timeout_ms: int = 10_000,
        offset_commit_interval_s: float = 0.5,
        on_dead_letter: Callable[[str], None] | None = None,
        on_consumed: Callable[[str, str, int], None] | None = None,
        on_skipped: Callable[[str, str, int], None] | None = None,
        on_refused: Callable[[str, str], None] | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.group_id = group_id
        self._client_options = dict(client_options or {})  # o2c_common.kafka.security_options
        self.topics = topics
        named = [*([(group_id, handlers)] if handlers is not None else []), *lanes]
        if not named or len({name for name, _ in named}) != len(named):
            raise ValueError(f"consumer {group_id}: handlers or lanes, each lane named once")
        self.lanes = [Lane(name=name, handlers=lane_handlers, transactions=transactions, dlq_producer=dlq_producer,
                           max_attempts=max_attempts, retry_backoff=retry_backoff, on_dead_letter=on_dead_letter,
                           on_consumed=on_consumed, on_skipped=on_skipped, on_refused=on_refused)
                      for name, lane_handlers in named]
        """The readers of each fetch, in this order; the first one's counters are :attr:`stats`."""
        self._handled = frozenset().union(*(lane.types for lane in self.lanes))
        self._current_only = frozenset.intersection(*(lane.current_only | (self._handled - lane.types)
                                                      for lane in self.lanes))
        """Types whose imported history no lane reads: a bundle of it is skipped unopened."""
        self._bootstrap = bootstrap_servers
        self._batch_size = batch_size
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._idle_fetch_max_wait_ms = max(fetch_max_wait_ms, idle_fetch_max_wait_ms)
        self._idle_after_s = idle_after_s
        self._session_timeout_ms = session_timeout_ms
        self._offsets = OffsetCommits(offset_commit_interval_s)
        self.fetch_wait_ms = fetch_max_wait_ms
        """The fetch wait in force: short while records flow, ``idle_fetch_max_wait_ms`` after ``idle_after_s``
        without any (a long poll, so an idle group costs the broker a fetch or two a second, not forty)."""
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.running = False
        self._next_lag_update = 0.0

    @property
    def stats(self) -> ConsumerStats:
        """The first lane's counters, and the group's lag and idle periods."""
        return self.lanes[0].stats

    def stop(self) -> None:
        self._stopping.set()

    def _opened(self, ce_type: str, history: bool) -> bool:
        """Whether a bundle of ``ce_type`` is any lane's business (``unbundle``): else it is skipped unopened."""
        return ce_type in self._handled and not (history and ce_type in self._current_only)

    def use_dlq_producer(self, producer: AIOKafkaProducer) -> None:
        """The producer dead letters go through (replaced while the broker is still unreachable at start-up)."""
        for lane in self.lanes:
            lane.dlq = producer

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            try:
                await self._run_connected()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s: %s: %s; retrying in %.1fs", self.group_id, type(exc).__name__, exc, backoff)
                self.running = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, 10.0)

    async def _run_connected(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._batch_size,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=max(100, self._session_timeout_ms // 4),
            client_id=self.group_id,
            **self._client_options,
        )
        self._offsets.forget()
        start = await self._where_lanes_stopped()
        gate = RebalanceGate(self._lock, on_revoked=lambda revoked: self._offsets.commit(consumer, revoked),
                             on_assigned=lambda assigned: self._start_at(consumer, assigned, start))
        consumer.subscribe(self.topics, listener=gate)
        await consumer.start()
        self._consumer = consumer
        self.running = True
        self.fetch_wait_ms = self._fetch_max_wait_ms
        last_records = time.monotonic()
        writing: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                fetched = {tp: unbundle(records, self._opened) for tp, records in
                           (await consumer.getmany(timeout_ms=200, max_records=self._batch_size)).items() if records}
                if not fetched:
                    if writing is not None:
                        pending, writing = writing, None  # awaited here, so not again when the loop ends
                        await pending
                        last_records = time.monotonic()  # idle counts from the end of the work
                    await self._offsets.commit(consumer)  # quiet: what is written is committed now
                    if time.monotonic() - last_records >= self._idle_after_s:
                        self._set_fetch_wait(consumer, self._idle_fetch_max_wait_ms)
                else:
                    self._set_fetch_wait(consumer, self._fetch_max_wait_ms)
                    generation = gate.generation
                    # Decoding is the process's own CPU and the write in flight mostly waits for the database: the
                    # one overlaps the other. Writes stay one at a time, in fetch order.
                    decoded = await self._decode([r for records in fetched.values() for r in records])
                    if writing is not None:
                        pending, writing = writing, None
                        await pending
                    writing = asyncio.create_task(self._write_fetch(consumer, fetched, decoded, gate, generation))
                    last_records = time.monotonic()
                await self._update_lag(consumer)
        finally:
            self.running = False
            self._consumer = None
            await self._wind_down(consumer, writing, commit=self._stopping.is_set())
            with contextlib.suppress(Exception):
                await consumer.stop()

    async def _wind_down(self, consumer: AIOKafkaConsumer, writing: asyncio.Task[None] | None, *,
                         commit: bool) -> None:
        """The fetch in flight when the loop ends is written out, and on a stop (``commit``, not a broker error that
        a new client recovers from) the written offsets committed, before the client stops."""
        try:
            if writing is not None:
                await writing
            if commit:
                await self._offsets.commit(consumer)
        except (Exception, asyncio.CancelledError) as exc:
            log.warning("consumer %s: the batch in flight at stop was not written or its offsets not committed: %s",
                        self.group_id, exc)

    async def _write_fetch(self, consumer: AIOKafkaConsumer, fetched: dict[TopicPartition, list[ConsumerRecord]],
                           decoded: list[Decoded | None], gate: RebalanceGate, generation: int) -> None:
        async with self._lock:
            if gate.generation != generation:
                # Partitions moved since the fetch; the client fetches its partitions again from the committed offsets.
                log.info("consumer %s: a fetch from before a rebalance left for the new assignment", self.group_id)
                return
            await self._process_fetch(consumer, fetched, decoded)

    def _set_fetch_wait(self, consumer: AIOKafkaConsumer, wait_ms: int) -> None:
        """aiokafka reads its fetcher's wait for every fetch request it builds; it has no public setter. With another
        aiokafka that has no such attribute the wait stays as configured."""
        fetcher = getattr(consumer, "_fetcher", None)
        if wait_ms == self.fetch_wait_ms or not hasattr(fetcher, "_fetch_max_wait_ms"):
            return
        fetcher._fetch_max_wait_ms = wait_ms  # type: ignore[union-attr]
        if wait_ms > self.fetch_wait_ms:
            self.stats.idle_periods += 1
        self.fetch_wait_ms = wait_ms

    async def _decode(self, records: list[ConsumerRecord]) -> list[Decoded | None]:
        memo: Memo = {}
        return [await lane.decode(records, memo) for lane in self.lanes]

    async def _process_fetch(self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]],
                             decoded: list[Decoded | None]) -> None:
        """Each lane writes the whole fetch in one transaction (one commit) when that works; a lane for which it does
        not takes each partition on its own (:meth:`Lane.write_partition`). The offsets are noted for the next
        offset commit once every lane has written."""
        failed = [lane for lane, mine in zip(self.lanes, decoded, strict=True)
                  if mine is None or not await lane.write(mine)]
        for tp, records in batch.items() if failed else ():
            try:
                memo: Memo = {}
                for lane in failed:  # one partition: it just failed as a whole
                    await lane.write_partition(records, await lane.decode(records, memo) if len(batch) > 1 else None)
            except Exception:
                consumer.seek(tp, records[0].offset)  # nothing of this partition committed by the lane: take it again
                raise
        # The effect is committed; if the offset commit fails the batch comes again and the inbox skips it.
        await self._written(consumer, {tp: records[-1].offset + 1 for tp, records in batch.items()})

    async def _written(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        self._offsets.written(offsets)
        if self._offsets.due:
            await self._offsets.commit(consumer)

    async def _where_lanes_stopped(self) -> dict[TopicPartition, int]:
        """Lanes named otherwise than the group were groups of their own before they shared its fetches: a partition
        the group has no offset for starts where the slowest of them stopped (``offsets.take_over``). Read before the
        group is joined, so that no fetch from the first offset is under way when the partitions are assigned."""
        readers = {lane.name: frozenset(set(self.topics) & set(topics_of(lane.handlers)) or self.topics)
                   for lane in self.lanes if lane.name != self.group_id}  # topics not of its types: a test's
        if not readers:
            return {}
        own = (await committed_by(self._bootstrap, [self.group_id], self.topics, self._client_options))[self.group_id]
        fresh = [tp for tp, offset in own.items() if offset is None]
        if not fresh:  # the usual start: the group has its own offsets, the former groups are not asked
            return {}
        former = await committed_by(self._bootstrap, readers, self.topics, self._client_options)
        return take_over(fresh, readers, former)

    def _start_at(self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition],
                  start: dict[TopicPartition, int]) -> None:
        for tp in assigned:
            if tp in start:
                offset = start.pop(tp)
                consumer.seek(tp, offset)
                log.info("consumer %s: %s starts at %d, where its lanes' groups stopped", self.group_id, tp, offset)

    async def _update_lag(self, consumer: AIOKafkaConsumer) -> None:
        """At most once a second: the poll loop turns every 25 ms when idle, lag is read by metric scrapes."""
        now = time.monotonic()
        if now < self._next_lag_update:
            return
        self._next_lag_update = now + LAG_UPDATE_INTERVAL_S
        for tp in consumer.assignment():
            highwater = consumer.highwater(tp)
            if highwater is not None:
                self.stats.lag[(tp.topic, tp.partition)] = max(0, highwater - await consumer.position(tp))
