"""Transactional outbox: the writer runs inside the service's transaction; the relay publishes."""

from o2c_common.outbox.emit import Outbox
from o2c_common.outbox.relay import OutboxRelay
from o2c_common.outbox.writer import add_to_outbox, slot_for

__all__ = ["Outbox", "OutboxRelay", "add_to_outbox", "slot_for"]
