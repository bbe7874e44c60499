"""Idempotent consumer: inbox dedupe by event id, manual offsets after commit, dead-letter topic."""

from o2c_common.inbox.consumer import EventConsumer
from o2c_common.inbox.handlers import Batched, BatchHandler, Gathered, GatheringHandler, Handler, Handlers, topics_of
from o2c_common.inbox.stats import ConsumerStats

__all__ = [
    "BatchHandler", "Batched", "ConsumerStats", "EventConsumer", "Gathered", "GatheringHandler", "Handler", "Handlers",
    "topics_of",
]
