"""What the realistic month does to the running stack besides its business: a poison event produced straight to
the broker, the dead-letter topics read for it, and a kpi movement deleted so that reconciliation has drift to
find."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from o2c_cli.stack import Stack
from o2c_common.events import Event
from o2c_common.events.contracts.invoicing import InvoiceIssued


async def produce_poison(stack: Stack) -> None:
    poison = InvoiceIssued.model_construct(
        invoice_id=uuid.uuid4(), invoice_number="X" * 41, legal_entity="US01", customer_id="M-ACME", currency="USD",
        amount=Decimal("10.00"), tax_amount=Decimal(0), issue_date=date(2026, 10, 1), due_date=date(2026, 10, 31),
        issued_at=datetime(2026, 10, 1, tzinfo=UTC), owning_team="vendor-a")
    event = Event.new(poison, source="/o2c/e2e")
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(event.topic, event.value(), key=event.key.encode(), headers=event.headers())
    finally:
        await producer.stop()


async def dead_lettered(stack: Stack, groups: tuple[str, ...]) -> set[str]:
    consumer = AIOKafkaConsumer(*(f"o2c.dlq.{g}" for g in groups), bootstrap_servers=stack.kafka,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None)
    await consumer.start()
    seen: set[str] = set()
    try:
        async with asyncio.timeout(60):
            while seen != set(groups):
                batch = await consumer.getmany(timeout_ms=1000)
                for tp, records in batch.items():
                    if any(b"X" * 41 in (r.value or b"") for r in records):
                        seen.add(tp.topic.removeprefix("o2c.dlq."))
    finally:
        await consumer.stop()
    return seen


async def delete_kpi_movement(stack: Stack, invoice_id: str) -> None:
    dsn = stack.database_url(next(s for s in stack_services() if s.name == "kpi"))
    conn = await asyncpg.connect(dsn.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        deleted = await conn.execute(
            "DELETE FROM receivable_movements WHERE (event_id, line) IN (SELECT event_id, line FROM "
            "receivable_movements WHERE invoice_id = $1 ORDER BY line DESC LIMIT 1)", uuid.UUID(invoice_id))
        assert deleted == "DELETE 1"
    finally:
        await conn.close()


def stack_services() -> list[Any]:
    from o2c_cli.services import SERVICES

    return list(SERVICES.values())
