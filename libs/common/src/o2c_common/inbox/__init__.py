"""Idempotent consumer: inbox dedupe by event id, manual offsets after commit, dead-letter topic."""

from o2c_common.inbox.consumer import ConsumerStats, EventConsumer, Handler, Handlers

__all__ = ["ConsumerStats", "EventConsumer", "Handler", "Handlers"]
