"""A consumer's offsets of written fetches, committed to the broker at most every ``interval_s``, and when the group
goes quiet, partitions are revoked or the consumer stops, instead of after every write: a commit costs the broker
about half as much CPU as a fetch (docs/performance.md). Committing later is safe: what a new owner of a partition
reads again from an older offset the inbox already holds, and skips."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from typing import Any

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


async def committed_by(bootstrap_servers: str, groups: Collection[str], topics: Collection[str],
                       client_options: dict[str, Any] | None = None) -> dict[str, dict[TopicPartition, int | None]]:
    """The offset each of ``groups`` committed for each partition of ``topics`` (None where it never did). Read
    with a client of each group that does not join it (OffsetFetch; Tansu 0.6 answers the admin client's form of it
    with a frame aiokafka cannot read)."""
    found: dict[str, dict[TopicPartition, int | None]] = {}
    for group in groups:
        probe = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False,
                                 **(client_options or {}))
        await probe.start()
        try:
            await probe.topics()  # the partitions of every topic
            partitions = [TopicPartition(t, p) for t in topics for p in sorted(probe.partitions_for_topic(t) or ())]
            offsets = {tp: await probe.committed(tp) for tp in partitions}
        finally:
            await probe.stop()
        found[group] = {tp: offset if offset is not None and offset >= 0 else None for tp, offset in offsets.items()}
    return found


def take_over(partitions: Collection[TopicPartition], readers: dict[str, frozenset[str]],
              committed: dict[str, dict[TopicPartition, int | None]]) -> dict[TopicPartition, int]:
    """Where a group that replaces others (``readers``: each former group and the topics it read) starts the
    partitions it has no offset for: the lowest offset its former readers of that topic committed, so that none of
    them misses a record (what one of them had read already its inbox skips). A partition one of those readers never
    committed for is not in the answer: it starts at the earliest offset."""
    start: dict[TopicPartition, int] = {}
    for tp in partitions:
        offsets = [committed.get(group, {}).get(tp) for group, topics in readers.items() if tp.topic in topics]
        if offsets and all(offset is not None for offset in offsets):
            start[tp] = min(offset for offset in offsets if offset is not None)
    return start
