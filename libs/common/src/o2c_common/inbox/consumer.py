"""Idempotent event consumer.

For each fetched batch: one database transaction in which every record of every partition is recorded in the
``inbox`` table (one statement for the batch) together with its handler's effect; a batch handler
(``o2c_common.inbox.handlers.Batched``) gets all of the batch's events of its type in one call. If that transaction
fails, each partition is taken in a transaction of its own, and if that fails too its records are taken again one by
one, each under its own savepoint. Records already in the inbox are skipped, so redelivery and replay from offset 0
change nothing. The offsets are committed only after the transaction committed, and at most every
``offset_commit_interval_s`` (``offsets.OffsetCommits``: also when the group goes quiet, partitions are revoked or the
consumer stops); a new owner of a partition that reads records again skips them. The next fetch is decoded while one
is written; writes go one at a time in fetch order, and a fetch from before a rebalance is not written after it.
Where every event of a fetch has a gathering handler (``handlers.Gathered``), its rows are gathered and prepared then
too, and its write is the inbox claim and those rows, unless the claim finds an event claimed before: then the
handlers run again in the transaction for the events not yet taken.

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
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.plumbing import dead_letters_table
from o2c_common.events.envelope import Event, EventDecodeError
from o2c_common.inbox.claims import claim, claim_many
from o2c_common.inbox.decoding import Decoded, decode
from o2c_common.inbox.handlers import AnyHandler, Handlers, handle_in_order, handle_one
from o2c_common.inbox.offsets import OffsetCommits
from o2c_common.inbox.records import REPLAY_HEADERS, b64, fallback_id, from_its_producer, routing, type_of
from o2c_common.inbox.stats import ConsumerStats, RebalanceGate
from o2c_common.kafka.client import DLQ_HEADERS, dead_letter_topic
from o2c_common.tx import Transactions, Tx, system_actor

log = logging.getLogger(__name__)

LAG_UPDATE_INTERVAL_S = 1.0


class EventConsumer:
    def __init__(
        self,
        *,
        group_id: str,
        topics: list[str],
        handlers: Handlers,
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
        self._handlers = dict(handlers)
        self._types = frozenset(model.ce_type() for model in self._handlers)
        self._transactions = transactions
        self._actor = system_actor(group_id)
        self._bootstrap = bootstrap_servers
        self._dlq = dlq_producer
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._batch_size = batch_size
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._idle_fetch_max_wait_ms = max(fetch_max_wait_ms, idle_fetch_max_wait_ms)
        self._idle_after_s = idle_after_s
        self._session_timeout_ms = session_timeout_ms
        self._offsets = OffsetCommits(offset_commit_interval_s)
        self.fetch_wait_ms = fetch_max_wait_ms
        """The fetch wait in force: short while records flow, ``idle_fetch_max_wait_ms`` after ``idle_after_s``
        without any (a long poll, so an idle group costs the broker a fetch or two a second, not forty)."""
        self._on_dead_letter = on_dead_letter
        self._on_consumed = on_consumed
        self._on_skipped = on_skipped
        self._on_refused = on_refused
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.running = False
        self.stats = ConsumerStats()
        self._next_lag_update = 0.0

    def stop(self) -> None:
        self._stopping.set()

    def use_dlq_producer(self, producer: AIOKafkaProducer) -> None:
        """The producer dead letters go through (replaced while the broker is still unreachable at start-up)."""
        self._dlq = producer

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
        gate = RebalanceGate(self._lock, on_revoked=lambda revoked: self._offsets.commit(consumer, revoked))
        consumer.subscribe(self.topics, listener=gate)
        await consumer.start()
        self._consumer = consumer
        self.running = True
        self.fetch_wait_ms = self._fetch_max_wait_ms
        last_records = time.monotonic()
        writing: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set():
                fetched = {tp: records for tp, records in
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
                           decoded: Decoded | None, gate: RebalanceGate, generation: int) -> None:
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

    async def _process_fetch(self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]],
                             decoded: Decoded | None) -> None:
        """Every partition of a fetch in one transaction (one commit, its offsets noted for the next offset commit) when
        that works; else each partition on its own, as :meth:`_process_partition` takes it."""
        if decoded is not None and await self._write(decoded):
            await self._written(consumer, {tp: records[-1].offset + 1 for tp, records in batch.items()})
            return
        for tp, records in batch.items():
            again = await self._decode(records) if len(batch) > 1 else None  # one partition: it just failed
            await self._process_partition(consumer, tp, records, again)

    async def _process_partition(self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord],
                                 decoded: Decoded | None) -> None:
        """The partition's batch in one transaction if ``decoded`` writes, else record by record."""
        try:
            if decoded is None or not await self._write(decoded):
                async with self._transactions.begin(self._actor) as tx:
                    for record in records:
                        await self._process_record(tx, record)
        except Exception:
            consumer.seek(tp, records[0].offset)  # nothing of this batch committed: take it again
            raise
        # The effect is committed; if the offset commit fails the batch comes again and the inbox skips it.
        await self._written(consumer, {tp: records[-1].offset + 1})

    async def _written(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        self._offsets.written(offsets)
        if self._offsets.due:
            await self._offsets.commit(consumer)

    async def _decode(self, records: list[ConsumerRecord]) -> Decoded | None:
        return await decode(records, self._handlers, self._skip_reason)

    async def _write(self, decoded: Decoded) -> bool:
        """The decoded batch in one transaction with one inbox insert; False (nothing written) if any handler fails,
        so that the careful path deals with it record by record."""
        stats = ConsumerStats()
        try:
            async with self._transactions.begin(self._actor) as tx:
                taken = await claim_many(tx.session, self.group_id, [(r, e) for r, e, _ in decoded.work])
                gathered, decoded.gathered = decoded.gathered, None
                if gathered is not None and not taken:  # no event twice in it, none claimed before: rows as gathered
                    tx.adopt(gathered)
                    stats.processed += len(decoded.work)
                else:
                    todo: list[tuple[Event, AnyHandler]] = []
                    for _, event, handler in decoded.work:
                        if event.id in taken:  # before, or earlier in this batch: handled once
                            stats.duplicates += 1
                            continue
                        taken.add(event.id)
                        todo.append((event, handler))
                    await handle_in_order(tx, todo)
                    stats.processed += len(todo)
        except Exception as exc:
            log.info("consumer %s: batch fell back to record-by-record: %s", self.group_id, exc)
            return False
        self.stats.processed += stats.processed
        self.stats.duplicates += stats.duplicates
        for (reason, ce_type), n in Counter(decoded.skipped).items():  # metric labels once a fetch, not once a record
            self._note_skip(reason, ce_type, n)
        if self._on_consumed is not None:
            for topic, n in Counter(record.topic for record in decoded.records).items():
                self._on_consumed(topic, self.group_id, n)
        return True

    def _skip_reason(self, target: str | None, ce_type: str | None) -> str | None:
        """Why this group leaves a record alone without decoding it, or None if it is this group's business."""
        if target is not None and target != self.group_id:
            return "replayed_for_another_group"
        if ce_type is not None and ce_type not in self._types:
            return "no_handler"
        return None

    def _note_skip(self, reason: str, ce_type: str | None, n: int = 1) -> None:
        if reason == "replayed_for_another_group":
            self.stats.others_replays += n
        elif reason == "no_handler":
            self.stats.ignored += n
            if self._on_skipped is not None:
                self._on_skipped(self.group_id, ce_type or "", n)

    def _count_skip(self, record: ConsumerRecord) -> bool:
        target, ce_type, _ = routing(record)
        reason = self._skip_reason(target, ce_type)
        if reason is not None:
            self._note_skip(reason, ce_type)
        return reason is not None

    async def _process_record(self, tx: Tx, record: ConsumerRecord) -> None:
        session = tx.session
        if self._on_consumed is not None:
            self._on_consumed(record.topic, self.group_id, 1)
        if self._count_skip(record):  # not this group's business: no effect, nothing to remember
            return
        try:
            event = Event.from_kafka(record.key, record.value, record.headers)
        except EventDecodeError as exc:
            await self._dead_letter(session, record, fallback_id(record), "undecodable", str(exc))
            return
        handler = self._handlers.get(type(event.data))
        if handler is None:  # the ce_type header named a handled type, the payload another: not ours
            self.stats.ignored += 1
            return
        if not from_its_producer(event):
            expected = type(event.data).expected_source()
            await self._dead_letter(session, record, event.id, "forged_source",
                                    f"ce_source {event.source!r} is not {expected!r}, the producer of {event.type}",
                                    event=event)
            self.stats.refused += 1
            if self._on_refused is not None:
                self._on_refused(self.group_id, "forged_source")
            return
        error = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with session.begin_nested():
                    if not await claim(session, self.group_id, event, record, "processed"):
                        self.stats.duplicates += 1
                        return
                    await handle_one(tx, event, handler)
                    await tx.flush_batches()  # this record's batched rows belong in its savepoint
                self.stats.processed += 1
                return
            except Exception as exc:  # the handler's effect is rolled back with its savepoint
                tx.batches.clear()  # and so are the rows it gathered for a later write
                error = "".join(traceback.format_exception_only(exc)).strip()
                log.warning("consumer %s: %s attempt %d/%d failed: %s",
                            self.group_id, event.id, attempt, self._max_attempts, error)
                if attempt < self._max_attempts:
                    await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 1))
        await self._dead_letter(session, record, event.id, "handler_failed", error, event=event)

    async def _dead_letter(self, session: AsyncSession, record: ConsumerRecord, event_id: uuid.UUID, reason: str,
                           error: str, *, event: Event | None = None) -> None:
        original = [(k, v) for k, v in record.headers or () if k not in DLQ_HEADERS and k not in REPLAY_HEADERS]
        async with session.begin_nested():
            if not await claim(session, self.group_id, event or event_id, record, "dead_lettered"):
                self.stats.duplicates += 1
                return
            await session.execute(insert(dead_letters_table).values(
                consumer=self.group_id, event_id=event_id, event_type=event.type if event else type_of(record),
                reason=reason, error=error.replace("\x00", "\\x00"), topic=record.topic,
                partition=record.partition, offset=record.offset,
                key=record.key, value=record.value, headers=[[k, b64(v)] for k, v in original],
            ))
        headers = [
            *original,
            ("dlq_reason", reason.encode()),
            ("dlq_error", error[:4000].encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_origin", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        await self._dlq.send_and_wait(dead_letter_topic(self.group_id), record.value, key=record.key, headers=headers)
        self.stats.dead_lettered += 1
        if self._on_dead_letter is not None:
            self._on_dead_letter(self.group_id)
        log.error("consumer %s dead-lettered %s/%d/%d: %s: %s",
                  self.group_id, record.topic, record.partition, record.offset, reason, error)

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
