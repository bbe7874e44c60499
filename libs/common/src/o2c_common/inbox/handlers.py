"""Handler shapes of a consumer group and how a batch of events is handed to them.

A handler takes one event::

    async def on_invoice_issued_open_receivable(tx: Tx, event: Event[InvoiceIssued]) -> None

A batch handler takes every event of its type(s) in a partition batch, in order, and writes them with set-based
statements; it is registered wrapped in :class:`Batched`::

    async def on_invoices_issued_open_receivables(tx: Tx, events: Sequence[Event[InvoiceIssued]]) -> None
    HANDLERS: Handlers = {InvoiceIssued: Batched(on_invoices_issued_open_receivables)}

Order: the consumer hands the events of a partition batch over in offset order. Events of batch handlers are
gathered until the next event of a per-record handler (or the end of the batch); then each batch handler is called
once with its gathered events, in the order of their first event, and only then the per-record handler. So an
event is never handled before an earlier event of the same partition whose handler is a per-record one, and a
batch handler sees its own events in order. Batch handlers of two types gathered in one run may see them swapped
(an ``a1 b1 a2`` run calls ``A([a1, a2])`` then ``B([b1])``): register such types to one batch handler if their
order matters to each other.

A gathering handler only gathers rows into batches (``rows.batch(Kind)``, written when the unit of work is
flushed): it reads nothing, writes nothing itself, emits and audits nothing. It is registered wrapped in
:class:`Gathered` and called like a batch handler, with a :class:`~o2c_common.tx.Tx` or, on the consumer's fast path,
with :class:`~o2c_common.tx.Batches` ahead of the transaction: when every event of a fetch has a gathering handler,
the consumer gathers and prepares the fetch's rows while the fetch before it is still being written, and the
fetch's own write is then its inbox claim and those rows (``decoding.gather_ahead``)::

    async def on_receivables_changed_move_ar(rows: Gathering, events: Sequence[Event[ReceivableChanged]]) -> None
    HANDLERS: Handlers = {ReceivableChanged: Gathered(on_receivables_changed_move_ar)}

When the batch's transaction fails, the consumer takes the records one at a time, each in its own savepoint, and
calls a batch handler with a one-event list: a failing event is then retried and dead-lettered alone.

A batch handler runs outside any one event's correlation scope (its events carry many); when it emits, it passes
``correlation_id=event.correlation_id`` of the event it emits for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from o2c_common.events.base import EventPayload
from o2c_common.events.envelope import Event
from o2c_common.observability.correlation import correlation_scope
from o2c_common.tx import Batches, Gathering, Tx

log = logging.getLogger(__name__)

GATHER_SLICE = 100
"""Events handed to a gathering handler in one call ahead of the transaction; the event loop turns between calls, so
that the write in flight goes on."""

Handler = Callable[[Tx, Event[Any]], Awaitable[None]]
"""``async def on_<event>_<effect>(tx: Tx, event: Event[<Payload>]) -> None``, registered by payload type."""
BatchHandler = Callable[[Tx, Sequence[Event[Any]]], Awaitable[None]]
"""``async def on_<events>_<effect>(tx: Tx, events: Sequence[Event[<Payload>]]) -> None``."""
GatheringHandler = Callable[[Gathering, Sequence[Event[Any]]], Awaitable[None]]
"""``async def on_<events>_<effect>(rows: Gathering, events: Sequence[Event[<Payload>]]) -> None``."""


@dataclass(frozen=True)
class Batched:
    """Registers a batch handler (``{Payload: Batched(on_payloads_effect)}``); see the module's doc. ``history=False``:
    the handler acts on today's work only, and its group skips imported history unread (by the event's
    ``o2c_history`` header, ``o2c_common.events.envelope.HISTORY_HEADER``)."""

    handler: BatchHandler
    history: bool = True

    async def __call__(self, tx: Tx, event: Event[Any]) -> None:
        """Also a per-record handler (one event in a one-event list), so a map of handlers can be driven by hand."""
        await self.handler(tx, (event,))

    @property
    def __name__(self) -> str:  # logs and tests name the handler, not the wrapper
        return getattr(self.handler, "__name__", repr(self.handler))


@dataclass(frozen=True)
class Gathered:
    """Registers a gathering handler (``{Payload: Gathered(on_payloads_effect)}``); see the module's doc. Ahead of
    the transaction it may be called more than once for a batch, with its events in order across the calls."""

    handler: GatheringHandler

    async def __call__(self, tx: Tx, event: Event[Any]) -> None:
        await self.handler(tx, (event,))

    @property
    def __name__(self) -> str:
        return getattr(self.handler, "__name__", repr(self.handler))


AnyHandler = Handler | Batched | Gathered
Handlers = Mapping[type[EventPayload], AnyHandler]
"""Each payload type's handler; a :class:`Batched` or :class:`Gathered` one is also callable with one event like any
handler."""


def topics_of(handlers: Handlers) -> tuple[str, ...]:
    """The topics the handled types are published on: what a group with these handlers subscribes to. A topic
    more would only be fetched and skipped (and the broker polls every partition of a fetch while it waits)."""
    return tuple(sorted({model.topic() for model in handlers}))


async def handle_one(tx: Tx, event: Event[Any], handler: AnyHandler) -> None:
    """One event, whatever the handler's shape (the record-by-record path)."""
    with correlation_scope(event.correlation_id):
        await handler(tx, event)


async def handle_in_order(tx: Tx, work: Sequence[tuple[Event[Any], AnyHandler]]) -> None:
    """Every event of a partition batch, in the order the module's doc describes."""
    gathered: dict[Batched | Gathered, list[Event[Any]]] = {}
    for event, handler in work:
        if isinstance(handler, Batched | Gathered):
            gathered.setdefault(handler, []).append(event)
            continue
        await _call_gathered(tx, gathered)
        with correlation_scope(event.correlation_id):
            await handler(tx, event)
    await _call_gathered(tx, gathered)


async def _call_gathered(tx: Tx, gathered: dict[Batched | Gathered, list[Event[Any]]]) -> None:
    for batched, events in gathered.items():
        await batched.handler(tx, events)
    gathered.clear()


async def gather_ahead(work: Sequence[tuple[Event[Any], AnyHandler]]) -> Batches | None:
    """The rows of ``work`` gathered and prepared before its transaction, if every event has a gathering handler and
    none comes twice; else (or if a handler fails) None, and the write handles the events in its transaction. The
    handlers are called in the order :func:`handle_in_order` calls them."""
    by_handler: dict[Gathered, list[Event[Any]]] = {}
    for event, handler in work:
        if not isinstance(handler, Gathered):
            return None
        by_handler.setdefault(handler, []).append(event)
    if not work or len({event.id for event, _ in work}) != len(work):
        return None
    rows = Batches()
    try:
        for handler, events in by_handler.items():
            for start in range(0, len(events), GATHER_SLICE):
                await asyncio.sleep(0)
                await handler.handler(rows, events[start:start + GATHER_SLICE])
        await asyncio.sleep(0)
        rows.prepare()
    except Exception as exc:  # the write calls the handlers again in its transaction, and falls back from there
        log.info("gathering ahead failed, left to the write: %s: %s", type(exc).__name__, exc)
        return None
    return rows
