"""The inline SVG charts and the HTML page of the reports (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from o2c_kpi.kpis.schemas import KpiValue
from o2c_kpi.reports.render import report_html
from o2c_kpi.reports.schemas import ReportRead, TeamAttainment, Trend, TrendPoint
from o2c_kpi.reports.svg import bar_chart, line_chart


def test_a_missing_value_breaks_the_line() -> None:
    svg = line_chart(title="DSO", labels=["a", "b", "c", "d"], unit="days",
                     series=[("USD", [Decimal("40"), Decimal("42"), None, Decimal("45")])])
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 3
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "http" not in svg


def test_bars_are_coloured_by_attainment() -> None:
    svg = bar_chart(title="SLA", bars=[("good", Decimal("96")), ("fair", Decimal("85")), ("poor", Decimal("40")),
                                       ("none", None)])
    assert [svg.count(c) for c in ("#2ca02c", "#ff7f0e", "#d62728")] == [1, 1, 1]
    assert "no data" in svg
    assert bar_chart(title="SLA", bars=[("a", Decimal("85"))], target=Decimal("90")).count("#d62728") == 1


def test_names_from_events_are_escaped() -> None:
    value = KpiValue(name="dso", value=Decimal("45.10"), unit="days", currency="USD", period_start=date(2026, 11, 1),
                     period_end=date(2026, 11, 30), as_of=date(2026, 11, 30))
    team = '<script>alert("x")</script>'
    report = ReportRead(
        report="monthly-business-review", title="Monthly business review", period_kind="month",
        period_label="2026-11", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), team=None,
        generated_at=datetime(2026, 12, 1, tzinfo=UTC), headline=[value],
        trends=[Trend(name="dso", title="DSO", unit="days", currency="USD", points=[
            TrendPoint(label="2026-11", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), value=value)])],
        sla_attainment=[TeamAttainment(team=team, met=1, total=2, attainment_percent="50.00", definitions=[])],
        breaches=1)
    html = report_html(report)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "45.10" in html and html.count("<svg") == 2
