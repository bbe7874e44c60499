"""Workforce's queues hold today's work: the imported history of `o2c history replay` (invoices issued, payments
received and applied elsewhere, long ago) is left unread by its consumer, by the events' ``o2c_history`` header,
while the same types of today's work are read."""

from __future__ import annotations

from typing import Any, cast

from aiokafka.structs import ConsumerRecord

from o2c_common.events import Event
from o2c_common.events.contracts.collections import PaymentApplied, PaymentReceived
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.events.examples import example_payload
from o2c_common.inbox.lane import Lane
from o2c_workforce.intake.handlers import HANDLERS


def record(event: Event[Any], offset: int) -> ConsumerRecord:
    key, value = event.key.encode(), event.value()
    return ConsumerRecord("t", 0, offset, 0, 0, key, value, None, len(key), len(value), event.headers())


def history_and_today() -> tuple[list[Event[Any]], list[Event[Any]]]:
    old: list[Event[Any]] = []
    new: list[Event[Any]] = []
    for model, field, history, today in ((InvoiceIssued, "historical", True, False),
                                         (PaymentReceived, "source", "history_import", "camt053"),
                                         (PaymentApplied, "historical", True, False)):
        payload = example_payload(model)
        old.append(Event.new(payload.model_copy(update={field: history}), source=model.expected_source()))
        new.append(Event.new(payload.model_copy(update={field: today}), source=model.expected_source()))
    return old, new


async def test_workforce_leaves_imported_history_unread_and_reads_todays_work() -> None:
    lane = Lane(name="workforce", handlers=HANDLERS, transactions=cast(Any, None), dlq_producer=cast(Any, None),
                max_attempts=1, retry_backoff=0)
    old, new = history_and_today()
    decoded = await lane.decode([record(e, n) for n, e in enumerate([*old, *new])])
    assert decoded is not None
    assert [event.id for _, event, _ in decoded.work] == [e.id for e in new]
    assert sorted(reason for reason, _ in decoded.skipped) == ["imported_history"] * 3
