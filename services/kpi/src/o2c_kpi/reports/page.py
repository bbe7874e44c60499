"""A review as a self-contained HTML page a lead puts on a screen: tiles, narrative, inline SVG charts and tables;
no script, no external resource."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from string import Template

from o2c_common.text import DASH, measure, money
from o2c_kpi.kpis.definitions import DEFINITIONS
from o2c_kpi.reports import operations_view
from o2c_kpi.reports.review import COMPARATOR_SIGNS, shown, tiles
from o2c_kpi.reports.schemas import Direction, ReportRead, ReviewPareto, TeamAttainment, Tile
from o2c_kpi.reports.svg import bar_chart, line_chart, pareto_chart
from o2c_kpi.sla.models import Comparator

ARROWS = {Direction.UP: "▲", Direction.DOWN: "▼", Direction.FLAT: "▶"}
STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem 2rem;color:#222;background:#fafafa}
h1{margin:0 0 .2rem}h2{margin:1.6rem 0 .5rem;border-bottom:2px solid #ddd}.meta{color:#555;margin:0 0 1rem}
.story{background:#fff;border-left:4px solid #1f77b4;padding:.5rem 1rem;max-width:60rem}.story p{margin:.3rem 0}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.8rem}
.tile{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem}
.tile h3{font-size:.95rem;margin:0 0 .3rem;color:#444}.tile .v{font-size:1.6rem;font-weight:600}
.tile .s{font-size:.85rem;color:#555}.good{color:#2ca02c}.bad{color:#d62728}.flat{color:#777}
.on{background:#e6f4e6}.off{background:#fbe3e3}.badge{padding:0 .3rem;border-radius:3px}
table{border-collapse:collapse;margin:.5rem 0 1rem;background:#fff}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}td.n{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;background:#fff;padding:.3rem}
figcaption{font-weight:600}.na{color:#777;font-style:italic}
@media print{body{background:#fff}.tile,figure{break-inside:avoid}}
"""
PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1"><style>$style</style></head>
<body>
<h1>$title</h1>
<p class="meta">$period ($start to $end) compared with $previous &middot; $team &middot; generated $generated
&middot; $breaches SLA breach$breach_plural in the period$unassigned</p>
<p class="meta">$fx</p>
$narrative
<h2>Headline KPIs</h2>
<div class="tiles">$tiles</div>
$due
<h2>Trends</h2>
<div class="charts">$trends</div>
<h2>SLA attainment per vendor team</h2>
$attainment_chart
$attainment
<h2>Pareto</h2>
<div class="charts">$pareto</div>
<h2>SLA breaches</h2>
$breach_list
$escalations
$sections
<h2>Per-currency detail</h2>
$detail
</body></html>
""")


def _tile(tile: Tile) -> str:
    mood = "flat" if tile.good is None else "good" if tile.good else "bad"
    arrow = (f'<span class="{mood}" title="{escape(str(tile.direction))}">{ARROWS[tile.direction]}</span> '
             if tile.direction else "")
    target = ""
    if tile.target_shown:
        state = "" if tile.on_target is None else " on" if tile.on_target else " off"
        target = f'<div class="s">target <span class="badge{state}">{escape(tile.target_shown)}</span></div>'
    currency = f" ({escape(tile.currency)})" if tile.currency and tile.unit != "money" else ""
    return (f'<div class="tile" data-kpi="{escape(tile.name)}"><h3>{escape(tile.title)}{currency}</h3>'
            f'<div class="v">{escape(tile.shown)}</div>'
            f'<div class="s">{arrow}previous {escape(tile.previous_shown)}</div>{target}</div>')


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return f'<p class="na">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _trends(report: ReportRead) -> str:
    by_name: dict[str, list[int]] = {}
    for i, trend in enumerate(report.trends):
        by_name.setdefault(trend.name, []).append(i)
    charts = []
    for indexes in by_name.values():
        first = report.trends[indexes[0]]
        series = [(report.trends[i].currency or "",
                   [p.value.value if p.value else None for p in report.trends[i].points]) for i in indexes]
        chart = line_chart(title=first.title, labels=[p.label for p in first.points], series=series,
                           unit="%" if first.unit == "percent" else first.unit)
        charts.append(f"<figure><figcaption>{escape(first.title)}</figcaption>{chart}</figure>")
    return "".join(charts) or '<p class="na">No trend data.</p>'


def _team(t: TeamAttainment) -> str:
    rows = [(d.name, f"{COMPARATOR_SIGNS.get(Comparator(d.comparator), d.comparator)} {shown(d.target, d.unit)}",
             str(d.met), str(d.breaches), str(d.total), shown(d.attainment_percent, "percent"))
            for d in t.definitions]
    plural = "es" if t.breaches != 1 else ""
    rate = shown(Decimal(t.attainment_percent) if t.attainment_percent else None, "percent")
    return (f"<h3>{escape(t.team)}: {escape(rate)}"
            f", {t.breaches} breach{plural}</h3>"
            + _table(("SLA", "target", "met", "breaches", "total", "attainment"), rows, "No SLA measured."))


def _pareto(p: ReviewPareto) -> str:
    if not p.available:
        return (f'<figure><figcaption>{escape(p.title)}</figcaption><p class="na">Not available yet.</p>'
                "</figure>")
    if not p.bars:
        return f'<figure><figcaption>{escape(p.title)}</figcaption><p class="na">None in the period.</p></figure>'
    chart = pareto_chart(title=p.title, unit="%" if p.unit == "percent" else p.unit,
                         bars=[(b.label, b.value, b.cumulative_percent) for b in p.bars])
    return f"<figure><figcaption>{escape(p.title)}</figcaption>{chart}</figure>"


def _due(report: ReportRead) -> str:
    if report.report != "daily-huddle":
        return ""
    rows = [(d.what, d.team or "(no team)", str(d.count), money(d.amount, d.currency) if d.amount is not None else DASH)
            for d in report.due_today]
    return "<h2>Due today</h2>" + _table(("work", "team", "items", "amount"), rows, "Nothing due today.")


def _detail(report: ReportRead) -> str:
    if not report.detail:
        return '<p class="na">Open this page with detail=currency to see every currency and breakdown.</p>'
    rows = [(DEFINITIONS[v.name].title, v.dimension or "", v.currency or "", shown(v.value, v.unit, v.currency))
            for v in report.detail]
    return _table(("KPI", "breakdown", "currency", "value"), rows, "No values.")


def _operations(report: ReportRead) -> str:
    """Quality, open work and capacity from the operations review; a section without data says so."""
    parts = [f"<h2>{escape(s.name)}</h2><p class=\"na\">{escape(s.note or 'Not available yet.')}</p>"
             for s in report.sections if not s.available]
    if report.operations is None:
        return "".join(parts)
    bars = operations_view.quality_bars(report.operations)
    if bars:
        parts.append(f"<h2>{escape(operations_view.QUALITY)}</h2><figure>"
                     f"{bar_chart(title='Quality score per team', bars=bars)}</figure>")
    for table in operations_view.tables(report.operations):
        heading = "h3" if table.heading == operations_view.QUALITY and bars else "h2"
        title = "Per team" if heading == "h3" else table.heading
        parts.append(f"<{heading}>{escape(title)}</{heading}>"
                     + _table(table.headers, table.rows, table.empty))
    return "".join(parts)


def fx_note(report: ReportRead) -> str:
    """Which rates the money figures were consolidated at, and which currencies had none."""
    if not report.reporting_currency:
        return ""
    on = f"the FX rates in force up to {report.fx_rate_date.isoformat()}" if report.fx_rate_date else "no FX rate"
    missing = f"; no current rate for {', '.join(report.fx_missing)}: left out" if report.fx_missing else ""
    return f"Money in {report.reporting_currency}, consolidated at {on} (ECB reference rates held as data){missing}."


def _story(sentences: Sequence[str]) -> str:
    paragraphs = "".join(f"<p>{escape(s)}</p>" for s in sentences)
    return f'<section class="story" aria-label="Summary">{paragraphs}</section>' if sentences else ""


def report_tiles(report: ReportRead) -> list[Tile]:
    """The report's tiles; for a report built without them (an older client's), its headline as tiles."""
    if report.tiles or not report.headline:
        return report.tiles
    return tiles([v for v in report.headline if v.dimension is None], [], [], team=report.team)


def report_html(report: ReportRead) -> str:
    bars = [(t.team, Decimal(t.attainment_percent) if t.attainment_percent else None) for t in report.sla_attainment]
    alert = {t.team for t in report.sla_attainment if t.breaches}
    chart = (f"<figure>{bar_chart(title='SLA attainment per team', bars=bars, alert=alert)}</figure>" if bars
             else '<p class="na">No team SLAs in the period.</p>')
    breaches = [(b.sla, b.team or "(no team)", b.subject or DASH, b.actual, b.target, b.severity,
                 b.breached_at.strftime("%Y-%m-%d %H:%M"), b.status) for b in report.breach_list]
    escalations = [(e.item, e.team, e.agent, e.opened.isoformat() if e.opened else DASH, measure(e.age_days, "days"))
                   for e in report.escalations]
    sections = _operations(report)
    return PAGE.substitute(
        style=STYLE, title=escape(f"{report.title} {report.period_label}"), period=escape(report.period_label),
        start=report.period_start.isoformat(), end=report.period_end.isoformat(),
        previous=escape(report.previous_label or DASH), team=escape(f"team {report.team}" if report.team
                                                                     else "all teams"),
        generated=escape(report.generated_at.strftime("%Y-%m-%d %H:%M UTC")), breaches=report.breaches,
        breach_plural="" if report.breaches == 1 else "es",
        unassigned=f" ({report.unassigned_breaches} of no team)" if report.unassigned_breaches else "",
        narrative=_story(report.narrative), fx=escape(fx_note(report)),
        tiles="".join(_tile(t) for t in report_tiles(report)) or '<p class="na">No KPI in scope.</p>',
        due=_due(report), trends=_trends(report), attainment_chart=chart,
        attainment="".join(_team(t) for t in report.sla_attainment),
        pareto="".join(_pareto(p) for p in report.pareto),
        breach_list=_table(("SLA", "team", "subject", "actual", "target", "severity", "breached", "status"), breaches,
                           "No breach in the period."),
        escalations=("" if report.operations is not None and report.operations.current.open_work is not None
                     else "<h2>Open escalations</h2>" + _table(("case", "team", "agent", "opened", "age"), escalations,
                                                               "No open escalation.")),
        sections=sections, detail=_detail(report))
