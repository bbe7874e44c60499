"""The remittance keys of a bank-file chunk are looked up by index (issue 16, bank-file booking): one GIN probe a
key, never a scan of every open item against the whole key list, and an index without a pending list that every
lookup would read whole."""

from __future__ import annotations

from typing import Any

from o2c_collections.receivables.repository import items_keyed
from services.collections.tests.conftest import Service

ITEMS = 3000


async def many_items(service: Service, prefix: str) -> None:
    """``ITEMS`` open items numbered ``prefix``-000001…, one closed, each updated once (as applying cash does)."""
    await service.execute(
        "INSERT INTO open_items (invoice_id, invoice_number, legal_entity, customer_id, currency, original_amount, "
        "open_amount, issue_date, due_date, status, entries) SELECT gen_random_uuid(), :p || '-' || "
        "lpad(n::text, 6, '0'), 'US01', :p || '-C' || (n % 300), 'USD', 100, 100, DATE '2026-01-01', "
        "DATE '2026-01-31', CASE WHEN n = 7 THEN 'closed' ELSE 'open' END, 1 FROM generate_series(1, :n) n",
        p=prefix, n=ITEMS)
    await service.execute("UPDATE open_items SET version = version + 1 WHERE invoice_number LIKE :p", p=f"{prefix}-%")
    await service.execute("ANALYZE open_items")


async def test_a_chunks_keys_find_the_items_they_name_by_index_probes(service: Service) -> None:
    await many_items(service, "KEYS")
    wanted = [f"KEYS-{n:06d}" for n in range(1, 2001)]
    named = await service.rows("SELECT match_keys[1] FROM open_items WHERE invoice_number = ANY(:n)", n=wanted)
    keys = [k for (k,) in named] + ["KEYS999999", "NOTANUMBER", named[0][0]]  # unknown keys, a key twice
    assert len(named) == len(wanted)

    async with service.db.unit_of_work() as session:
        found = [item.invoice_number for item in (await session.scalars(items_keyed(keys))).all()]
        statement = items_keyed(keys).compile(dialect=session.bind.dialect)
        connection: Any = await session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        plan = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN {statement}", sorted(set(keys))))

    assert sorted(found) == wanted  # the closed item too (it stops a match); each once, unknown keys nothing
    assert "ix_open_items_match_keys" in plan, plan
    assert "Seq Scan on open_items" not in plan, plan


async def test_the_key_index_has_no_pending_list(service: Service) -> None:
    options = await service.scalar(
        "SELECT reloptions FROM pg_class WHERE relname = 'ix_open_items_match_keys'")
    assert options == ["fastupdate=off"]
    await many_items(service, "PEND")
    pending = await service.rows("SELECT * FROM pg_catalog.gin_clean_pending_list(CAST(:i AS regclass))",
                                 i="ix_open_items_match_keys")
    assert pending == [(0,)]  # 3,000 inserts and 3,000 updates left nothing for a lookup to read unmerged
