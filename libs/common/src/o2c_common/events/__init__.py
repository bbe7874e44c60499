"""Event contracts: the CloudEvents envelope, payload models for every event type and their registry."""

from o2c_common.events import contracts as _contracts  # noqa: F401  (registers every payload model)
from o2c_common.events.base import REGISTRY, TOPICS, EventPayload, event
from o2c_common.events.envelope import Event, EventDecodeError
from o2c_common.events.types import Amount, Currency

__all__ = ["REGISTRY", "TOPICS", "Amount", "Currency", "Event", "EventDecodeError", "EventPayload", "event"]
