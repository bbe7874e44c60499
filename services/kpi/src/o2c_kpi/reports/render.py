"""A report as CSV (one flat table); the HTML page is o2c_kpi.reports.page, the PDF o2c_kpi.reports.pdf."""

from __future__ import annotations

import io
from decimal import Decimal

from o2c_common.csvsafe import SafeWriter
from o2c_kpi.reports.page import report_html as report_html  # re-exported: the page of a report
from o2c_kpi.reports.schemas import ReportRead, SnapshotValueRead

CSV_COLUMNS = ("section", "team", "name", "dimension", "currency", "unit", "period", "period_start", "period_end",
               "value", "met", "total", "breaches")


def _text(value: Decimal | str | None) -> str:
    """A number in the CSV: as computed (2 decimals, or the currency's), empty when there is none."""
    return "" if value is None else format(value, "f") if isinstance(value, Decimal) else value


def report_csv(report: ReportRead) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)  # team, names and dimensions come from outside: no formulas
    writer.writerow(CSV_COLUMNS)
    team = report.team or ""
    for v in report.headline:
        writer.writerow(("headline", team, v.name, v.dimension or "", v.currency or "", v.unit, report.period_label,
                         v.period_start, v.period_end, _text(v.value), "", "", ""))
    for trend in report.trends:
        for p in trend.points:
            writer.writerow(("trend", team, trend.name, "", trend.currency or "", trend.unit, p.label, p.period_start,
                             p.period_end, _text(p.value.value if p.value else None), "", "", ""))
    for t in report.sla_attainment:
        writer.writerow(("sla_attainment", t.team, "(all)", "", "", "percent", report.period_label,
                         report.period_start, report.period_end, _text(t.attainment_percent), t.met, t.total,
                         t.breaches))
        for d in t.definitions:
            writer.writerow(("sla_attainment", t.team, d.definition_id, d.metric, "", "percent", report.period_label,
                             report.period_start, report.period_end, _text(d.attainment_percent), d.met, d.total,
                             d.breaches))
    return out.getvalue()


def snapshots_csv(values: list[SnapshotValueRead]) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)  # team, names and dimensions come from outside: no formulas
    writer.writerow(("day", "scope", "name", "dimension", "currency", "unit", "value"))
    for v in values:
        writer.writerow((v.day, v.scope, v.name, v.dimension or "", v.currency or "", v.unit, v.value or ""))
    return out.getvalue()
