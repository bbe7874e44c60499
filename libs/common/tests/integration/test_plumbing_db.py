from sqlalchemy import text

from o2c_common.db import Database


async def test_fresh_database_has_plumbing_tables(pg_db: Database) -> None:
    async with pg_db.unit_of_work() as s:
        names = set((await s.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))).scalars())
    assert {"outbox", "inbox", "idempotency_keys", "audit_log"} <= names
