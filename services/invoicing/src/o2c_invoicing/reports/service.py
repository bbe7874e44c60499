"""The weekly invoicing cadence report: JSON, or CSV for spreadsheets."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from o2c_common.csvsafe import SafeWriter
from o2c_common.errors import ValidationFailed
from o2c_common.money import round_money
from o2c_common.tx import Tx
from o2c_invoicing.reports import repository
from o2c_invoicing.reports.schemas import CSV_COLUMNS, CadenceReport, CadenceRow, StatusTotal


def parse_week(week: str | None, *, today: date) -> tuple[str, date]:
    """``2026-W47`` → (label, its Monday); none → the current ISO week."""
    if week is None:
        year, number, _ = today.isocalendar()
        return f"{year}-W{number:02d}", date.fromisocalendar(year, number, 1)
    try:
        year, number = int(week[:4]), int(week[6:])
        return week, date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValidationFailed(f"week {week} does not exist", errors=[
            {"detail": str(exc), "pointer": "#/week"}]) from exc


async def cadence(tx: Tx, *, week: str | None, team: str | None, owner: str | None) -> CadenceReport:
    now = tx.now()
    label, start = parse_week(week, today=now.date())
    end = start + timedelta(days=6)
    as_of = min(end, now.date())
    rows = await repository.cadence_rows(
        tx.session, start=start, end=end, starts_at=datetime.combine(start, time.min, UTC),
        ends_at=datetime.combine(end + timedelta(days=1), time.min, UTC), as_of=as_of, team=team, owner=owner)
    report_rows = [CadenceRow(customer_id=r.customer_id, customer_name=r.name, owner=r.created_by,
                              owning_team=r.owning_team, channel=r.channel, status=r.status,
                              age_bucket=r.age_bucket, currency=r.currency, count=r.count,
                              amount=round_money(r.amount, r.currency)) for r in rows]
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in report_rows:
        totals[(row.status, row.currency)][0] += row.count
        totals[(row.status, row.currency)][1] += row.amount
    return CadenceReport(week=label, week_start=start, week_end=end, as_of=as_of, generated_at=now, team=team,
                         rows=report_rows, by_status=[
                             StatusTotal(status=s, currency=c, count=int(n), amount=a)
                             for (s, c), (n, a) in sorted(totals.items())])


def as_csv(report: CadenceReport) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)  # customer names and ids come from outside: no formulas
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        writer.writerow([report.week, row.customer_id, row.customer_name or "", row.owner, row.owning_team or "",
                         row.channel, row.status, row.age_bucket, row.currency, row.count, f"{row.amount}"])
    return out.getvalue()
