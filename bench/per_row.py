"""A history row's cost ledger (``python -m bench history``): what each service did and spent for one row.

Per row, over the run: each process's CPU in ms; each service's events published, handled and left unread (from
its ``/metrics``); and, with ``--pg-stats``, its database's transactions, statements and rows inserted, updated and
deleted (``pg_stat_database``, ``pg_stat_statements``), and the WAL records. The budget it is read against: 2,000
rows/s on two cores leaves 1 ms of CPU a row for every process together (docs/performance.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx

from bench.infra import gauge_total

EVENT_COUNTERS = {"out": "events_published_total{", "read": "events_consumed_total{", "unread": "events_skipped_total{"}
"""Each service's events: published by its relay, read by its groups' lanes (each lane counts each record it is
served, duplicates included), left unread by a lane (not its business)."""

_DATABASES = """
SELECT d.datname AS database, d.xact_commit AS transactions, d.tup_inserted AS inserted, d.tup_updated AS updated,
       d.tup_deleted AS deleted{statements}
FROM pg_stat_database d WHERE d.datname LIKE 'o2c_%'
"""
_STATEMENTS = ", (SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s WHERE s.dbid = d.datid) AS statements"
"""Statements run (nested ones included: ``pg_stat_statements.track`` is ``all`` with ``--pg-stats``)."""
_TABLES = "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
STATS_FLUSH_S = 1.5
"""A backend reports its counts to ``pg_stat_database`` at most once a second: the last ones wait that long."""


async def event_counts(urls: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each service's event counters now (their processes count from their start)."""
    out: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(timeout=5) as client:
        for name, url in urls.items():
            try:
                text = (await client.get(f"{url}/metrics")).text
            except httpx.HTTPError:
                continue
            out[name] = {key: gauge_total(text, counter) for key, counter in EVENT_COUNTERS.items()}
    return out


async def database_counts(dsn: str | None, *, settle: bool = False) -> dict[str, dict[str, int]] | None:
    """Each service database's transactions, statements and rows written so far (None without ``--pg-stats``)."""
    if dsn is None:
        return None
    if settle:
        await asyncio.sleep(STATS_FLUSH_S)
    conn = await asyncpg.connect(dsn)
    try:
        tracked = await conn.fetchval("SELECT to_regclass('pg_stat_statements') IS NOT NULL")
        query = _DATABASES.format(statements=_STATEMENTS if tracked else "")
        return {r["database"].removeprefix("o2c_"): {k: int(v) for k, v in dict(r).items() if k != "database"}
                for r in await conn.fetch(query)}
    finally:
        await conn.close()


async def table_counts(dsn: str | None, databases: list[str], *, settle: bool = False) -> dict[str, int] | None:
    """Rows inserted, updated and deleted so far in each table of the services' databases, by ``service.table``."""
    if dsn is None:
        return None
    if settle:
        await asyncio.sleep(STATS_FLUSH_S)
    out: dict[str, int] = {}
    for database in databases:
        conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + f"/o2c_{database}")
        try:
            for r in await conn.fetch(_TABLES):
                out[f"{database}.{r['relname']}"] = r["n_tup_ins"] + r["n_tup_upd"] + r["n_tup_del"]
        finally:
            await conn.close()
    return out


def tables(before: dict[str, int] | None, after: dict[str, int] | None, *, rows: int,
           least: float = 0.5) -> list[tuple[str, float]]:
    """The tables with at least ``least`` rows written (inserted, updated or deleted) a history row, most first."""
    if before is None or after is None:
        return []
    written = ((name, (count - before.get(name, 0)) / rows) for name, count in after.items())
    return sorted(((name, n) for name, n in written if n >= least), key=lambda item: -item[1])


def ledger(*, rows: int, seconds: float, cpu: dict[str, float], events: tuple[dict[str, Any], dict[str, Any]],
           databases: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> list[dict[str, Any]]:
    """One line a process: its CPU and its service's counts over the run, each divided by the rows."""
    before_events, after_events = events
    before_db, after_db = databases
    lines = []
    for name, percent in sorted(cpu.items(), key=lambda kv: -kv[1]):
        line: dict[str, Any] = {"process": name, "cpu ms": percent / 100 * seconds * 1000 / rows}
        if name in after_events:
            counts = {key: (after_events[name][key] - before_events.get(name, {}).get(key, 0.0)) / rows
                      for key in EVENT_COUNTERS}
            line |= {"out": counts["out"], "handled": counts["read"] - counts["unread"], "unread": counts["unread"]}
        if after_db and name in after_db:
            line |= {key: (value - (before_db or {}).get(name, {}).get(key, 0)) / rows
                     for key, value in after_db[name].items()}
        lines.append(line)
    return lines


COLUMNS = ("cpu ms", "out", "handled", "unread", "transactions", "statements", "inserted", "updated", "deleted")


def table(lines: list[dict[str, Any]]) -> list[str]:
    """The ledger as text lines: a header and a line a process ("-" where a count does not apply)."""
    out = [f"  {'process':<13}" + "".join(f"{c:>13}" for c in COLUMNS)]
    for line in lines:
        out.append(f"  {line['process'].split(' (')[0]:<13}" + "".join(
            f"{line[c]:>13.2f}" if c in line else f"{'-':>13}" for c in COLUMNS))
    machine = next((line["cpu ms"] for line in lines if line["process"].startswith("machine")), None)
    if machine is not None:
        out.append(f"  the machine: {machine:.2f} ms of CPU a row; 2,000 rows/s on two cores leaves 1 ms at most")
    return out
