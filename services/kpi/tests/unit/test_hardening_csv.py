"""Issue 13 item 15: kpi's CSV reports carry names, teams and dimensions that came from events (customer ids,
team names): a value that starts a formula is written with a leading quote."""

from __future__ import annotations

import csv
import io
from datetime import date

from o2c_kpi.reports.render import snapshots_csv
from o2c_kpi.reports.schemas import SnapshotValueRead


def test_snapshot_csv_cells_never_start_a_formula() -> None:
    value = SnapshotValueRead(day=date(2026, 11, 20), scope="team:=cmd|' /C calc'!A0", name="ar_balance",
                              unit="money", currency="USD", dimension="@SUM(A1:A9)", value="-125.00")
    rows = list(csv.reader(io.StringIO(snapshots_csv([value]))))
    assert rows[1] == ["2026-11-20", "team:=cmd|' /C calc'!A0", "ar_balance", "'@SUM(A1:A9)", "USD", "money",
                       "-125.00"]
    value = value.model_copy(update={"scope": "=1+1"})
    assert next(csv.reader(io.StringIO(snapshots_csv([value]).splitlines()[1])))[1] == "'=1+1"
