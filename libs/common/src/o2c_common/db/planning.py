"""Statements planned by their indexes whatever the statistics say.

A bulk load grows a table faster than autovacuum's ANALYZE follows it. On a table thought to be small, the planner
picks a sequential scan for ``customer_id = ANY(<hundreds of ids>)`` and compares every row with the whole array:
in the history run, 90,000 open items against 476 payers, 55 to 300 ms a payment chunk
(docs/performance.md). :func:`planned_by_index` turns sequential scans off for a block of the transaction only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_BEFORE = text("SELECT current_setting('enable_seqscan')")
_SET = text("SELECT set_config('enable_seqscan', :value, true)")


@asynccontextmanager
async def planned_by_index(connection: AsyncConnection) -> AsyncIterator[None]:
    """The block's statements planned without sequential scans; the setting as it was after the block. Local to the
    transaction: a block that fails leaves it to the rollback, which undoes it."""
    before = (await connection.execute(_BEFORE)).scalar_one()
    await connection.execute(_SET, {"value": "off"})
    yield
    await connection.execute(_SET, {"value": before})
