"""What people read is readable: no raw stored decimals (``200.000000``) and no Python ``None`` in a rendered
report (HTML, CSV) or in an SLA breach's event."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from o2c_kpi.kpis.schemas import KpiValue, PeriodKind, Unit
from o2c_kpi.reports.render import report_csv, report_html
from o2c_kpi.reports.schemas import ReportKind, ReportRead, TeamAttainment, Trend, TrendPoint
from o2c_kpi.sla.evaluation import _fact
from o2c_kpi.sla.schemas import SlaAttainment

RAW = re.compile(r"\d\.\d{3,}")
START, END = date(2026, 11, 1), date(2026, 11, 30)


def kpi(name: str, value: str | None, unit: Unit, currency: str | None = None) -> KpiValue:
    return KpiValue(name=name, value=None if value is None else Decimal(value), unit=unit, currency=currency,
                    period_start=START, period_end=END, as_of=END)


def report() -> ReportRead:
    target = SlaAttainment(definition_id="dso-45", name="DSO at most 45 days", metric="dso",
                           target=Decimal("200.000000"), comparator="le", unit="days", met=0, total=1, breaches=1,
                           attainment_percent=None)
    return ReportRead(
        report=ReportKind.MONTHLY_BUSINESS_REVIEW, title="Monthly business review", period_kind=PeriodKind.MONTH,
        period_label="2026-11", period_start=START, period_end=END, team=None,
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
        headline=[kpi("ar_balance", "229689.27", Unit.MONEY, "USD"), kpi("ar_balance", "495000", Unit.MONEY, "JPY"),
                  kpi("dso", None, Unit.DAYS, "USD"), kpi("time_to_resubmit", "0.25", Unit.HOURS),
                  kpi("on_time_invoicing_rate", None, Unit.PERCENT)],
        trends=[Trend(name="dso", title="DSO", unit="days", currency="USD", points=[
            TrendPoint(label="2026-11", period_start=START, period_end=END, value=None)])],
        sla_attainment=[TeamAttainment(team="vendor-a", met=0, total=1, breaches=1, attainment_percent=None,
                                       definitions=[target])],
        breaches=1)


def test_a_report_reads_without_raw_decimals_or_none() -> None:
    built = report()
    for rendered in (report_html(built), report_csv(built)):
        assert not RAW.search(rendered), RAW.findall(rendered)
        assert "None" not in rendered
    html = report_html(built)
    assert "229,689.27 USD" in html and "495,000 JPY" in html and "0.25 hours" in html
    assert "≤ 200 days" in html and "—" in html


def test_an_sla_breach_event_reads_without_raw_decimals_or_none() -> None:
    values = {
        "id": uuid.uuid4(), "breach_key": "dso-45|global|2026-11-01", "definition_id": "dso-45",
        "sla_name": "DSO at most 45 days", "metric": "dso", "unit": "days", "comparator": "le",
        "target": Decimal("200.000000"), "severity": "P2", "scope_type": "global", "scope_value": None,
        "owning_team": None, "subject_type": None, "subject_id": None,
        "window_start": datetime(2026, 11, 1, tzinfo=UTC), "window_end": datetime(2026, 12, 1, tzinfo=UTC)}
    fact = _fact(values)
    assert str(fact["target"]) == "200"
