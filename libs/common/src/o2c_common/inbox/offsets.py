"""A consumer's offsets of written fetches, committed to the broker at most every ``interval_s``, and when the group
goes quiet, partitions are revoked or the consumer stops, instead of after every write: a commit costs the broker
about half as much CPU as a fetch (docs/performance.md). Committing later is safe: what a new owner of a partition
reads again from an older offset the inbox already holds, and skips."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection

from aiokafka import AIOKafkaConsumer, TopicPartition

COMMIT_TIMEOUT_S = 15.0
"""Bounded, because aiokafka retries some commit errors forever; a new consumer starts afresh."""


class OffsetCommits:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._pending: dict[TopicPartition, int] = {}
        self._last = time.monotonic()

    def written(self, offsets: dict[TopicPartition, int]) -> None:
        """The next offsets of partitions whose records are written (their transaction committed)."""
        self._pending.update(offsets)

    @property
    def due(self) -> bool:
        return bool(self._pending) and time.monotonic() - self._last >= self.interval_s

    async def commit(self, consumer: AIOKafkaConsumer, only: Collection[TopicPartition] | None = None) -> None:
        """Commits the pending offsets (of the partitions ``only``, if given)."""
        offsets = {tp: offset for tp, offset in self._pending.items() if only is None or tp in only}
        if not offsets:
            return
        await asyncio.wait_for(consumer.commit(offsets), COMMIT_TIMEOUT_S)
        for tp, offset in offsets.items():
            if self._pending.get(tp) == offset:
                del self._pending[tp]
        self._last = time.monotonic()

    def forget(self) -> None:
        """A new client starts from the broker's committed offsets; the inbox skips what it reads again."""
        self._pending.clear()
