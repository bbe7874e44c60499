"""``--pg-stats``: which statements PostgreSQL spent its time on during a measured load (``pg_stat_statements``,
preloaded in the bench's PostgreSQL only with this option). Execution time includes waiting for locks: a statement
whose mean is far above its neighbours' is waiting, not working (docs/performance.md, the issue's counter lock)."""

from __future__ import annotations

from typing import Any

import asyncpg

SETTINGS = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all"}

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


def rows(statements: list[dict[str, Any]]) -> list[list[str]]:
    return [[s["database"], f"{s['calls']:,}", f"{s['total_ms'] / 1000:,.2f}", f"{s['mean_ms']:,.3f}",
             s["query"][:90]] for s in statements]
