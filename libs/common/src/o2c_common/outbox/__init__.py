"""Transactional outbox: ``Tx.emit`` writes inside the service's transaction; the relay publishes."""

from o2c_common.outbox.relay import OutboxRelay
from o2c_common.outbox.writer import add_to_outbox, slot_for

__all__ = ["OutboxRelay", "add_to_outbox", "slot_for"]
