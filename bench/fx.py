"""``python -m bench.fx``: importing the ECB's historical reference rates file and reading rates back (not a test).

A file in the shape of ``eurofxref-hist.csv`` (``--days`` business days newest first, ``--currencies`` columns,
every fifth column ``N/A`` for its older half, as retired currencies are), zipped as ``eurofxref-hist.zip``, is
posted to ``POST /fx/rates/ecb`` of the in-process kpi app (ASGI: auth, parsing, the set-based upsert and the
commit included) on a fresh database; then the same file again (idempotent: nothing stored); then ``GET /fx/rates``
and ``converter()`` for ``--repeats`` random days (p50/p99).

    python -m bench.fx [--days 6800] [--currencies 30] [--repeats 200]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import shutil
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.infra import Stats, bench_infra, load_average, machine
from o2c_cli.testing import Infra, bearer, serving
from o2c_common.db import Database
from o2c_common.db.migrate import upgrade
from o2c_common.tx import Transactions
from o2c_kpi.config import KpiSettings
from o2c_kpi.fx.service import converter
from o2c_kpi.main import create_app

SERVICE_DIR = Path(__file__).resolve().parents[1] / "services" / "kpi"


def business_days(n: int, last: date) -> list[date]:
    days: list[date] = []
    day = last
    while len(days) < n:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days  # newest first, as the ECB writes them


def hist_zip(days: list[date], currencies: int, rng: random.Random) -> tuple[bytes, int]:
    codes = [f"{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}X" for i in range(currencies)]
    lines = ["Date," + ",".join(codes) + ","]
    rates = 0
    for n, day in enumerate(days):
        cells = []
        for i, _ in enumerate(codes):
            if i % 5 == 4 and n > len(days) // 2:
                cells.append("N/A")
            else:
                cells.append(f"{rng.uniform(0.5, 200):.4f}")
                rates += 1
        lines.append(f"{day.isoformat()}," + ",".join(cells) + ",")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eurofxref-hist.csv", "\n".join(lines) + "\n")
    return buffer.getvalue(), rates


async def run(infra: Infra, days_n: int, currencies: int, repeats: int) -> dict[str, Any]:
    url = await infra.create_database("o2c_kpi_bench_fx")
    await asyncio.to_thread(upgrade, SERVICE_DIR, url)
    rng = random.Random(5)
    days = business_days(days_n, date(2026, 11, 30))
    content, rates = hist_zip(days, currencies, rng)
    settings = KpiSettings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, run_workers=False,
                           log_json=False, log_level="WARNING", environment="test")
    app = create_app(settings)
    out: dict[str, Any] = {"rates": rates, "zip_bytes": len(content)}
    async with serving(app, base_url="http://kpi") as client:
        writer, reader = bearer("bench", "integration"), bearer("bench", "viewer")
        for label in ("first", "again"):
            started = time.perf_counter()
            response = await client.post("/fx/rates/ecb", content=content, headers=writer)
            out[f"{label}_s"] = time.perf_counter() - started
            assert response.status_code == 200, response.text
            out[f"{label}_summary"] = response.json()
        asked = [days[-1] + timedelta(days=rng.randrange((days[0] - days[-1]).days + 3)) for _ in range(repeats)]
        reads = []
        for day in asked:
            started = time.perf_counter()
            response = await client.get("/fx/rates", params={"on": day.isoformat(), "limit": 200}, headers=reader)
            reads.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        out["get_rates"] = Stats.of_seconds(reads)
    db = Database(url, pool_size=2)
    transactions = Transactions(db=db, source="/o2c/kpi")
    builds = []
    try:
        for day in asked:
            async with transactions.begin("system:bench") as tx:
                started = time.perf_counter()
                await converter(tx, to="USX", on=day)
                builds.append(time.perf_counter() - started)
    finally:
        await db.dispose()
    out["converter"] = Stats.of_seconds(builds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=6_800, help="business days in the file (the ECB's since 1999)")
    parser.add_argument("--currencies", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=200, help="rate reads and converter builds")
    args = parser.parse_args()
    print(f"# fx bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}")
    print(f"load average at start (1/5/15 min): {load_average(' / ')}")
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-bench-fx-"))
    try:
        with bench_infra(data_dir) as infra:
            r = asyncio.run(run(infra.infra, args.days, args.currencies, args.repeats))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    first, again = r["first_summary"], r["again_summary"]
    print(f"file: {args.days} days x {args.currencies} currencies, {r['rates']:,} rates, zip {r['zip_bytes']:,} bytes")
    print(f"import: {r['first_s']:.2f} s ({r['rates'] / r['first_s']:,.0f} rates/s), inserted {first['inserted']:,}")
    print(f"same file again: {r['again_s']:.2f} s, inserted {again['inserted']}, updated {again['updated']}, "
          f"unchanged {again['unchanged']:,}")
    for name in ("get_rates", "converter"):
        st = r[name]
        print(f"{name:<10} p50 {st.p50:6.1f} ms  p99 {st.p99:6.1f} ms  (n={st.n})")
    print(f"load average at end (1/5/15 min): {load_average(' / ')}")


if __name__ == "__main__":
    main()
