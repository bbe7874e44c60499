"""No event lost with the broker (issue 15 item 5): the broker loses every record (memory storage) after the relay
published them and before a consumer read them; `o2c outbox republish --since T` sends the stored events again and
each is applied exactly once (the ones applied before are skipped by event id). Retention purges old rows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from typer.testing import CliRunner

from o2c_cli.localstack import TansuBroker
from o2c_cli.main import app as cli
from o2c_common.db import Database
from o2c_common.db.database import asyncpg_dsn
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.outbox import OutboxRelay
from o2c_common.outbox.retention import Retention, purge_once

from .helpers import consumer, create_topics, eventually, producer_factory, running, unpublished, write_events
from .test_consumer import _is, add_to_total, create_totals, totals


async def test_events_the_broker_lost_are_republished_and_applied_exactly_once(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    await create_totals(pg_db)
    since = datetime.now(UTC) - timedelta(seconds=5)
    relay = OutboxRelay(dsn=asyncpg_dsn(pg_db.url), producer_factory=producer_factory(bootstrap), max_backoff=1)
    async with running(relay):
        async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="republish") as c:
            await write_events(pg_db, keys=10, per_key=1)
            await eventually(lambda: _is(c.stats.processed == 10), message=f"{c.stats}")
        await write_events(pg_db, keys=5, per_key=1)  # published, acknowledged, never consumed …
        await eventually(lambda: _none_unpublished(pg_db))
        own_broker.stop()  # … and gone with the broker's memory
        own_broker.start()
        await create_topics(bootstrap)

        result = await asyncio.to_thread(CliRunner().invoke, cli, [
            "outbox", "republish", "--service", "invoicing", "--since", since.isoformat(),
            "--database-url", pg_db.url])
        assert result.exit_code == 0, result.output
        assert "marked for republishing 15 event(s)" in result.output

        async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="republish") as c:
            await eventually(lambda: _is(c.stats.processed + c.stats.duplicates == 15), timeout=90,
                             message=f"{c.stats}")
            assert (c.stats.processed, c.stats.duplicates) == (5, 10)
    assert (await totals(pg_db))[1] == 15  # every event applied exactly once


async def test_republish_refuses_an_unreadable_time_and_an_unknown_service() -> None:
    runner = CliRunner()
    bad_time = await asyncio.to_thread(runner.invoke, cli, ["outbox", "republish", "--service", "kpi",
                                                            "--since", "yesterday-ish"])
    assert bad_time.exit_code == 2 and "is not a date or an ISO 8601 time" in bad_time.output
    bad_service = await asyncio.to_thread(runner.invoke, cli, ["outbox", "republish", "--service", "billing",
                                                               "--since", "2026-12-01"])
    assert bad_service.exit_code == 2 and "unknown service 'billing'" in bad_service.output


async def test_retention_purges_old_published_outbox_rows_and_old_inbox_rows_only(pg_db: Database) -> None:
    async with pg_db.unit_of_work() as s:
        await s.execute(text(
            "INSERT INTO outbox (event_id, topic, key, slot, event_type, headers, payload, created_at, published_at) "
            "SELECT gen_random_uuid(), 't', 'k', 0, 'x', '[]', '\\x00', now() - make_interval(days => d), "
            "CASE WHEN p THEN now() - make_interval(days => d) END "
            "FROM (VALUES (10, true), (10, false), (3, true)) AS v(d, p)"))
        await s.execute(text(
            "INSERT INTO inbox (consumer, event_id, event_type, status, topic, partition, \"offset\", received_at) "
            "SELECT 'g', gen_random_uuid(), 'x', st, 't', 0, 0, now() - make_interval(days => d) "
            "FROM (VALUES (40, 'processed'), (40, 'dead_lettered'), (20, 'processed')) AS v(d, st)"))
    assert await purge_once(pg_db, Retention(outbox_days=7, inbox_days=30)) == 2
    async with pg_db.unit_of_work() as s:
        outbox = (await s.execute(text(
            "SELECT extract(day FROM now() - created_at)::int, published_at IS NOT NULL FROM outbox ORDER BY 1, 2"
        ))).all()
        inbox = (await s.execute(text("SELECT status FROM inbox ORDER BY received_at"))).scalars().all()
    assert [tuple(r) for r in outbox] == [(3, True), (10, False)]  # the unpublished row is never purged
    assert inbox == ["dead_lettered", "processed"]
    assert await purge_once(pg_db, Retention(outbox_days=7, inbox_days=30)) == 0


async def _none_unpublished(db: Database) -> bool:
    return await unpublished(db) == 0


async def test_dead_letters_lost_with_the_broker_are_replayed_from_the_database(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    from o2c_common.kafka.dead_letters import list_dead_letters
    from o2c_common.tx import Tx

    from .helpers import issued
    from .test_consumer import publish

    bootstrap = own_broker.bootstrap_servers
    await create_topics(bootstrap)
    await create_totals(pg_db)
    event = issued(uuid.uuid4(), 1)
    await publish(bootstrap, [event])

    async def broken(tx: Tx, event: object) -> None:
        raise RuntimeError("not yet")

    async with consumer(pg_db, bootstrap, {InvoiceIssued: broken}, group="stored", max_attempts=1) as c:
        await eventually(lambda: _is(c.stats.dead_lettered == 1), message=f"{c.stats}")
    own_broker.stop()  # the dead-letter topic is gone with the broker's memory
    own_broker.start()
    await create_topics(bootstrap)
    assert await list_dead_letters(bootstrap, group="stored") == []

    runner = CliRunner()
    listed = await asyncio.to_thread(runner.invoke, cli, [
        "dlq", "list", "stored", "--service", "invoicing", "--database-url", pg_db.url, "--bootstrap", bootstrap],
        env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    assert "handler_failed" in listed.output and str(event.id) in listed.output
    replayed = await asyncio.to_thread(runner.invoke, cli, [
        "dlq", "replay", "stored", "--all", "--service", "invoicing", "--database-url", pg_db.url,
        "--bootstrap", bootstrap])
    assert replayed.exit_code == 0, replayed.output
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="stored") as c:  # fixed now
        await eventually(lambda: _is(c.stats.processed == 1), message=f"{c.stats}")
    assert await totals(pg_db) == (event.data.amount, 1)
    async with pg_db.unit_of_work() as s:
        assert (await s.execute(text("SELECT replayed_at IS NOT NULL FROM dead_letters"))).scalar_one() is True
