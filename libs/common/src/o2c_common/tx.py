"""One transaction context per unit of work.

A unit of work starts in exactly three places: a request (:data:`TxDep`), a consumer batch and a worker's
step. Each opens one :class:`Tx` through :class:`Transactions` and commits it when the work is done. The
context carries the session, the actor, the clock and the event source, and offers :meth:`Tx.emit`,
:meth:`Tx.audit` and typed per-transaction batches (:meth:`Tx.batch`), so nothing threads an outbox, a
principal or a cache by hand. Services take the context as their first argument and never commit. A request whose
write is ONE statement guarded in its own SQL (the invoice issue) may instead run each statement as a transaction of
its own (:meth:`Transactions.each_statement`), so that no lock outlives the statement that took it.

    async def approve(tx: Tx, invoice: Invoice, *, note: str | None) -> Invoice:
        invoice.approvals.append(InvoiceApproval(invoice_id=invoice.id, approver=tx.actor.subject))
        await tx.audit("invoice.approval_given", entity_type="invoice", entity_id=invoice.id, reason=note)
        await tx.emit(InvoiceApproved(...))
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit.log import audit_row, record_audit
from o2c_common.auth.principal import Principal, Role
from o2c_common.db.database import Database
from o2c_common.events.base import EventPayload
from o2c_common.events.envelope import Event, new_event_ids
from o2c_common.observability.correlation import get_correlation_id
from o2c_common.outbox.writer import AlsoRow, Fill, add_audited_to_outbox, add_many_to_outbox, add_to_outbox

P = TypeVar("P", bound=EventPayload)


class TxBatch(Protocol):
    """Per-transaction state (rows gathered for one multi-row write, a cache of reads): created on first use by
    :meth:`Tx.batch` and written by :meth:`flush` just before the unit of work commits. A batch may also have a
    ``prepare()``: its CPU work (the rows as statement parameters) done ahead, see :meth:`Batches.prepare`."""

    async def flush(self, tx: Tx) -> None: ...


B = TypeVar("B", bound=TxBatch)


class Gathering(Protocol):
    """Where a handler that only gathers rows puts them (``rows.batch(Kind)``): a :class:`Tx`, or :class:`Batches`
    gathered before their transaction exists."""

    def batch(self, kind: type[B]) -> B: ...


def _batch_of(kinds: dict[type[Any], Any], kind: type[B]) -> B:
    found = kinds.get(kind)
    if found is None:
        found = kinds[kind] = kind()
    return found


@dataclass
class Batches:
    """Batches gathered ahead of their transaction (a consumer gathers a fetch's rows while the fetch before it is
    being written); :meth:`Tx.adopt` hands them to the transaction, which flushes them before it commits."""

    kinds: dict[type[Any], Any] = field(default_factory=dict)

    def batch(self, kind: type[B]) -> B:
        return _batch_of(self.kinds, kind)

    def prepare(self) -> None:
        """Each batch's CPU work done now, where the batch has a ``prepare()`` (its rows as statement parameters), so
        that its flush only writes. Nothing may be gathered into a batch after this."""
        for batch in self.kinds.values():
            prepare = getattr(batch, "prepare", None)
            if prepare is not None:
                prepare()


def utc_now() -> datetime:
    return datetime.now(UTC)


def system_actor(name: str) -> Principal:
    """The actor of automated work (a consumer, a timer): ``system:<name>``, seeing every team."""
    subject = name if name.startswith("system:") else f"system:{name}"
    return Principal(subject=subject, roles=frozenset({Role.ADMIN.value}), kind="service")


@dataclass
class Tx:
    """The unit of work in hand: one database transaction and who is doing it."""

    session: AsyncSession
    actor: Principal
    source: str
    slots: int = 16
    clock: Callable[[], datetime] = utc_now
    batches: dict[type[Any], Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock()

    async def emit(self, payload: P, *, correlation_id: str | None = None) -> Event[P]:
        """Write ``payload`` as a CloudEvent to the outbox in this transaction (the relay publishes it after
        commit). Emit after the aggregate's row was updated, so outbox ids follow the aggregate's commit order."""
        event = self._event(payload, correlation_id if correlation_id is not None else get_correlation_id())
        await add_to_outbox(self.session, event, slots=self.slots)
        return event

    def _event(self, payload: P, correlation_id: str | None) -> Event[P]:
        return Event.new(payload, source=self.source, correlation_id=correlation_id, time=self.now())

    async def emit_many(self, payloads: Sequence[P], *, correlation_id: str | None = None,
                        correlation_ids: Sequence[str | None] | None = None) -> list[Event[P]]:
        """:meth:`emit` for a bulk path: every payload written to the outbox in one statement, in order; each with
        its own correlation id when ``correlation_ids`` gives them (a batch handler emitting for many events)."""
        if correlation_id is None:
            correlation_id = get_correlation_id()
        now = self.now()
        correlations = correlation_ids if correlation_ids is not None else [correlation_id] * len(payloads)
        events = [Event.new(payload, source=self.source, correlation_id=correlation or correlation_id, time=now,
                            event_id=event_id)
                  for payload, correlation, event_id in zip(payloads, correlations, new_event_ids(len(payloads)),
                                                            strict=True)]
        await add_many_to_outbox(self.session, events, slots=self.slots)
        return events

    async def audit(self, action: str, *, entity_type: str, entity_id: Any, reason: str | None = None,
                    before: Any = None, after: Any = None) -> int:
        """Append one audit entry by this transaction's actor (never commits)."""
        return await record_audit(self.session, actor=self.actor, action=action, entity_type=entity_type,
                                  entity_id=entity_id, reason=reason, before=before, after=after)

    async def audit_and_emit(self, action: str, payload: P, *, entity_type: str, entity_id: Any,
                             reason: str | None = None, before: Any = None, after: Any = None,
                             also: AlsoRow | None = None) -> Event[P]:
        """:meth:`audit` then :meth:`emit` (and ``also``'s row, e.g. the status history), written in one statement:
        one round trip instead of two or three, for a state change that records them together."""
        event, _ = await self._audited(action, payload, entity_type=entity_type, entity_id=entity_id, reason=reason,
                                       before=before, after=after, also=also, fill=None)
        return event

    async def audit_and_emit_filled(self, fill: Fill, action: str, payload: P, *, entity_type: str, entity_id: Any,
                                    reason: str | None = None, before: Any = None, after: Any = None,
                                    also: AlsoRow | None = None) -> Row[Any] | None:
        """:meth:`audit_and_emit` whose statement also runs ``fill``'s CTE (a number taken under a lock) and writes its
        value where ``fill.token`` stands in ``payload``, ``before`` and ``after``: a lock so taken is held only by that
        statement and the commit. Returns ``fill``'s row; the event as stored is the one the relay publishes. None
        when ``fill`` returned no row (its guard did not hold): then the statement wrote nothing."""
        _, row = await self._audited(action, payload, entity_type=entity_type, entity_id=entity_id, reason=reason,
                                     before=before, after=after, also=also, fill=fill)
        return row

    async def _audited(self, action: str, payload: P, *, entity_type: str, entity_id: Any, reason: str | None,
                       before: Any, after: Any, also: AlsoRow | None,
                       fill: Fill | None) -> tuple[Event[P], Row[Any] | None]:
        correlation_id = get_correlation_id()
        event = self._event(payload, correlation_id)
        entry = audit_row(actor=self.actor, action=action, entity_type=entity_type, entity_id=entity_id,
                          reason=reason, before=before, after=after, correlation_id=correlation_id)
        row = await add_audited_to_outbox(self.session, event, entry, slots=self.slots, also=also, fill=fill)
        return event, row

    def batch(self, kind: type[B]) -> B:
        """This transaction's instance of ``kind`` (built with no arguments on first use), flushed before commit."""
        return _batch_of(self.batches, kind)

    def adopt(self, gathered: Batches) -> None:
        """Batches gathered ahead of this transaction become its own (flushed before it commits)."""
        if not gathered.kinds.keys().isdisjoint(self.batches):
            raise ValueError("this transaction already has a batch of a kind gathered ahead of it")
        self.batches.update(gathered.kinds)

    def acting_as(self, actor: Principal | str) -> Tx:
        """The same transaction (session, batches) done in another actor's name (``system:…`` for a string)."""
        return dataclasses.replace(self, actor=actor if isinstance(actor, Principal) else system_actor(actor))

    async def flush_batches(self) -> None:
        while self.batches:  # a batch's flush may open another batch
            _, batch = self.batches.popitem()
            await batch.flush(self)


