"""Fixtures of the KPI engine tests: a migrated kpi database per test, events built from the contracts, and
two ways in: the ``kpi`` handlers in one transaction per batch (as the consumer's fast path), or the real
EventConsumer reading a broker of the test's own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiokafka import AIOKafkaProducer

from o2c_cli.localstack import LOCAL_SESSION_TIMEOUT_MS
from o2c_cli.testing import Infra, MigratedDatabases, ServiceHarness, bearer, serving
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.base import EventPayload
from o2c_common.events.contracts import collections as col, invoicing as inv
from o2c_common.inbox import EventConsumer
from o2c_common.kafka import ensure_topics
from o2c_common.tx import Transactions
from o2c_kpi.config import KpiSettings
from o2c_kpi.facts.handlers import HANDLERS
from o2c_kpi.kpis import service as kpis
from o2c_kpi.kpis.schemas import KpiValue, Period, Scope
from o2c_kpi.main import create_app

DATABASES = MigratedDatabases(Path(__file__).resolve().parents[2], "kpifacts")
VIEWER = bearer("vic", "viewer")
AGENT_A = bearer("agent-a", "vendor_agent", team="vendor-a")


@pytest_asyncio.fixture(loop_scope="session")
async def kpi_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


@pytest_asyncio.fixture(loop_scope="session")
async def other_db(infra: Infra) -> AsyncIterator[Database]:
    async with DATABASES.database(infra) as db:
        yield db


@pytest_asyncio.fixture(loop_scope="session")
async def api(infra: Infra, kpi_db: Database) -> AsyncIterator[ServiceHarness]:
    settings = KpiSettings(database_url=kpi_db.url, kafka_bootstrap_servers=infra.kafka_bootstrap,
                           run_workers=False, log_json=False, environment="test")
    app = create_app(settings)
    async with serving(app, base_url="http://kpi") as client:
        yield ServiceHarness(app=app, client=client, db=kpi_db)


# --- getting events in ------------------------------------------------------------------------------------


def transactions(db: Database) -> Transactions:
    return Transactions(db=db, source="/o2c/kpi")


async def ingest(db: Database, events: Sequence[Event], *, batch: int = 500) -> None:
    """The kpi handlers over ``events``, ``batch`` events per transaction (the consumer's fast path)."""
    for i in range(0, len(events), batch):
        async with transactions(db).begin("system:kpi") as tx:
            for event in events[i:i + batch]:
                handler = HANDLERS.get(type(event.data))
                if handler is not None:
                    await handler(tx, event)


async def produce(bootstrap: str, events: Sequence[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for event in events:
            await producer.send(event.topic, event.value(), key=event.key.encode(), headers=event.headers())
        await producer.flush()
    finally:
        await producer.stop()


async def consume(db: Database, bootstrap: str, *, until_processed: int, group_id: str = "kpi",
                  batch_size: int = 500) -> EventConsumer:
    """The real consumer of group ``group_id`` until it has handled ``until_processed`` events (duplicates and
    other events do not count)."""
    dlq = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await dlq.start()
    topics = sorted({"o2c.invoicing.events", "o2c.collections.events", "o2c.escalation.events"})
    consumer = EventConsumer(group_id=group_id, topics=topics, handlers=HANDLERS, transactions=transactions(db),
                             bootstrap_servers=bootstrap, dlq_producer=dlq, batch_size=batch_size,
                             session_timeout_ms=LOCAL_SESSION_TIMEOUT_MS)
    task = asyncio.create_task(consumer.run())
    try:
        async with asyncio.timeout(120):
            while consumer.stats.processed + consumer.stats.duplicates < until_processed:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        consumer.stop()
        await task
        await dlq.stop()
    return consumer


async def make_topics(bootstrap: str) -> None:
    await ensure_topics(bootstrap, ["o2c.invoicing.events", "o2c.collections.events", "o2c.escalation.events",
                                    "o2c.dlq.kpi"], partitions=6, replication_factor=1)


async def compute(db: Database, names: Sequence[str], period: Period, scope: Scope | None = None) -> list[KpiValue]:
    async with transactions(db).begin("system:kpi") as tx:
        return await kpis.compute(tx, names=names, period=period, scope=scope or Scope())


def value(values: Sequence[KpiValue], name: str, *, currency: str | None = None,
          dimension: str | None = None) -> Decimal | None:
    found = [v for v in values if v.name == name and v.currency == currency and v.dimension == dimension]
    assert len(found) == 1, (name, currency, dimension, values)
    return found[0].value


# --- events -----------------------------------------------------------------------------------------------


def wrap(payload: EventPayload) -> Event:
    return Event.new(payload, source=payload.expected_source())  # consumers refuse any other ce_source


def at(d: date, hour: int = 12) -> datetime:
    return datetime.combine(d, time(hour), tzinfo=UTC)


@dataclass
class Invoice:
    """An invoice and its receivable in collections' ledger: each helper returns the events the services emit for
    it, with the ``receivable.changed`` of each ledger entry (numbered, with the open amount and totals after it)."""

    invoice_id: uuid.UUID
    number: str
    customer_id: str
    amount: Decimal
    issue_date: date
    due_date: date
    currency: str = "USD"
    legal_entity: str = "US01"
    team: str | None = "vendor-a"
    sequence: int = 0
    open_amount: Decimal = Decimal(0)
    totals: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(("cash", "credited", "written_off"),
                                                                             Decimal(0)))

    def post(self, kind: col.LedgerEntryKind, amount: Decimal | str, on: date, **links: Any) -> Event:
        """The ``receivable.changed`` of one ledger entry of ``amount`` (signed as posted)."""
        amount = Decimal(amount)
        self.sequence += 1
        self.open_amount += amount
        total = {"payment": "cash", "reversal": "cash", "credit_note": "credited", "write_off": "written_off",
                 "tolerance_write_off": "written_off"}.get(kind)
        if total is not None:
            self.totals[total] -= amount
        return wrap(col.ReceivableChanged(
            invoice_id=self.invoice_id, invoice_number=self.number, legal_entity=self.legal_entity,
            customer_id=self.customer_id, owning_team=self.team, currency=self.currency, issue_date=self.issue_date,
            due_date=self.due_date, sequence=self.sequence, kind=kind, amount=amount, effective_date=on,
            original_amount=self.amount, open_amount_after=self.open_amount, cash_applied_total=self.totals["cash"],
            credited_total=self.totals["credited"], written_off_total=self.totals["written_off"],
            posted_by="system:collections", posted_at=at(on), **links))

    def issued(self, **extra: Any) -> list[Event]:
        """``invoice.issued`` and the ledger's opening entry."""
        return [wrap(inv.InvoiceIssued(
            invoice_id=self.invoice_id, invoice_number=self.number, legal_entity=self.legal_entity,
            customer_id=self.customer_id, currency=self.currency, amount=self.amount, tax_amount=Decimal(0),
            issue_date=self.issue_date, due_date=self.due_date, issued_at=at(self.issue_date),
            owning_team=self.team, **extra)), self.post("invoice", self.amount, self.issue_date)]

    def paid(self, amount: Decimal | str, on: date, *, rule: col.MatchRule = "reference_and_amount",
             payment_id: uuid.UUID | None = None, value_date: date | None = None,
             tolerance: Decimal | str | None = None) -> list[Event]:
        """``payment.applied`` and its ledger entries (a payment, then a tolerance write-off if any)."""
        application_id, payment_id = uuid.uuid4(), payment_id or uuid.uuid4()
        applied = wrap(col.PaymentApplied(
            payment_id=payment_id, legal_entity=self.legal_entity, customer_id=self.customer_id,
            currency=self.currency, applications=(col.CashApplication(
                application_id=application_id, invoice_id=self.invoice_id, invoice_number=self.number,
                amount=Decimal(amount), tolerance_written_off=Decimal(tolerance or 0)),),
            value_date=value_date or on, applied_date=on, applied_at=at(on), rule=rule, confidence=Decimal(1),
            unapplied_balance=Decimal(0), owning_team=self.team))
        links = {"payment_id": payment_id, "application_id": application_id}
        out = [applied, self.post("payment", -Decimal(amount), on, **links)]
        if tolerance is not None:
            out.append(self.post("tolerance_write_off", -Decimal(tolerance), on, reason="tolerance", **links))
        return out

    def credited(self, amount: Decimal | str, on: date, *, posted: Decimal | str | None = None) -> list[Event]:
        """``credit_note.issued`` and the ledger's credit entry (``posted``: what the ledger took, default all)."""
        credit_note_id = uuid.uuid4()
        issued = wrap(inv.CreditNoteIssued(
            invoice_id=self.invoice_id, invoice_number=self.number, legal_entity=self.legal_entity,
            customer_id=self.customer_id, owning_team=self.team, credit_note_id=credit_note_id,
            credit_note_number=f"CN-{self.number}", currency=self.currency, amount=Decimal(amount),
            tax_amount=Decimal(0), full=False, reason="pricing", issue_date=on, issued_at=at(on)))
        return [issued, self.post("credit_note", -Decimal(amount if posted is None else posted), on,
                                  credit_note_id=credit_note_id)]


_n = 0


def invoice(amount: str, issued: date, due: date, *, customer_id: str = "CUST-1", **kw: Any) -> Invoice:
    global _n
    _n += 1
    return Invoice(uuid.uuid4(), f"INV-{_n:06d}", customer_id, Decimal(amount), issued, due, **kw)
