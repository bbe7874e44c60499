"""Rebuild: read models dropped and rebuilt from the topics from offset 0 equal what the live consumer built."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from o2c_cli.localstack import TansuBroker
from o2c_common.db import Database
from o2c_common.events import Event
from o2c_common.events.contracts import collections as col, escalation as esc, invoicing as inv
from o2c_common.events.examples import example_payload
from o2c_kpi.config import KpiSettings
from o2c_kpi.facts.rebuild import rebuild
from o2c_kpi.operations.handlers import PROJECTION as OPERATIONS
from services.kpi.tests.integration.conftest import consume, make_topics, produce, transactions, wrap
from services.kpi.tests.integration.test_kpi_consumer import all_kpis, dump, events

pytestmark = pytest.mark.integration

TOPICS = ("o2c.collections.events", "o2c.escalation.events", "o2c.invoicing.events")


async def published(broker: TansuBroker, items: list[Event]) -> str:
    """``items`` on the topics of ``broker``; its bootstrap address."""
    await make_topics(broker.bootstrap_servers)
    await produce(broker.bootstrap_servers, items)
    return broker.bootstrap_servers


async def test_rebuild_from_offset_zero_gives_identical_read_models(kpi_db: Database,
                                                                   own_broker: TansuBroker) -> None:
    items = events()
    bootstrap = await published(own_broker, items)
    await consume(kpi_db, bootstrap, until_processed=len(items))
    live_kpis, live_rows = await all_kpis(kpi_db), await dump(kpi_db)
    assert sum(len(rows) for rows in live_rows.values()) > len(items)
    async with kpi_db.unit_of_work() as session:  # damage the read models: the rebuild must not keep any of it
        await session.execute(text("DELETE FROM kpi_ar_daily WHERE day < '2026-03-15'"))
        await session.execute(text("UPDATE kpi_daily_counts SET count = count + 7"))

    settings = KpiSettings(database_url=kpi_db.url, kafka_bootstrap_servers=bootstrap, consumer_batch_size=5)
    result = await rebuild(transactions=transactions(kpi_db), settings=settings, topics=TOPICS, timeout_s=120)

    assert (result.records, result.processed, result.dead_lettered) == (len(items), len(items), 0)
    assert await dump(kpi_db) == live_rows
    assert await all_kpis(kpi_db) == live_kpis
    async with kpi_db.unit_of_work() as session:  # the live consumer will skip what the rebuild read
        inbox = (await session.execute(text("SELECT consumer, count(*) FROM inbox GROUP BY 1"))).all()
    assert inbox == [("kpi", len(items))]


def operations_events() -> list[Event]:
    """Portal rejections, disputes opened and resolved, and escalation cases of two teams."""
    out = []
    for n, team in enumerate(("ops-a", "ops-b", "ops-a")):
        dispute = {"dispute_id": uuid.uuid4(), "owning_team": team, "amount": Decimal(f"{100 + n}.50")}
        out += [example_payload(inv.InvoicePortalRejected, invoice_id=uuid.uuid4(), submission_id=uuid.uuid4(),
                                owning_team=team, reason=("missing_po", "tax_error")[n % 2]),
                example_payload(col.DisputeOpened, **dispute),
                example_payload(col.DisputeResolved, **dispute, root_cause="pricing"),
                example_payload(esc.EscalationOpened, case_id=uuid.uuid4(), owning_team=team)]
    return [wrap(payload) for payload in out]


async def test_rebuild_replays_the_operations_read_models_with_their_own_group(kpi_db: Database,
                                                                               own_broker: TansuBroker) -> None:
    items = operations_events()
    bootstrap = await published(own_broker, items)
    settings = KpiSettings(database_url=kpi_db.url, kafka_bootstrap_servers=bootstrap, consumer_batch_size=5)
    first = await rebuild(transactions=transactions(kpi_db), settings=settings, topics=TOPICS,
                          projection=OPERATIONS, timeout_s=120)
    built = await dump(kpi_db, OPERATIONS.read_models)
    counts = {table: len(found) for table, found in built.items() if found}
    assert counts == {"kpi_ops_rejections": 3, "kpi_ops_disputes": 3, "kpi_ops_cases": 3}
    async with kpi_db.unit_of_work() as session:  # damage: the rebuild must keep none of it
        await session.execute(text("DELETE FROM kpi_ops_rejections WHERE owning_team = 'ops-a'"))
        await session.execute(text("UPDATE kpi_ops_disputes SET amount = amount + 7"))

    again = await rebuild(transactions=transactions(kpi_db), settings=settings, topics=TOPICS,
                          projection=OPERATIONS, timeout_s=120)

    assert (first.processed, again.processed, again.dead_lettered) == (len(items), len(items), 0)
    assert await dump(kpi_db, OPERATIONS.read_models) == built
    async with kpi_db.unit_of_work() as session:  # the kpi facts' group and tables are not touched
        inbox = (await session.execute(text("SELECT consumer, count(*) FROM inbox GROUP BY 1"))).all()
        facts = (await session.execute(text("SELECT count(*) FROM kpi_daily_counts"))).scalar_one()
    assert (inbox, facts) == ([("kpi-operations", len(items))], 0)
