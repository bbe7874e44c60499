"""The consumer's counters and its rebalance gate."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiokafka import ConsumerRebalanceListener, TopicPartition

log = logging.getLogger("o2c_common.inbox.consumer")


@dataclass
class ConsumerStats:
    processed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    ignored: int = 0
    """Records of a type this group has no handler for (skipped, counted in ``events_skipped_total``)."""
    refused: int = 0
    """Events refused (forged ``ce_source``) and dead-lettered."""
    others_replays: int = 0
    """Dead letters replayed for another group (skipped)."""
    lag: dict[tuple[str, int], int] = field(default_factory=dict)
    idle_periods: int = 0
    """Times the group went quiet and switched to the long fetch wait."""


class RebalanceGate(ConsumerRebalanceListener):
    """Makes a rebalance wait until the batch in hand is committed, and counts rebalances (``generation``) so that
    a batch fetched before one is not written after it."""

    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock
        self.generation = 0

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self._lock:
            self.generation += 1
            log.info("partitions revoked: %s", revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.generation += 1
        log.info("partitions assigned: %s", assigned)