@dataclass(frozen=True)
class Transactions:
    """Opens units of work of one service: its database, its event source and its clock."""

    db: Database
    source: str
    slots: int = 16
    clock: Callable[[], datetime] = utc_now

    @asynccontextmanager
    async def begin(self, actor: Principal | str) -> AsyncIterator[Tx]:
        """One transaction: committed (batches written first) when the block ends, rolled back on error."""
        principal = actor if isinstance(actor, Principal) else system_actor(actor)
        async with self.db.sessionmaker() as session, session.begin():
            tx = Tx(session=session, actor=principal, source=self.source, slots=self.slots, clock=self.clock)
            yield tx
            await tx.flush_batches()

    @asynccontextmanager
    async def each_statement(self, actor: Principal | str) -> AsyncIterator[Tx]:
        """A unit of work whose every statement is a transaction of its own, committed by PostgreSQL before it answers:
        no BEGIN or COMMIT round trip, and no lock held while the service's own code runs. Only for reads, and for a
        write done by ONE statement whose conditions are in its own SQL (a guarded :meth:`Tx.audit_and_emit_filled`).
        It has no batches to flush."""
        principal = actor if isinstance(actor, Principal) else system_actor(actor)
        async with self.db.autocommit_sessionmaker() as session:
            tx = Tx(session=session, actor=principal, source=self.source, slots=self.slots, clock=self.clock)
            yield tx
            if tx.batches:
                raise RuntimeError("a unit of work of single statements has no batches to write")

    def bind(self, session: AsyncSession, actor: Principal | str) -> Tx:
        """A context over a transaction someone else opened and commits (a test, a consumer's savepoint)."""
        principal = actor if isinstance(actor, Principal) else system_actor(actor)
        return Tx(session=session, actor=principal, source=self.source, slots=self.slots, clock=self.clock)
