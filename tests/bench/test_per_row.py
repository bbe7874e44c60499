"""The history bench's cost ledger: each process's CPU and its service's counts over a run, divided by the rows."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from bench.per_row import database_counts, ledger, table, table_counts, tables
from o2c_cli.testing import Infra


def test_the_ledger_divides_each_process_figures_over_the_run_by_the_rows() -> None:
    lines = ledger(
        rows=10_000, seconds=10.0, cpu={"machine (100% = one core)": 150.0, "kpi": 20.0, "tansu": 5.0},
        events=({"kpi": {"out": 0.0, "read": 30.0, "unread": 10.0}},
                {"kpi": {"out": 0.0, "read": 180_030.0, "unread": 120_010.0}}),
        databases=({"kpi": {"transactions": 5, "statements": 0, "inserted": 100, "updated": 0, "deleted": 0}},
                   {"kpi": {"transactions": 205, "statements": 800, "inserted": 150_100, "updated": 25_000,
                            "deleted": 0}}))
    by_process = {line["process"]: line for line in lines}
    assert by_process["machine (100% = one core)"]["cpu ms"] == pytest.approx(1.5)  # 1.5 cores for 10 s, 10,000 rows
    assert by_process["kpi"] == pytest.approx({
        "process": "kpi", "cpu ms": 0.2, "out": 0.0, "handled": 6.0, "unread": 12.0, "transactions": 0.02,
        "statements": 0.08, "inserted": 15.0, "updated": 2.5, "deleted": 0.0})
    assert set(by_process["tansu"]) == {"process", "cpu ms"}  # no service behind it: no counts
    text = table(lines)
    assert text[-1] == "  the machine: 1.50 ms of CPU a row; 2,000 rows/s on two cores leaves 1 ms at most"
    assert text[2].split() == ["kpi", "0.20", "0.00", "6.00", "12.00", "0.02", "0.08", "15.00", "2.50", "0.00"]
    assert text[3].split()[1:] == ["0.05", *["-"] * 8]


async def test_rows_written_by_table_and_database_over_a_run(infra: Infra) -> None:
    service = f"ledger_{uuid.uuid4().hex[:8]}"
    await infra.create_database(f"o2c_{service}")
    admin = infra.admin_dsn()
    dsn = infra.database_url(f"o2c_{service}").replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("CREATE TABLE items (id int PRIMARY KEY, n int)")
        finally:
            await conn.close()
        tables_before = await table_counts(admin, [service], settle=True)
        databases_before = await database_counts(admin)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("INSERT INTO items SELECT i, 0 FROM generate_series(1, 40) AS i")
            await conn.execute("UPDATE items SET n = 1 WHERE id <= 10")
        finally:
            await conn.close()  # a closing backend reports its counts
        written = tables(tables_before, await table_counts(admin, [service], settle=True), rows=10)
        databases_after = await database_counts(admin, settle=True)
    finally:
        await infra.drop_database(f"o2c_{service}")
    assert written == [(f"{service}.items", 5.0)]  # 40 inserted and 10 updated, over 10 rows
    assert databases_before is not None and databases_after is not None
    before, after = databases_before.get(service, {}), databases_after[service]
    assert (after["inserted"] - before.get("inserted", 0), after["updated"] - before.get("updated", 0)) == (40, 10)
    assert await table_counts(None, [service]) is None and tables(None, None, rows=1) == []
