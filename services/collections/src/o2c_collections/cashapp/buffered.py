"""A unit of work whose events and audit entries are written together, each kind in one multi-row statement, when
the work is done (:func:`buffering`): a write request that emits three events and two audit entries sends two
statements for them instead of five. Order is kept (outbox ids and audit ids follow the calls), and the rows are in
the same transaction, written before it commits, exactly as :meth:`Tx.emit` / :meth:`Tx.audit` would write them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from o2c_collections.cashapp import repository
from o2c_common.audit.jsonable import to_json_safe
from o2c_common.events.envelope import Event
from o2c_common.observability.correlation import get_correlation_id
from o2c_common.outbox.writer import add_many_to_outbox
from o2c_common.tx import P, Tx


@dataclass
class Buffers:
    events: list[Event[Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BufferedTx(Tx):
    buffers: Buffers = field(default_factory=Buffers)

    async def emit(self, payload: P, *, correlation_id: str | None = None) -> Event[P]:
        event = Event.new(payload, source=self.source, time=self.now(),
                          correlation_id=correlation_id if correlation_id is not None else get_correlation_id())
        self.buffers.events.append(event)
        return event

    async def emit_many(self, payloads: Any, *, correlation_id: str | None = None) -> list[Event[Any]]:
        return [await self.emit(p, correlation_id=correlation_id) for p in payloads]

    async def audit(self, action: str, *, entity_type: str, entity_id: Any, reason: str | None = None,
                    before: Any = None, after: Any = None) -> int:
        self.buffers.audits.append({
            "actor": self.actor.subject, "action": action, "entity_type": entity_type, "entity_id": str(entity_id),
            "reason": reason, "before": to_json_safe(before) if before is not None else None,
            "after": to_json_safe(after) if after is not None else None, "correlation_id": get_correlation_id()})
        return 0  # the id is known once written; no caller of a buffered unit of work reads it

    async def write(self) -> None:
        await add_many_to_outbox(self.session, self.buffers.events, slots=self.slots)
        await repository.insert_audits(self.session, self.buffers.audits)
        self.buffers.events.clear()
        self.buffers.audits.clear()


@asynccontextmanager
async def buffering(tx: Tx) -> AsyncIterator[BufferedTx]:
    """``tx`` whose emits and audits are written in one statement each when the block ends without error."""
    values = {f.name: getattr(tx, f.name) for f in dataclasses.fields(tx)}
    buffered = BufferedTx(**values)
    yield buffered
    await buffered.write()

