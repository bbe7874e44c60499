"""One reader of a consumer's fetches: its name (the inbox's ``consumer``, its dead letters, its audit actor), its
handlers and its counters. A consumer group has one lane, or several (``EventConsumer(lanes=...)``) that read the same
fetches, each writing its events in a transaction of its own with its own inbox rows, retries and dead letters: one
fetch from the broker and one decoding for what would otherwise be a group each.

Fast path: a fetch's events in one transaction with one inbox insert (:meth:`Lane.write`). When that fails, the
careful path takes a partition's records one by one, each under its own savepoint (:meth:`Lane.write_partition`).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.db.plumbing import dead_letters_table
from o2c_common.events.envelope import Event, EventDecodeError
from o2c_common.inbox.claims import claim, claim_many
from o2c_common.inbox.decoding import Decoded, Memo, decode
from o2c_common.inbox.handlers import AnyHandler, Batched, Handlers, handle_in_order, handle_one
from o2c_common.inbox.records import REPLAY_HEADERS, b64, fallback_id, forgery, routing, type_of
from o2c_common.inbox.stats import ConsumerStats
from o2c_common.kafka.client import DLQ_HEADERS, dead_letter_topic
from o2c_common.tx import Transactions, Tx, system_actor

log = logging.getLogger("o2c_common.inbox.consumer")


class Lane:
    def __init__(self, *, name: str, handlers: Handlers, transactions: Transactions, dlq_producer: AIOKafkaProducer,
                 max_attempts: int, retry_backoff: float,
                 on_dead_letter: Callable[[str], None] | None = None,
                 on_consumed: Callable[[str, str, int], None] | None = None,
                 on_skipped: Callable[[str, str, int], None] | None = None,
                 on_refused: Callable[[str, str], None] | None = None) -> None:
        self.name = name
        self.handlers = dict(handlers)
        self.types = frozenset(model.ce_type() for model in self.handlers)
        self.current_only = frozenset(model.ce_type() for model, handler in self.handlers.items()
                                      if isinstance(handler, Batched) and not handler.history)
        """Types whose handler acts on today's work only: their imported history is skipped unread."""
        self._transactions = transactions
        self._actor = system_actor(name)
        self.dlq = dlq_producer
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._on_dead_letter = on_dead_letter
        self._on_consumed = on_consumed
        self._on_skipped = on_skipped
        self._on_refused = on_refused
        self.stats = ConsumerStats()

    async def decode(self, records: list[ConsumerRecord], memo: Memo | None = None) -> Decoded | None:
        return await decode(records, self.handlers, self.skip_reason, memo)

    async def write(self, decoded: Decoded) -> bool:
        """The decoded fetch in one transaction with one inbox insert; False (nothing written) if any handler fails,
        so that the careful path deals with it record by record."""
        stats = ConsumerStats()
        try:
            async with self._transactions.begin(self._actor) as tx:
                taken = await claim_many(tx.session, self.name, [(r, e) for r, e, _ in decoded.work])
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
            log.info("consumer %s: batch fell back to record-by-record: %s", self.name, exc)
            return False
        self.stats.processed += stats.processed
        self.stats.duplicates += stats.duplicates
        for (reason, ce_type), n in Counter(decoded.skipped).items():  # metric labels once a fetch, not once a record
            self._note_skip(reason, ce_type, n)
        if self._on_consumed is not None:
            for topic, n in Counter(record.topic for record in decoded.records).items():
                self._on_consumed(topic, self.name, n)
        return True

    async def write_partition(self, records: list[ConsumerRecord], decoded: Decoded | None) -> None:
        """A partition's records in one transaction if ``decoded`` writes, else record by record in one transaction;
        raises if the database fails (nothing of it committed)."""
        if decoded is None or not await self.write(decoded):
            async with self._transactions.begin(self._actor) as tx:
                for record in records:
                    await self._process_record(tx, record)

    def skip_reason(self, target: str | None, ce_type: str | None, history: bool = False) -> str | None:
        """Why this lane leaves a record alone without decoding it, or None if it is this lane's business."""
        if target is not None and target != self.name:
            return "replayed_for_another_group"
        if ce_type is not None and ce_type not in self.types:
            return "no_handler"
        if history and target is None and ce_type in self.current_only:
            return "imported_history"  # a replay for this group is read: its dead-lettered inbox row is settled
        return None

    def _note_skip(self, reason: str, ce_type: str | None, n: int = 1) -> None:
        if reason == "replayed_for_another_group":
            self.stats.others_replays += n
        elif reason in ("no_handler", "imported_history"):
            self.stats.ignored += n
            if self._on_skipped is not None:
                self._on_skipped(self.name, ce_type or "", n)

    def _count_skip(self, record: ConsumerRecord) -> bool:
        target, ce_type, _, history = routing(record)
        reason = self.skip_reason(target, ce_type, history)
        if reason is not None:
            self._note_skip(reason, ce_type)
        return reason is not None

    async def _process_record(self, tx: Tx, record: ConsumerRecord) -> None:
        session = tx.session
        if self._on_consumed is not None:
            self._on_consumed(record.topic, self.name, 1)
        if self._count_skip(record):  # not this lane's business: no effect, nothing to remember
            return
        try:
            event = Event.from_kafka(record.key, record.value, record.headers)
        except EventDecodeError as exc:
            await self._dead_letter(session, record, fallback_id(record), "undecodable", str(exc))
            return
        handler = self.handlers.get(type(event.data))
        if handler is None:  # the ce_type header named a handled type, the payload another: not ours
            self.stats.ignored += 1
            return
        if (forged := forgery(event, record.topic)) is not None:
            await self._dead_letter(session, record, event.id, "forged_source", forged, event=event)
            self.stats.refused += 1
            if self._on_refused is not None:
                self._on_refused(self.name, "forged_source")
            return
        if event.type in self.current_only and event.data.imported_history():
            await self._settle_unread(session, record, event)
            return
        await self._handle_with_retries(tx, record, event, handler)

    async def _settle_unread(self, session: AsyncSession, record: ConsumerRecord, event: Event[Any]) -> None:
        """Imported history replayed for a lane that acts on today's work only (dead-lettered before its handler
        was so registered): its inbox row is settled as processed, the handler not called, as for the original."""
        async with session.begin_nested():
            if not await claim(session, self.name, event, record, "processed"):
                self.stats.duplicates += 1
                return
        self._note_skip("imported_history", event.type)

    async def _handle_with_retries(self, tx: Tx, record: ConsumerRecord, event: Event[Any],
                                   handler: AnyHandler) -> None:
        session, error = tx.session, ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with session.begin_nested():
                    if not await claim(session, self.name, event, record, "processed"):
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
                            self.name, event.id, attempt, self._max_attempts, error)
                if attempt < self._max_attempts:
                    await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 1))
        await self._dead_letter(session, record, event.id, "handler_failed", error, event=event)

    async def _dead_letter(self, session: AsyncSession, record: ConsumerRecord, event_id: uuid.UUID, reason: str,
                           error: str, *, event: Event | None = None) -> None:
        original = [(k, v) for k, v in record.headers or () if k not in DLQ_HEADERS and k not in REPLAY_HEADERS]
        async with session.begin_nested():
            if not await claim(session, self.name, event or event_id, record, "dead_lettered"):
                self.stats.duplicates += 1
                return
            await session.execute(insert(dead_letters_table).values(
                consumer=self.name, event_id=event_id, event_type=event.type if event else type_of(record),
                reason=reason, error=error.replace("\x00", "\\x00"), topic=record.topic,
                partition=record.partition, offset=record.offset,
                key=record.key, value=record.value, headers=[[k, b64(v)] for k, v in original],
            ))
        headers = [
            *original,
            ("dlq_reason", reason.encode()),
            ("dlq_error", error[:4000].encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_origin", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        await self.dlq.send_and_wait(dead_letter_topic(self.name), record.value, key=record.key, headers=headers)
        self.stats.dead_lettered += 1
        if self._on_dead_letter is not None:
            self._on_dead_letter(self.name)
        log.error("consumer %s dead-lettered %s/%d/%d: %s: %s",
                  self.name, record.topic, record.partition, record.offset, reason, error)
