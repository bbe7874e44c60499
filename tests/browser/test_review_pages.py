"""The review pages in a real browser (headless Chromium): each of the four reviews, served by the kpi service from
real PostgreSQL, renders its tiles and charts (every SVG chart laid out with a non-empty size and drawn marks, or
its explicit "no data") and
logs no console error (the page's own Content-Security-Policy forbids any script or outside resource, so one would
show here). One browser for the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.kpi.tests.sla.conftest import SUPERVISOR, Service, kpi_db, service  # noqa: F401 fixtures
from services.kpi.tests.sla.test_report_reviews import FPA_TARGET, load
from tests.browser.chromium import Chromium

pytestmark = pytest.mark.integration
KINDS = ("daily-huddle", "weekly-cadence", "monthly-business-review", "qbr")
PROBE = """(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  const drawn = charts.filter(svg => {
    const box = svg.getBoundingClientRect();
    const marks = svg.querySelectorAll('polyline, rect, circle').length;
    return box.width > 0 && box.height > 0 && (marks > 0 || svg.textContent.includes('no data'));
  });
  return {charts: charts.length, drawn: drawn.length, tiles: document.querySelectorAll('.tile').length,
          story: document.querySelectorAll('.story p').length, title: document.title,
          sheets: document.styleSheets.length};
})()"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    chromium = Chromium.start(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chromium
    finally:
        chromium.close()


async def test_each_review_page_renders_its_charts_without_console_errors(
        service: Service, browser: Chromium, tmp_path: Path) -> None:  # noqa: F811 the imported fixture
    await load(service)
    assert (await service.client.post("/sla-definitions", json=FPA_TARGET, headers=SUPERVISOR)).status_code == 201
    seen: dict[str, Any] = {}
    for kind in KINDS:
        response = await service.client.get(f"/reports/{kind}?date=2026-11-20", headers={**SUPERVISOR,
                                                                                         "Accept": "text/html"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        page = tmp_path / f"{kind}.html"
        page.write_text(response.text, encoding="utf-8")
        result = browser.open(page.as_uri(), probe=PROBE)
        assert result.errors == [], (kind, result.errors)
        probe = result.probe
        assert probe["charts"] >= 3 and probe["drawn"] == probe["charts"], (kind, probe)  # trends, SLA bars, Pareto
        assert probe["tiles"] >= 4 and 3 <= probe["story"] <= 6 and probe["sheets"] == 1, (kind, probe)
        assert result.png.startswith(b"\x89PNG") and len(result.png) > 20_000
        seen[kind] = probe["title"]
    assert seen == {"daily-huddle": "Daily huddle 2026-11-20", "weekly-cadence": "Weekly invoicing cadence 2026-W47",
                    "monthly-business-review": "Monthly business review 2026-11",
                    "qbr": "Quarterly business review 2026-Q4"}


def test_a_console_error_or_an_outside_resource_is_caught(browser: Chromium, tmp_path: Path) -> None:
    """The check above can fail: a page with a script error and a blocked outside image reports both."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><title>x</title><script>console.error('boom')</script>"
                    "<img src='http://example.invalid/x.png'>", encoding="utf-8")
    result = browser.open(page.as_uri(), probe="document.title")
    assert result.probe == "x" and any("boom" in e for e in result.errors) and len(result.errors) == 2
