"""Through the real broker: replays and redeliveries emit no second breach (the inbox, and below it the
breach row); a timer armed before a restart fires after it, from the database alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from aiokafka import AIOKafkaProducer

from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS, TansuBroker
from o2c_cli.testing import Infra, serving
from o2c_common.db import Database
from o2c_common.events import TOPICS, Event
from o2c_common.inbox import EventConsumer
from o2c_common.kafka import ensure_topics
from o2c_common.tx import Transactions
from o2c_kpi.clock import CLOCK_STATE_ATTR
from o2c_kpi.main import create_app
from o2c_kpi.sla.handlers import handlers as sla_handlers
from services.kpi.tests.sla.conftest import FRIDAY, SUPERVISOR, Clock, Service, approved, rejected, settings_for

pytestmark = pytest.mark.integration


async def publish(bootstrap: str, events: list[Event]) -> None:
    await ensure_topics(bootstrap, list(TOPICS.values()), partitions=3, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(event.topic, event.value(), key=event.key.encode(), headers=event.headers())
    finally:
        await producer.stop()


async def until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Waits for a condition of the system (not for a duration); fails after a generous bound."""
    for _ in range(600):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def consume(db: Database, service: Service, bootstrap: str, *, group_id: str, records: int) -> EventConsumer:
    dlq = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await dlq.start()
    consumer = EventConsumer(group_id=group_id, topics=list(TOPICS.values()),
                             handlers=sla_handlers(), transactions=Transactions(db=db, source="/o2c/kpi"),
                             bootstrap_servers=bootstrap, dlq_producer=dlq, max_attempts=1,
                             session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS)
    task = asyncio.create_task(consumer.run())
    try:
        async def seen() -> bool:
            return consumer.stats.processed + consumer.stats.duplicates >= records

        await until(seen, f"{group_id} handled {records} records")
    finally:
        consumer.stop()
        await task
        await dlq.stop()
    return consumer


async def test_replayed_and_redelivered_records_emit_one_breach(service: Service, own_broker: TansuBroker) -> None:
    definition = {"id": "fpa-broker", "name": "First pass", "metric": "first_pass_acceptance_rate",
                  "scope_type": "team", "target": "75", "comparator": "ge", "unit": "percent", "window": "week",
                  "min_sample": 2, "severity": "P2"}
    assert (await service.client.post("/sla-definitions", json=definition, headers=SUPERVISOR)).status_code == 201
    events = [approved("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY), rejected("vendor-a", FRIDAY)]
    bootstrap = own_broker.bootstrap_servers
    await publish(bootstrap, events)

    first = await consume(service.db, service, bootstrap, group_id="kpi-sla", records=3)
    assert first.stats.processed == 3
    breaches = "SELECT count(*) FROM outbox WHERE event_type = 'o2c.sla.breached.v1'"
    assert await service.scalar(breaches) == 1

    await publish(bootstrap, events)  # the same records delivered again
    again = await consume(service.db, service, bootstrap, group_id="kpi-sla", records=3)
    assert (again.stats.processed, again.stats.duplicates) == (0, 3)

    fresh = await consume(service.db, service, bootstrap, group_id="kpi-sla-replay", records=6)  # offset 0, no inbox
    assert fresh.stats.processed == 3 and fresh.stats.duplicates == 3
    assert await service.scalar(breaches) == 1
    assert await service.scalar("SELECT total_count FROM sla_windows WHERE definition_id = 'fpa-broker'") == 3


async def test_a_timer_armed_before_a_restart_fires_after_it(infra: Infra, kpi_db: Database,
                                                            own_broker: TansuBroker) -> None:
    bootstrap = own_broker.bootstrap_servers
    settings = settings_for(kpi_db.url, bootstrap, run_workers=True)
    clock = Clock()
    breached = "SELECT count(*) FROM outbox WHERE event_type = 'o2c.sla.breached.v1'"

    async def scalar(sql: str) -> object:
        from sqlalchemy import text

        async with kpi_db.unit_of_work() as session:
            return (await session.execute(text(sql))).scalar()

    first = create_app(settings)
    setattr(first.state, CLOCK_STATE_ATTR, clock)
    async with serving(first, base_url="http://kpi"):
        await publish(bootstrap, [rejected("vendor-a", FRIDAY)])

        async def armed() -> bool:
            return await scalar("SELECT count(*) FROM sla_timers WHERE status = 'armed'") == 1

        await until(armed, "the rejection armed its timer")
        assert await scalar(breached) == 0  # the sweeper runs, but Friday's timer is not due

    clock.move_to(FRIDAY + timedelta(days=3, minutes=1))  # Monday 15:01, while the service was down
    second = create_app(settings)
    setattr(second.state, CLOCK_STATE_ATTR, clock)
    async with serving(second, base_url="http://kpi"):
        async def published() -> bool:
            return await scalar("SELECT count(*) FROM outbox WHERE event_type = 'o2c.sla.breached.v1' "
                                "AND published_at IS NOT NULL") == 1

        await until(published, "the restarted sweeper fired the timer and the relay published the breach")
    assert await scalar(breached) == 1
    assert await scalar("SELECT status FROM sla_timers") == "breached"
