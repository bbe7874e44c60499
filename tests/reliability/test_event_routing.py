"""Events that survive change and refuse forgery (issue 15 item 3, issue 13 item 13), on the real broker.

* a type the group has no handler for (a ``v2`` next to ``v1``, a new event) is skipped and counted, never
  dead-lettered;
* an event whose ``ce_source`` is not its type's producer is refused: dead-lettered with the reason, its handler
  never runs, and the letter is kept in the consuming service's database too; so is one on another service's topic
  (a service may write its own topic only, but writes any ``ce_source`` header it likes);
* ``replay_dead_letters(..., group=G)`` re-delivers to G only: another group on the topic that dead-lettered the
  same event does not retry it.
"""

from __future__ import annotations

import base64
import uuid

from sqlalchemy import text

from o2c_cli.localstack import TansuBroker
from o2c_common.db import Database
from o2c_common.events import TOPICS, Event
from o2c_common.events.contracts.invoicing import InvoiceIssued
from o2c_common.kafka.dead_letters import list_dead_letters, replay_dead_letters
from o2c_common.tx import Tx

from .helpers import TOPIC, consumer, create_topics, eventually, issued
from .test_consumer import _is, add_to_total, create_totals, publish, totals


async def test_a_type_without_handler_is_skipped_and_counted_not_dead_lettered(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    bootstrap = await _ready(pg_db, own_broker)
    known = issued(uuid.uuid4(), 1)
    newer = issued(uuid.uuid4(), 2)
    v2 = [(k, b"o2c.invoice.issued.v2" if k == "ce_type" else v) for k, v in newer.headers()]
    unknown = [(k, b"o2c.invoice.teleported.v1" if k == "ce_type" else v) for k, v in newer.headers()]
    await _send_raw(bootstrap, [(newer.value(), v2), (b'{"whatever": 1}', unknown)])
    await publish(bootstrap, [known])
    skipped: list[tuple[str, str]] = []
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="routing") as c:
        c.lanes[0]._on_skipped = lambda group, type_, n: skipped.extend([(group, type_)] * n)
        await eventually(lambda: _is(c.stats.processed == 1 and c.stats.ignored == 2), message=f"{c.stats}")
        assert c.stats.dead_lettered == 0
    assert sorted(skipped) == [("routing", "o2c.invoice.issued.v2"), ("routing", "o2c.invoice.teleported.v1")]
    assert await list_dead_letters(bootstrap, group="routing") == []
    assert await _stored_letters(pg_db) == []


async def test_an_event_from_the_wrong_source_is_refused_and_moves_no_money(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    bootstrap = await _ready(pg_db, own_broker)
    genuine = issued(uuid.uuid4(), 1)
    forged = Event.new(issued(uuid.uuid4(), 2).data, source="/o2c/collections")  # invoices come from invoicing
    await publish(bootstrap, [forged, genuine])
    refused: list[tuple[str, str]] = []
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="routing") as c:
        c.lanes[0]._on_refused = lambda group, reason: refused.append((group, reason))
        await eventually(lambda: _is(c.stats.processed == 1 and c.stats.dead_lettered == 1), message=f"{c.stats}")
        assert c.stats.refused == 1
    assert refused == [("routing", "forged_source")]
    assert await totals(pg_db) == (genuine.data.amount, 1)  # the forged amount never counted
    [letter] = await list_dead_letters(bootstrap, group="routing")
    assert (letter.reason, letter.event_id) == ("forged_source", str(forged.id))
    assert "'/o2c/collections' is not '/o2c/invoicing'" in letter.error
    [stored] = await _stored_letters(pg_db)
    assert stored["event_id"] == forged.id and stored["reason"] == "forged_source"
    assert stored["event_type"] == "o2c.invoice.issued.v1" and stored["value"] == forged.value()
    headers = {k: base64.b64decode(v) for k, v in stored["headers"]}
    assert headers["ce_source"] == b"/o2c/collections" and headers["ce_id"] == str(forged.id).encode()
    async with pg_db.unit_of_work() as s:
        status = (await s.execute(text("SELECT status FROM inbox WHERE event_id = :e"), {"e": forged.id})).scalar()
    assert status == "dead_lettered"


async def test_an_event_on_another_services_topic_is_refused_whatever_its_ce_source(
    pg_db: Database, own_broker: TansuBroker
) -> None:
    bootstrap = await _ready(pg_db, own_broker)
    genuine = issued(uuid.uuid4(), 1)
    smuggled = issued(uuid.uuid4(), 2)  # ce_source /o2c/invoicing, written by whoever may write kpi's topic
    await _send_raw(bootstrap, [(smuggled.value(), smuggled.headers())], topic=TOPICS["kpi"])
    await publish(bootstrap, [genuine])
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="routing",
                        topics=(TOPICS["invoicing"], TOPICS["kpi"])) as c:
        await eventually(lambda: _is(c.stats.processed == 1 and c.stats.dead_lettered == 1), message=f"{c.stats}")
        assert c.stats.refused == 1
    assert await totals(pg_db) == (genuine.data.amount, 1)
    [letter] = await list_dead_letters(bootstrap, group="routing")
    assert (letter.reason, letter.event_id) == ("forged_source", str(smuggled.id))
    assert "published by invoicing, not on kpi's topic o2c.kpi.events" in letter.error


async def test_a_replay_reaches_only_the_group_it_is_for(pg_db: Database, own_broker: TansuBroker) -> None:
    bootstrap = await _ready(pg_db, own_broker)
    event = issued(uuid.uuid4(), 1)
    await publish(bootstrap, [event])

    async def broken(tx: Tx, event: Event[InvoiceIssued]) -> None:
        raise RuntimeError("not yet")

    for group in ("group-a", "group-b"):  # both dead-letter the event
        async with consumer(pg_db, bootstrap, {InvoiceIssued: broken}, group=group, max_attempts=1) as c:
            await eventually(lambda c=c: _is(c.stats.dead_lettered == 1), message=f"{c.stats}")
    letters = await list_dead_letters(bootstrap, group="group-a")
    assert [d.event_id for d in letters] == [str(event.id)]
    await replay_dead_letters(bootstrap, letters, group="group-a")

    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="group-b") as b:
        await eventually(lambda: _is(b.stats.others_replays == 1), message=f"{b.stats}")
        assert b.stats.processed == 0  # group-b's own letter waits for a replay of its own
    assert await totals(pg_db) == (0, 0)
    async with consumer(pg_db, bootstrap, {InvoiceIssued: add_to_total}, group="group-a") as a:
        await eventually(lambda: _is(a.stats.processed == 1), message=f"{a.stats}")
    assert await totals(pg_db) == (event.data.amount, 1)


async def _ready(db: Database, broker: TansuBroker) -> str:
    """The services' topics on the test's own broker and the totals table; the broker's bootstrap address."""
    await create_topics(broker.bootstrap_servers)
    await create_totals(db)
    return broker.bootstrap_servers


async def _send_raw(bootstrap: str, records: list[tuple[bytes, list[tuple[str, bytes]]]], *,
                    topic: str = TOPIC) -> None:
    from .helpers import producer_factory

    producer = producer_factory(bootstrap)()
    await producer.start()
    try:
        for value, headers in records:
            await producer.send_and_wait(topic, value, key=b"k", headers=headers)
    finally:
        await producer.stop()


async def _stored_letters(db: Database) -> list[dict[str, object]]:
    async with db.unit_of_work() as s:
        rows = await s.execute(text("SELECT * FROM dead_letters ORDER BY id"))
        return [dict(r._mapping) for r in rows]
