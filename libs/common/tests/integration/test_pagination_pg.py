"""Keyset pagination against real PostgreSQL: every row exactly once, in order, across timestamp
ties, with the cursor round-tripping a timestamptz to the microsecond."""

from __future__ import annotations

from sqlalchemy import select

from o2c_common.audit import record_audit
from o2c_common.db import Database, audit_log_table
from o2c_common.http import PageRequest, build_page, decode_cursor, keyset_select

T = audit_log_table


async def walk(db: Database, *, limit: int, descending: bool) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None, cursor=cursor)
        statement = keyset_select(
            select(T.c.id, T.c.occurred_at, T.c.action).where(T.c.entity_type == "case"),
            page=page,
            order_by=(T.c.occurred_at, T.c.id),
            descending=descending,
        )
        async with db.unit_of_work() as session:
            rows = (await session.execute(statement)).all()
        result = build_page(rows, page=page, key=lambda r: (r.occurred_at, r.id), item=lambda r: r)
        assert len(result.items) <= limit
        seen += [(pages, row.id) for row in result.items]
        pages += 1
        cursor = result.next_cursor
        if cursor is None:
            return seen


async def test_pages_cover_every_row_once_in_order(pg_db: Database) -> None:
    # Three transactions → three distinct occurred_at values, each shared by several rows (ties on id).
    for batch in range(3):
        async with pg_db.unit_of_work() as session:
            for n in range(7):
                await record_audit(session, actor="a", action=f"b{batch}.{n}", entity_type="case", entity_id=str(n))
    async with pg_db.unit_of_work() as session:
        await record_audit(session, actor="a", action="noise", entity_type="invoice", entity_id="x")
        expected = (
            (await session.execute(select(T.c.id).where(T.c.entity_type == "case").order_by(T.c.occurred_at, T.c.id)))
            .scalars()
            .all()
        )
    assert len(expected) == 21

    ascending = await walk(pg_db, limit=4, descending=False)
    assert [row_id for _, row_id in ascending] == list(expected)
    assert ascending[-1][0] == 5  # 21 rows / 4 per page → 6 pages, no empty trailing page

    descending = await walk(pg_db, limit=5, descending=True)
    assert [row_id for _, row_id in descending] == list(reversed(expected))
