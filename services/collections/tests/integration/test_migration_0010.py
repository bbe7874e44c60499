"""Migration 0010 on a database with history: entries numbered per invoice, the running figures and the links of
old write-offs backfilled, the tolerance kind renamed, an account's e-mail kept as its dunning contact, the dispute
write-off amount recovered, the default dunning policies and templates seeded."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from o2c_cli.testing import Infra
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade

SERVICE = Path(__file__).resolve().parents[2]


async def test_history_is_numbered_and_totalled(infra: Infra) -> None:
    name = f"col_m10_{uuid.uuid4().hex[:8]}"
    url = await infra.create_database(name)
    db = Database(url, pool_size=1)
    inv, dispute = uuid.uuid4(), uuid.uuid4()
    try:
        await asyncio.to_thread(upgrade, SERVICE, url, "0009")
        async with db.unit_of_work() as session:
            await session.execute(text(
                "INSERT INTO open_items (invoice_id, invoice_number, legal_entity, customer_id, currency, "
                "original_amount, open_amount, disputed_amount, issue_date, due_date, status, version) VALUES "
                "(:i, 'INV-H1', 'US01', 'C1', 'USD', 1000, 0, 0, '2026-01-01', '2026-01-31', 'closed', 4)"), {"i": inv})
            for kind, amount, note in (("invoice", 1000, None), ("payment", -900, None), ("tolerance", -3.15, None),
                                       ("write_off", -96.85, f"dispute {dispute} written off")):
                await session.execute(text(
                    "INSERT INTO ledger_entries (invoice_id, kind, amount, effective_date, customer_id, legal_entity, "
                    "currency, due_date, note) VALUES (:i, :k, :a, '2026-02-01', 'C1', 'US01', 'USD', '2026-01-31', "
                    ":n)"), {"i": inv, "k": kind, "a": amount, "n": note})
            await session.execute(text(
                "INSERT INTO disputes (id, invoice_id, legal_entity, customer_id, currency, amount, reason, source, "
                "status, outcome, opened_date, version) VALUES (:d, :i, 'US01', 'C1', 'USD', 96.85, 'quality', "
                "'collector', 'resolved', 'written_off', '2026-01-15', 2)"), {"d": dispute, "i": inv})
            await session.execute(text("INSERT INTO accounts (customer_id, name, email) VALUES "
                                       "('C1', 'Acme', 'ap@acme.example')"))
        await asyncio.to_thread(upgrade, SERVICE, url)
        async with db.unit_of_work() as session:
            entries = (await session.execute(text(
                "SELECT sequence, kind, reason, dispute_id FROM ledger_entries ORDER BY sequence"))).all()
            assert entries == [(1, "invoice", None, None), (2, "payment", None, None),
                               (3, "tolerance_write_off", "tolerance", None), (4, "write_off", "dispute", dispute)]
            item = (await session.execute(text(
                "SELECT entries, cash_applied_amount, credited_amount, written_off_amount, open_amount "
                "FROM open_items"))).one()
            assert item == (4, Decimal(900), Decimal(0), Decimal("100.00"), Decimal(0))
            assert (await session.execute(text("SELECT written_off_amount FROM disputes"))).scalar() == Decimal(
                "96.85")
            contacts = (await session.execute(text("SELECT dunning_contacts, language FROM accounts"))).one()
            assert contacts == ([{"name": "Acme", "email": "ap@acme.example", "language": None, "role": "dunning"}],
                                "en")
            policies = (await session.execute(text("SELECT id FROM dunning_policies ORDER BY id"))).scalars().all()
            assert policies == ["key_account", "standard"]
            assert (await session.execute(text("SELECT count(*) FROM dunning_templates WHERE language = 'de'"))
                    ).scalar() == 4
    finally:
        await db.dispose()
        await infra.drop_database(name)
