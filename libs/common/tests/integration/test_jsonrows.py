"""o2c_common.db.jsonrows: rows passed as one JSON parameter read back in PostgreSQL as the values sent — UUIDs,
text with quotes, backslashes and non-ASCII letters, decimals to the last digit (exponents and signs included),
dates, instants, integers beyond 32 bits and NULLs — through the real driver and database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import text

from o2c_common.db import Database
from o2c_common.db.jsonrows import json_rows, rows_of

COLUMNS = (("id", "uuid"), ("name", "text"), ("amount", "numeric"), ("day", "date"), ("at", "timestamptz"),
           ("n", "bigint"))
READ_BACK = text(f"SELECT id, name, amount, day, at, n FROM {rows_of('rows', COLUMNS)} AS x")


async def read_back(db: Database, rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    async with db.unit_of_work() as session:
        return [tuple(r) for r in (await session.execute(READ_BACK, {"rows": json_rows(rows)})).all()]


async def test_rows_read_back_as_sent(pg_db: Database) -> None:
    rows: list[tuple[object, ...]] = [
        (uuid.uuid4(), 'a "quoted" \\ back\\slash, {brace}, Zoë', Decimal("99999999999999.99"), date(2009, 12, 31),
         datetime(2026, 12, 4, 16, 30, 0, 123456, tzinfo=UTC), 2**40),
        (uuid.uuid4(), "", Decimal("-0.000001"), date(1970, 1, 1),
         datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=2))), -1),
        (uuid.uuid4(), None, None, None, None, None),
        (uuid.uuid4(), "e", Decimal("1E+2"), date(2024, 2, 29), datetime(2024, 2, 29, tzinfo=UTC), 0),
    ]

    got = await read_back(pg_db, rows)

    assert got == rows
    assert [r[2] for r in got] == [Decimal("99999999999999.99"), Decimal("-0.000001"), None, Decimal("100")]
    assert str(got[0][2]) == "99999999999999.99"  # as sent, not through a float


async def test_no_rows_read_back_as_none(pg_db: Database) -> None:
    assert await read_back(pg_db, []) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.decimals(allow_nan=False, allow_infinity=False, places=6,
                                    min_value=Decimal("-99999999999999"), max_value=Decimal("99999999999999")),
                        min_size=1, max_size=20),
       names=st.lists(st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12),
                      min_size=1, max_size=20))
async def test_any_decimal_and_text_reads_back_exactly(pg_db: Database, amounts: list[Decimal],
                                                       names: list[str]) -> None:
    rows: list[tuple[object, ...]] = [(uuid.uuid4(), name, amount, None, None, i)
                                      for i, (name, amount) in enumerate(zip(names, amounts, strict=False))]

    got = await read_back(pg_db, rows)

    assert [(r[1], r[2]) for r in got] == [(r[1], r[2]) for r in rows]
