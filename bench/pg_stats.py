"""``--pg-stats``: which statements PostgreSQL spent its time on during a measured load (``pg_stat_statements``,
preloaded in the bench's PostgreSQL only with this option). Execution time includes waiting for locks: a statement
whose mean is far above its neighbours' is waiting, not working (docs/performance.md, the issue's counter lock)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import asyncpg

SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all"}
WAL_KEPT = {"wal_keep_size": "64GB"}
"""``--wal-by-relation``: the run's WAL stays on disk until it is read (a checkpoint recycles it otherwise)."""

_TOP = """
SELECT d.datname AS database, s.calls, s.total_exec_time AS total_ms, s.mean_exec_time AS mean_ms,
       regexp_replace(left(s.query, 200), '\\s+', ' ', 'g') AS query
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname LIKE 'o2c_%' ORDER BY s.total_exec_time DESC LIMIT $1
"""


async def reset(dsn: str | None) -> None:
    """Counts from now on (nothing without ``--pg-stats``)."""
    if dsn is None:
        return
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await conn.fetchval("SELECT pg_stat_statements_reset()")
    finally:
        await conn.close()


async def top(dsn: str | None, n: int = 12) -> list[dict[str, Any]] | None:
    """The services' ``n`` statements with the most execution time since :func:`reset` (None without ``--pg-stats``)."""
    if dsn is None:
        return None
    conn = await asyncpg.connect(dsn)
    try:
        return [{"database": r["database"].removeprefix("o2c_"), "calls": r["calls"],
                 "total_ms": round(r["total_ms"], 1), "mean_ms": round(r["mean_ms"], 3), "query": r["query"]}
                for r in await conn.fetch(_TOP, n)]
    finally:
        await conn.close()


_WAL = """
SELECT w.wal_records, w.wal_fpi, w.wal_bytes, c.num_timed, c.num_requested, c.buffers_written,
       pg_current_wal_insert_lsn() - '0/0' AS lsn
FROM pg_stat_wal w, pg_stat_checkpointer c
"""


async def wal(dsn: str | None) -> dict[str, int] | None:
    """WAL written and checkpoints taken since the server started (None without ``--pg-stats``): full-page images
    follow each checkpoint, so a write-heavy run that checkpoints often writes far more WAL than its rows."""
    if dsn is None:
        return None
    conn = await asyncpg.connect(dsn)
    try:
        return {key: int(value) for key, value in dict(await conn.fetchrow(_WAL)).items()}
    finally:
        await conn.close()


_WAL_BY_RELATION = """
SELECT reldatabase, relfilenode, count(*) AS records, sum(block_fpi_length) AS fpi_bytes,
       sum(block_data_length) + sum(main_data_length) AS data_bytes
FROM pg_get_wal_block_info(CAST($1 AS pg_lsn), CAST($2 AS pg_lsn), false)
WHERE relforknumber = 0
GROUP BY 1, 2 ORDER BY records DESC LIMIT $3
"""


async def wal_by_relation(dsn: str | None, before: dict[str, int], after: dict[str, int],
                          n: int = 15) -> list[dict[str, Any]] | None:
    """The relations whose blocks the most WAL records touched between two :func:`wal` readings (a record
    that changes an index and its table counts for each), with their names; pg_walinspect reads the WAL itself."""
    if dsn is None:
        return None
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        found = await conn.fetch(_WAL_BY_RELATION, before["lsn"], after["lsn"], n)
        names = {r["oid"]: r["datname"] for r in await conn.fetch("SELECT oid, datname FROM pg_database")}
    finally:
        await conn.close()
    relations: dict[tuple[int, int], str] = {}
    for database_oid in {row["reldatabase"] for row in found}:  # one connection and query per database
        database = names.get(database_oid, "")
        if database.startswith("o2c_"):
            db = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/" + database)
            try:
                relations |= {(database_oid, r[0]): r[1] for r in await db.fetch(
                    "SELECT pg_relation_filenode(oid), relname FROM pg_class WHERE pg_relation_filenode(oid) = "
                    "ANY($1::oid[])", [row["relfilenode"] for row in found if row["reldatabase"] == database_oid])}
            finally:
                await db.close()
    return [{"database": names.get(row["reldatabase"], "?").removeprefix("o2c_"),
             "relation": relations.get((row["reldatabase"], row["relfilenode"]), str(row["relfilenode"])),
             "records": row["records"], "fpi MiB": round((row["fpi_bytes"] or 0) / 2**20, 1),
             "data MiB": round((row["data_bytes"] or 0) / 2**20, 1)} for row in found]


def wal_line(before: dict[str, int], after: dict[str, int]) -> str:
    d = {key: after[key] - before[key] for key in after if key != "lsn"}
    return (f"WAL {d['wal_bytes'] / 2**20:,.0f} MiB in {d['wal_records']:,} records, {d['wal_fpi']:,} full-page "
            f"images; checkpoints {d['num_timed']} timed, {d['num_requested']} requested, "
            f"{d['buffers_written']:,} buffers written")


def rows(statements: list[dict[str, Any]]) -> list[list[str]]:
    return [[s["database"], f"{s['calls']:,}", f"{s['total_ms'] / 1000:,.2f}", f"{s['mean_ms']:,.3f}",
             s["query"][:90]] for s in statements]


_ACTIVITY = """
SELECT datname, state, wait_event_type, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 48) AS query
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid() AND datname LIKE 'o2c_%'
"""


class Waits:
    """Where the services' transactions are during a load, from ``pg_stat_activity`` sampled every ``interval``
    seconds: running, waiting for a lock (in which statement), on I/O, or idle in a transaction while the service's
    own code runs (after which statement; a lock taken by that statement is held meanwhile)."""

    def __init__(self, dsn: str | None, interval: float = 0.01) -> None:
        self._dsn, self._interval = dsn, interval
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self._samples = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._dsn is not None:
            self._task = asyncio.create_task(self._run(await asyncpg.connect(self._dsn)))

    async def _run(self, conn: asyncpg.Connection) -> None:
        try:
            while True:
                self._counts.update((row["datname"].removeprefix("o2c_"), *_where(row))
                                    for row in await conn.fetch(_ACTIVITY))
                self._samples += 1
                await asyncio.sleep(self._interval)
        finally:
            await conn.close()

    async def stop(self, n: int = 12) -> list[dict[str, Any]] | None:
        """The ``n`` places with the most backends on average (None without ``--pg-stats``)."""
        if self._task is None:
            return None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return [{"database": db, "where": where, "statement": statement,
                 "backends": round(count / max(self._samples, 1), 3)}
                for (db, where, statement), count in self._counts.most_common(n)]


def _where(row: Any) -> tuple[str, str]:
    if row["state"] == "idle in transaction":
        return "in a transaction, waiting for the service, after", row["query"]
    if row["wait_event_type"] == "Lock":
        return f"waiting for a lock ({row['wait_event']})", row["query"]
    if row["wait_event_type"]:
        return f"{row['wait_event_type']}: {row['wait_event']}", ""
    return "running", ""


def wait_rows(places: list[dict[str, Any]]) -> list[list[str]]:
    return [[p["database"], f"{p['backends']:.2f}", p["where"], p["statement"]] for p in places]
