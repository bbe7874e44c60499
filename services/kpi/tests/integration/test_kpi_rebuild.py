"""Rebuild: read models dropped and rebuilt from the topics from offset 0 equal what the live consumer built."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from o2c_cli.localstack import TansuBroker
from o2c_common.db import Database
from o2c_kpi.config import KpiSettings
from o2c_kpi.facts.rebuild import rebuild
from services.kpi.tests.integration.conftest import consume, make_topics, produce, transactions
from services.kpi.tests.integration.test_kpi_consumer import all_kpis, dump, events

pytestmark = pytest.mark.integration

TOPICS = ("o2c.collections.events", "o2c.escalation.events", "o2c.invoicing.events")


async def test_rebuild_from_offset_zero_gives_identical_read_models(kpi_db: Database,
                                                                   own_broker: TansuBroker) -> None:
    items = events()
    bootstrap = own_broker.bootstrap_servers
    await make_topics(bootstrap)
    await produce(bootstrap, items)
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
