from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.events.base import EventPayload
from o2c_common.events.envelope import Event
from o2c_common.outbox.writer import add_to_outbox


@dataclass(frozen=True)
class Outbox:
    """What a service emits through: builds the CloudEvent and writes it in the caller's transaction.

    Write the outbox row after the aggregate's own row was updated (locked) in the same transaction,
    so that two transactions on one aggregate get outbox ids in their commit order.
    """

    source: str
    slots: int = 16

    async def emit(self, session: AsyncSession, payload: EventPayload, *, correlation_id: str | None = None) -> Event:
        if correlation_id is None:
            from o2c_common.observability.correlation import get_correlation_id

            correlation_id = get_correlation_id()
        event = Event.new(payload, source=self.source, correlation_id=correlation_id)
        await add_to_outbox(session, event, slots=self.slots)
        return event
