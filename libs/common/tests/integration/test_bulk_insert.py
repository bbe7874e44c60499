"""o2c_common.db.bulk.insert_rows: rows written by COPY store what SQLAlchemy's own insert stores, in the order given,
with JSON lists kept as JSON and enums as SQLAlchemy writes them, inside the caller's transaction; a violated
constraint raised as SQLAlchemy raises it, and a Python-only default refused; update_rows sets each row's values on
the row of its key, and on no other; insert_new_rows writes the rows whose key is free, by one statement of one text
whatever their number."""

from __future__ import annotations

import enum
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import JSON, Column, Enum, Integer, MetaData, Numeric, String, Table, Uuid, event, insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from o2c_common.db import Database
from o2c_common.db.bulk import insert_new_rows, insert_rows, update_rows, update_statement


class Mood(enum.Enum):
    CALM = "calm"
    CROSS = "cross"


metadata = MetaData()
things = Table(
    "bulk_things", metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("name", String(20), nullable=False),
    Column("amount", Numeric(20, 6), nullable=False),
    Column("evidence", JSON, nullable=True),
    Column("extra", JSONB, nullable=True),
    Column("state", String(10), nullable=False, default="new", server_default="new"),
    Column("mood", Enum(Mood, name="bulk_mood"), nullable=True),
)
python_default = Table("bulk_python_default", metadata, Column("id", Uuid, primary_key=True, default=uuid.uuid4),
                       Column("name", String(20)))
moods = Table("bulk_moods", metadata, Column("n", Integer, primary_key=True, autoincrement=True),
              Column("mood", Enum(Mood, name="bulk_mood"), nullable=False))


def row(name: str, **values: object) -> dict[str, object]:
    return {"id": uuid.uuid4(), "name": name, "amount": Decimal("12.50"),
            "evidence": [{"field": "remittance[0]", "why": name}, {"field": "amount"}], "extra": {"k": [1, 2]},
            **values}


async def stored(db: Database) -> list[tuple[object, ...]]:
    async with db.unit_of_work() as session:
        query = select(things.c.id, things.c.name, things.c.amount, things.c.evidence, things.c.extra, things.c.state,
                       things.c.mood)
        return [tuple(r) for r in (await session.execute(query.order_by(things.c.n))).all()]


@pytest.fixture
async def db(pg_db: Database) -> Database:
    async with pg_db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return pg_db


async def test_the_rows_are_those_sqlalchemys_insert_writes_in_the_order_given(db: Database) -> None:
    rows = [row(f"r{n}", mood=Mood.CROSS) for n in range(5)] + [row("nulls", evidence=None, extra=None, mood=None)]
    async with db.unit_of_work() as session:
        await insert_rows(session, things, rows)
    bulk = await stored(db)
    async with db.unit_of_work() as session:
        await session.execute(text("TRUNCATE bulk_things"))
        await session.execute(insert(things), [dict(r) for r in rows])
    assert bulk == await stored(db)
    assert [r[1] for r in bulk] == ["r0", "r1", "r2", "r3", "r4", "nulls"]
    assert bulk[0][3] == [{"field": "remittance[0]", "why": "r0"}, {"field": "amount"}] and bulk[0][5] == "new"
    assert bulk[0][6] is Mood.CROSS and bulk[5][6] is None
    async with db.unit_of_work() as session:
        assert (await session.execute(text("SELECT mood::text FROM bulk_things LIMIT 1"))).scalar() == "CROSS"


async def test_a_copy_is_one_statement_to_the_engines_listeners(db: Database) -> None:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.unit_of_work() as session:
            await insert_rows(session, things, [row("a"), row("b")])
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert [s for s in seen if "bulk_things" in s] == [
        "COPY bulk_things (id, name, amount, evidence, extra) FROM STDIN (FORMAT binary)"]


async def test_rows_of_one_column_are_bind_processed_too(db: Database) -> None:
    async with db.unit_of_work() as session:
        await insert_rows(session, moods, [{"mood": Mood.CALM}, {"mood": Mood.CROSS}])
        stored_moods = (await session.execute(text("SELECT mood::text FROM bulk_moods"))).scalars().all()
    assert sorted(stored_moods) == ["CALM", "CROSS"]


