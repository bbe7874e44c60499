"""Phase (b) of ``python -m bench.kpi``: GET /kpis latency over a history bulk-loaded into the read models (the
module doc of ``bench.kpi`` says what is loaded and asked)."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.infra import Stats
from o2c_cli.testing import Infra, bearer, serving
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade
from o2c_kpi.config import KpiSettings
from o2c_kpi.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "kpi"

LOAD = [
    """INSERT INTO kpi_ar_invoices (invoice_id, legal_entity, currency, customer_id, owning_team, issue_date, due_date,
                                    amount)
       SELECT CAST(md5('inv' || g) AS uuid), CASE WHEN g % 4 = 0 THEN 'DE01' ELSE 'US01' END,
              CASE WHEN g % 4 = 0 THEN 'EUR' ELSE 'USD' END, 'C' || lpad(CAST(g % 20000 AS text), 5, '0'),
              'team-' || (g % 8), d, d + (30 + 15 * (g % 3)),
              round(100 + (CAST(g AS bigint) * 7919) % 990000 / 100.0, 2)
       FROM (SELECT g, DATE '2023-01-01' + (g % 1096) AS d FROM generate_series(1, :n) AS g) AS s""",
    """INSERT INTO receivable_movements (event_id, line, invoice_id, customer_id, legal_entity, currency, kind, amount,
                                         effective_date, resolved)
       SELECT invoice_id, 0, invoice_id, customer_id, legal_entity, currency, 'invoice', amount, issue_date, true
       FROM kpi_ar_invoices""",
    """INSERT INTO receivable_movements (event_id, line, invoice_id, customer_id, legal_entity, currency, kind, amount,
                                         effective_date, resolved)
       SELECT CAST(md5('pay' || invoice_id) AS uuid), 0, invoice_id, customer_id, legal_entity, currency, 'cash',
              -amount, due_date + (abs(hashtext(CAST(invoice_id AS text))) % 80 - 20), true
       FROM kpi_ar_invoices WHERE abs(hashtext(CAST(invoice_id AS text))) % 10 <> 0""",
    # the roll-ups: the aggregation o2c_kpi.facts.repository.ROLL_UP performs, over every movement at once
    """INSERT INTO kpi_ar_daily_total (legal_entity, currency, owning_team, day, kind, amount, due_weight)
       SELECT i.legal_entity, i.currency, i.owning_team, m.effective_date, m.kind, sum(m.amount),
              sum(m.amount * (i.due_date - DATE '2000-01-01'))
       FROM receivable_movements AS m JOIN kpi_ar_invoices AS i USING (invoice_id) GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO kpi_ar_daily (legal_entity, currency, owning_team, day, due_date, kind, amount)
       SELECT i.legal_entity, i.currency, i.owning_team, m.effective_date, i.due_date, m.kind, sum(m.amount)
       FROM receivable_movements AS m JOIN kpi_ar_invoices AS i USING (invoice_id) GROUP BY 1, 2, 3, 4, 5, 6""",
]

AR = "dso,count_back_dso,best_possible_dso,add,cei,aging,ar_balance,current_ar,credit_sales"
QUERIES: dict[str, dict[str, str]] = {
    "DSO family + CEI + aging, month, USD": {"names": AR, "period": "month", "currency": "USD"},
    "same, quarter, entity US01": {"names": AR, "period": "quarter", "legal_entity": "US01"},
    "same, month, one team": {"names": AR, "period": "month", "currency": "USD", "team": "team-3"},
    "same, month, one customer": {"names": AR, "period": "month", "customer_id": "C00042"},
    "count-back DSO, week, all": {"names": "count_back_dso", "period": "week"},
    "every KPI, month, all": {"period": "month"},
}


async def query_phase(infra: Infra, invoices: int, repeats: int) -> dict[str, Any]:
    url = await infra.create_database("o2c_kpi_bench_queries")
    await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    db = Database(url, pool_size=4)
    try:
        started = time.perf_counter()
        async with db.unit_of_work() as s:
            for statement in LOAD:
                await s.execute(text(statement), {"n": invoices} if ":n" in statement else {})
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        load_s = time.perf_counter() - started
        async with db.unit_of_work() as s:
            rows = {t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                    for t in ("kpi_ar_invoices", "receivable_movements", "kpi_ar_daily_total", "kpi_ar_daily")}
    finally:
        await db.dispose()
    settings = KpiSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, run_workers=False,
                           log_json=False, log_level="WARNING", environment="test")
    app = create_app(settings)
    rng = random.Random(11)
    timings: dict[str, list[float]] = {name: [] for name in QUERIES}
    headers = bearer("bench", "viewer")
    async with serving(app, base_url="http://kpi") as client:
        order = [name for name in QUERIES for _ in range(repeats)]
        rng.shuffle(order)
        for name in order:
            day = date(2023, 3, 1) + timedelta(days=rng.randrange(1000))
            params = {**QUERIES[name], "date": day.isoformat()}
            t0 = time.perf_counter()
            response = await client.get("/kpis", params=params, headers=headers)
            timings[name].append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text
    every = [t for ts in timings.values() for t in ts]
    return {"invoices": invoices, "load_s": load_s, "rows": rows,
            "per_query": {name: Stats.of_seconds(ts) for name, ts in timings.items()},
            "overall": Stats.of_seconds(every)}
