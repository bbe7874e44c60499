"""A unit of work whose events and audit entries are written together, each kind in one multi-row statement, when
the work is done (:func:`buffering`): a write request that emits three events and two audit entries sends two
statements for them instead of five. Order is kept (outbox ids and audit ids follow the calls), and the rows are in
the same transaction, written before it commits, exactly as :meth:`Tx.emit` / :meth:`Tx.audit` would write them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert

from o2c_common.audit.log import audit_row, record_audits
from o2c_common.events.envelope import Event
from o2c_common.observability.correlation import get_correlation_id
from o2c_common.outbox.writer import AlsoRow, add_many_to_outbox
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

    async def emit_many(self, payloads: Sequence[P], *, correlation_id: str | None = None,
                        correlation_ids: Sequence[str | None] | None = None) -> list[Event[P]]:
        correlations = correlation_ids if correlation_ids is not None else [correlation_id] * len(payloads)
        return [await self.emit(p, correlation_id=c or correlation_id) for p, c in zip(payloads, correlations,
                                                                                         strict=True)]

    async def audit(self, action: str, *, entity_type: str, entity_id: Any, reason: str | None = None,
                    before: Any = None, after: Any = None) -> int:
        self.buffers.audits.append(audit_row(actor=self.actor, action=action, entity_type=entity_type,
                                             entity_id=entity_id, reason=reason, before=before, after=after))
        return 0  # the id is known once written; no caller of a buffered unit of work reads it

    async def audit_and_emit(self, action: str, payload: P, *, entity_type: str, entity_id: Any,
                             reason: str | None = None, before: Any = None, after: Any = None,
                             also: AlsoRow | None = None) -> Event[P]:
        if also is not None:
            table, row = also
            await self.session.execute(insert(table), dict(row))
        await self.audit(action, entity_type=entity_type, entity_id=entity_id, reason=reason, before=before,
                         after=after)
        return await self.emit(payload)

    async def write(self) -> None:
        await add_many_to_outbox(self.session, self.buffers.events, slots=self.slots)
        await record_audits(self.session, self.buffers.audits)
        self.buffers.events.clear()
        self.buffers.audits.clear()


@asynccontextmanager
async def buffering(tx: Tx) -> AsyncIterator[BufferedTx]:
    """``tx`` whose emits and audits are written in one statement each when the block ends without error."""
    values = {f.name: getattr(tx, f.name) for f in dataclasses.fields(tx)}
    buffered = BufferedTx(**values)
    yield buffered
    await buffered.write()

