"""A report as CSV (one flat table) or as a self-contained HTML page with inline SVG charts."""

from __future__ import annotations

import io
from decimal import Decimal
from html import escape
from string import Template

from o2c_common.csvsafe import SafeWriter
from o2c_common.text import DASH, measure, money
from o2c_kpi.kpis.schemas import KpiValue, Unit
from o2c_kpi.reports.schemas import ReportRead, SnapshotValueRead
from o2c_kpi.reports.svg import bar_chart, line_chart

CSV_COLUMNS = ("section", "team", "name", "dimension", "currency", "unit", "period", "period_start", "period_end",
               "value", "met", "total", "breaches")


def _text(value: Decimal | str | None) -> str:
    """A number in the CSV: as computed (2 decimals, or the currency's), empty when there is none."""
    return "" if value is None else format(value, "f") if isinstance(value, Decimal) else value


def _shown(value: Decimal | str | None, unit: str, currency: str | None = None) -> str:
    """A number on the page, as a person reads it: ``1,500.00 USD``, ``12.5 %``, ``18.13 hours``, ``—``."""
    if value is None:
        return DASH
    number = Decimal(value)
    return money(number, currency) if unit == Unit.MONEY else measure(number, unit)


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


COMPARATORS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}

PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}td.n{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-weight:600}
</style></head>
<body>
<h1>$title</h1>
<p>Period <strong>$period</strong> ($start to $end) &middot; team <strong>$team</strong> &middot;
generated $generated &middot; $breaches SLA breaches in the period$unassigned</p>
<h2>Headline KPIs</h2>
<table><thead><tr><th>KPI</th><th>breakdown</th><th>currency</th><th>value</th></tr></thead>
<tbody>$headline</tbody></table>
<h2>Trends</h2>
<div class="charts">$trends</div>
<h2>SLA attainment per vendor team</h2>
$attainment_chart
$attainment
</body></html>
""")


def _row(v: KpiValue) -> str:
    return (f"<tr><td>{escape(v.name)}</td><td>{escape(v.dimension or '')}</td><td>{escape(v.currency or '')}</td>"
            f"<td class=\"n\">{escape(_shown(v.value, v.unit, v.currency))}</td></tr>")


def report_html(report: ReportRead) -> str:
    trends = []
    by_name: dict[str, list[int]] = {}
    for i, trend in enumerate(report.trends):
        by_name.setdefault(trend.name, []).append(i)
    for indexes in by_name.values():
        first = report.trends[indexes[0]]
        series = [(report.trends[i].currency or first.name,
                   [p.value.value if p.value else None for p in report.trends[i].points]) for i in indexes]
        chart = line_chart(title=first.title, labels=[p.label for p in first.points], series=series, unit=first.unit)
        trends.append(f"<figure><figcaption>{escape(first.title)}</figcaption>{chart}</figure>")
    bars = [(t.team, Decimal(t.attainment_percent) if t.attainment_percent else None) for t in report.sla_attainment]
    alert = {t.team for t in report.sla_attainment if t.breaches}
    chart = (bar_chart(title="SLA attainment per team", bars=bars, alert=alert) if bars
             else "<p>No team SLAs in the period.</p>")
    tables = []
    for t in report.sla_attainment:
        rows = "".join(
            f"<tr><td>{escape(d.name)}</td><td>{escape(COMPARATORS.get(d.comparator, d.comparator))} "
            f"{escape(_shown(d.target, d.unit))}</td>"
            f"<td class=\"n\">{d.met}</td><td class=\"n\">{d.breaches}</td><td class=\"n\">{d.total}</td>"
            f"<td class=\"n\">{escape(_shown(d.attainment_percent, 'percent'))}</td></tr>" for d in t.definitions)
        tables.append(f"<h3>{escape(t.team)}: {escape(_shown(t.attainment_percent, 'percent'))}, "
                      f"{t.breaches} breach{'es' if t.breaches != 1 else ''}</h3><table><thead><tr>"
                      "<th>SLA</th><th>target</th><th>met</th><th>breaches</th><th>total</th><th>attainment</th>"
                      f"</tr></thead><tbody>{rows}</tbody></table>")
    return PAGE.substitute(
        title=escape(f"{report.title} {report.period_label}"), period=escape(report.period_label),
        start=report.period_start.isoformat(), end=report.period_end.isoformat(),
        team=escape(report.team or "all teams"), generated=escape(report.generated_at.isoformat()),
        breaches=report.breaches,
        unassigned=f" ({report.unassigned_breaches} of no team)" if report.unassigned_breaches else "",
        headline="".join(_row(v) for v in report.headline),
        trends="".join(trends) or "<p>No trend data.</p>", attainment_chart=chart, attainment="".join(tables))
