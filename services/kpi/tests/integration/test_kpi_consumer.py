"""The read models through the real consumer and broker: events out of order across partitions and topics,
redelivery, and the consumer's record-by-record path give the same figures as one orderly pass."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

import pytest
from aiokafka import AIOKafkaProducer

from o2c_cli.localstack import TansuBroker
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_kpi.facts.rebuild import READ_MODELS
from o2c_kpi.kpis.definitions import DEFINITIONS
from o2c_kpi.kpis.schemas import KpiValue, Period, Scope
from services.kpi.tests.integration.conftest import compute, consume, ingest, make_topics, produce
from services.kpi.tests.integration.test_kpi_operations import billing, cash_and_service
from services.kpi.tests.integration.test_kpi_receivables import ledger

pytestmark = pytest.mark.integration

PERIODS = (Period.month(date(2026, 3, 1)), Period.month(date(2026, 2, 1)), Period.quarter(date(2026, 3, 1)),
           Period.day(date(2026, 3, 10)), Period.month(date(2026, 3, 1), as_of=date(2026, 3, 15)))


def events() -> list[Event]:
    return [*ledger(), *billing(), *cash_and_service()]


async def all_kpis(db: Database) -> list[list[KpiValue]]:
    out = []
    for period in PERIODS:
        for scope in (Scope(), Scope(team="vendor-a"), Scope(customer_id="CUST-2")):
            out.append(await compute(db, list(DEFINITIONS), period, scope))
    return out


async def dump(db: Database, tables: Sequence[str] = READ_MODELS) -> dict[str, list[tuple[object, ...]]]:
    """Every row of ``tables`` except the resolution flag (an invoice-less movement waits unresolved)."""
    from sqlalchemy import text

    out: dict[str, list[tuple[object, ...]]] = {}
    async with db.unit_of_work() as session:
        for table in tables:
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).mappings().all()
            out[table] = sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k != "resolved")) for r in rows)
    return out


def by_topic(items: Sequence[Event], topic: str) -> list[Event]:
    return [e for e in items if e.topic == topic]


async def test_out_of_order_across_partitions_and_topics_gives_the_same_kpis(
        kpi_db: Database, other_db: Database, own_broker: TansuBroker) -> None:
    items = events()
    await ingest(other_db, items)  # one orderly pass, for reference
    await make_topics(own_broker.bootstrap_servers)
    shuffled = items[:]
    random.Random(5).shuffle(shuffled)  # keys spread over 6 partitions: no order between invoices and payments
    # cash and escalations first, invoices (and so due dates) only afterwards
    first = [e for e in shuffled if e.topic != "o2c.invoicing.events"]
    await produce(own_broker.bootstrap_servers, first)
    await consume(kpi_db, own_broker.bootstrap_servers, until_processed=len(first), batch_size=7)
    await produce(own_broker.bootstrap_servers, by_topic(shuffled, "o2c.invoicing.events"))
    await consume(kpi_db, own_broker.bootstrap_servers, until_processed=len(items) - len(first), batch_size=7)
    assert await all_kpis(kpi_db) == await all_kpis(other_db)
    assert await dump(kpi_db) == await dump(other_db)


async def test_redelivery_changes_nothing(kpi_db: Database, own_broker: TansuBroker) -> None:
    items = events()
    await make_topics(own_broker.bootstrap_servers)
    await produce(own_broker.bootstrap_servers, items)
    await consume(kpi_db, own_broker.bootstrap_servers, until_processed=len(items))
    before_kpis, before_rows = await all_kpis(kpi_db), await dump(kpi_db)
    await produce(own_broker.bootstrap_servers, items)  # the same events (same ids) published again
    again = await consume(kpi_db, own_broker.bootstrap_servers, until_processed=len(items))
    assert (again.stats.processed, again.stats.duplicates) == (0, len(items))
    assert await all_kpis(kpi_db) == before_kpis
    assert await dump(kpi_db) == before_rows


async def test_record_by_record_path_writes_the_same_facts(
        kpi_db: Database, other_db: Database, own_broker: TansuBroker) -> None:
    """An undecodable record sends its batch down the consumer's careful path (a savepoint per record): the facts
    are then written per record, and the figures are the same."""
    items = events()
    await ingest(other_db, items)
    await make_topics(own_broker.bootstrap_servers)
    producer = AIOKafkaProducer(bootstrap_servers=own_broker.bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        for topic in ("o2c.invoicing.events", "o2c.collections.events"):
            for partition in range(6):
                await producer.send_and_wait(topic, b"not json", partition=partition, headers=[("ce_id", b"x")])
    finally:
        await producer.stop()
    await produce(own_broker.bootstrap_servers, items)
    consumer = await consume(kpi_db, own_broker.bootstrap_servers, until_processed=len(items))
    assert consumer.stats.dead_lettered == 12
    assert await all_kpis(kpi_db) == await all_kpis(other_db)
    assert await dump(kpi_db) == await dump(other_db)
