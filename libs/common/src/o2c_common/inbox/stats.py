"""The consumer's counters and its rebalance gate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import ConsumerRebalanceListener, TopicPartition

log = logging.getLogger("o2c_common.inbox.consumer")


@dataclass
class ConsumerStats:
    processed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    ignored: int = 0
    """Records of a type this group has no handler for, or imported history its handler of the type skips (unread,
    counted in ``events_skipped_total``)."""
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

    def __init__(self, lock: asyncio.Lock,
                 on_revoked: Callable[[list[TopicPartition]], Awaitable[None]] | None = None,
                 on_assigned: Callable[[list[TopicPartition]], None] | None = None) -> None:
        self._lock = lock
        self._on_revoked = on_revoked
        self._on_assigned = on_assigned
        self.generation = 0

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self._lock:
            self.generation += 1
            log.info("partitions revoked: %s", revoked)
            if self._on_revoked is not None and revoked:
                try:  # their written offsets, so that the new owner does not read them again
                    await self._on_revoked(revoked)
                except Exception as exc:  # it reads them again, and its inbox skips them
                    log.warning("offsets of revoked partitions not committed: %s: %s", type(exc).__name__, exc)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.generation += 1
        log.info("partitions assigned: %s", assigned)
        if self._on_assigned is not None and assigned:
            self._on_assigned(assigned)  # at once: the fetcher starts on the new assignment meanwhile