async def test_rows_copied_first_in_a_transaction_are_rolled_back_with_it(db: Database) -> None:
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with db.unit_of_work() as session:
            await insert_rows(session, things, [row("first of all")])
            raise RuntimeError("changed my mind")
    assert await stored(db) == []


async def test_a_violated_constraint_is_sqlalchemys_integrity_error_and_the_savepoint_keeps_the_rest(
        db: Database) -> None:
    first = row("first")
    async with db.unit_of_work() as session:
        await insert_rows(session, things, [first])
        with pytest.raises(IntegrityError, match="bulk_things_id_key"):
            async with session.begin_nested():
                await insert_rows(session, things, [row("fine"), {**row("clash"), "id": first["id"]}])
        await insert_rows(session, things, [row("after")])
    assert [r[1] for r in await stored(db)] == ["first", "after"]


async def test_an_empty_list_writes_nothing(db: Database) -> None:
    async with db.unit_of_work() as session:
        await insert_rows(session, things, [])
    assert await stored(db) == []


async def test_a_column_whose_default_only_python_knows_may_not_be_left_out(db: Database) -> None:
    async with db.unit_of_work() as session:
        with pytest.raises(ValueError, match="leave out id, whose default only Python knows"):
            await insert_rows(session, python_default, [{"name": "x"}])
        await insert_rows(session, things, [{"id": uuid.uuid4(), "name": "n", "amount": 1}])  # state: the database's
    assert [r[5] for r in await stored(db)] == ["new"]


async def test_updated_rows_take_their_values_by_key_and_the_others_keep_theirs(db: Database) -> None:
    rows = [row(f"r{n}") for n in range(4)]
    async with db.unit_of_work() as session:
        await insert_rows(session, things, rows)
    changes = [{"id": rows[2]["id"], "amount": Decimal("0.01"), "evidence": [{"field": "changed"}], "state": "done"},
               {"id": rows[0]["id"], "amount": Decimal("-3"), "evidence": None, "state": "half"},
               {"id": uuid.uuid4(), "amount": Decimal("9"), "evidence": [], "state": "nobody"}]
    async with db.unit_of_work() as session:
        assert await update_rows(session, things, changes, key="id") == 2
        assert await update_rows(session, things, [], key="id") == 0
    after = {r[0]: r for r in await stored(db)}
    assert after[rows[2]["id"]][2:6] == (Decimal("0.01"), [{"field": "changed"}], {"k": [1, 2]}, "done")
    assert after[rows[0]["id"]][2:6] == (Decimal("-3"), None, {"k": [1, 2]}, "half")
    for untouched in (rows[1], rows[3]):
        assert after[untouched["id"]][2:6] == (Decimal("12.50"), untouched["evidence"], {"k": [1, 2]}, "new")
    assert len(after) == 4


def test_an_update_needs_its_key_among_the_columns() -> None:
    with pytest.raises(ValueError, match="lack their key id"):
        update_statement(things, ("name", "amount"), "id")


async def test_new_rows_go_in_by_one_statement_of_one_text_and_a_taken_key_is_left_alone(db: Database) -> None:
    first = row("first")
    async with db.unit_of_work() as session:
        await insert_rows(session, things, [first])
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    batches = [[row("a"), {**row("clash"), "id": first["id"]}, row("nulls", evidence=None, extra=None)],
               [row("b")], [row(f"c{n}") for n in range(5)]]
    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with db.unit_of_work() as session:
            inserted = [await insert_new_rows(session, things, batch, key="id") for batch in batches]
            assert await insert_new_rows(session, things, [], key="id") == []
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert inserted == [[batches[0][0]["id"], batches[0][2]["id"]], [batches[1][0]["id"]],
                        [r["id"] for r in batches[2]]]
    assert len(seen) == 3 and len(set(seen)) == 1, seen  # the text does not depend on the number of rows
    after = await stored(db)
    assert [r[1] for r in after] == ["first", "a", "nulls", "b", "c0", "c1", "c2", "c3", "c4"]  # not "clash"
    assert after[1][2:6] == (Decimal("12.50"), [{"field": "remittance[0]", "why": "a"}, {"field": "amount"}],
                             {"k": [1, 2]}, "new")
    assert after[2][3:5] == (None, None)
