"""A consumer group subscribes to the topics its handled types are published on, no more."""

from __future__ import annotations

from o2c_common.events import TOPICS, Event
from o2c_common.events.contracts.collections import PaymentApplied, ReceivableChanged
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.inbox import Batched, Handlers, topics_of
from o2c_common.tx import Tx


async def _one(tx: Tx, event: Event[InvoiceIssued]) -> None: ...


async def _many(tx: Tx, events: object) -> None: ...


def test_the_topics_are_those_of_the_handled_types_once_each_in_order() -> None:
    handlers: Handlers = {ReceivableChanged: Batched(_many), PaymentApplied: Batched(_many), InvoiceIssued: _one}

    assert topics_of(handlers) == (TOPICS["collections"], TOPICS["invoicing"])
    assert topics_of({PaymentApplied: _one}) == (TOPICS["collections"],)
    assert topics_of({}) == ()

