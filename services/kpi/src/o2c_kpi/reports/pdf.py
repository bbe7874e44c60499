"""A review as a PDF (fpdf2): the same narrative, tiles, charts (the page's inline SVG, placed by fpdf2's SVG support)
and tables as the HTML page, for printing and for the e-mail digests (``report_pdf`` is their attachment).

Text is set in DejaVu Sans (Unicode: arrows, ≥, —) when the font is found; otherwise in the core font Helvetica,
whose Latin-1 cannot show those (they are replaced by plain equivalents)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from o2c_common.text import DASH, measure, money
from o2c_kpi.reports import operations_view
from o2c_kpi.reports.page import ARROWS, fx_note, report_tiles
from o2c_kpi.reports.review import shown
from o2c_kpi.reports.schemas import ReportRead, Tile
from o2c_kpi.reports.svg import bar_chart, line_chart, pareto_chart

FONT_CANDIDATES = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                   Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))
LATIN = str.maketrans({"▲": "+", "▼": "-", "▶": "=", "≥": ">=", "≤": "<=", "—": "-", "…": "..."})
TITLES = re.compile(r"<title>.*?</title>")
SVG_NS = "http://www.w3.org/2000/svg"
GOOD, BAD, GREY = (44, 160, 44), (214, 39, 40), (110, 110, 110)


class _Writer:
    def __init__(self, report: ReportRead, font: Path | None) -> None:
        self.pdf = FPDF(orientation="landscape", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=12)
        path = font if font is not None and font.exists() else next((p for p in FONT_CANDIDATES if p.exists()), None)
        self.unicode = path is not None
        if path is not None:
            bold = path.with_name(path.stem + "-Bold" + path.suffix)
            self.pdf.add_font("body", "", str(path))
            self.pdf.add_font("body", "B", str(bold if bold.exists() else path))
        self.family = "body" if self.unicode else "helvetica"
        self.pdf.set_title(f"{report.title} {report.period_label}")
        self.pdf.set_creator("o2c kpi")
        self.pdf.add_page()

    def text(self, value: str) -> str:
        return value if self.unicode else value.translate(LATIN).encode("latin-1", "replace").decode("latin-1")

    def line(self, value: str, *, size: float = 9, bold: bool = False, colour: tuple[int, int, int] = (0, 0, 0),
             height: float = 4.8) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)
        self.pdf.multi_cell(0, height, self.text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_text_color(0, 0, 0)

    def heading(self, value: str) -> None:
        if self.pdf.get_y() > self.pdf.h - 75:  # a heading stays with the chart or table under it
            self.pdf.add_page()
        self.pdf.ln(2)
        self.line(value, size=12, bold=True, height=6)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> None:
        if not rows:
            self.line(empty, colour=GREY)
            return
        self.pdf.set_font(self.family, "", 8)
        with self.pdf.table(headings_style=FontFace(emphasis="BOLD"), line_height=4.6, text_align="LEFT") as table:
            table.row([self.text(h) for h in headers])
            for row in rows:
                table.row([self.text(c) for c in row])

    def charts(self, charts: Sequence[tuple[str, str]]) -> None:
        """(caption, SVG) two a row, each 135 mm wide."""
        for i, (caption, svg) in enumerate(charts):
            if i % 2 == 0 and self.pdf.get_y() > self.pdf.h - 75:
                self.pdf.add_page()
            x = self.pdf.l_margin + (i % 2) * 140
            self.pdf.set_font(self.family, "B", 9)
            self.pdf.text(x, self.pdf.get_y() + 3, self.text(caption))
            top = self.pdf.get_y() + 4
            # inline in HTML an SVG needs no namespace, fpdf2 does; it draws no <title> (the tooltip)
            standalone = TITLES.sub("", svg.replace("<svg ", f'<svg xmlns="{SVG_NS}" ', 1))
            placed = self.pdf.image(io.BytesIO(standalone.encode()), x=x, y=top, w=135)
            if i % 2 == 1 or i == len(charts) - 1:
                self.pdf.set_y(top + placed.rendered_height + 3)


def _tile_row(tile: Tile) -> list[str]:
    change = DASH if tile.direction is None else (
        f"{ARROWS[tile.direction]} " + ("better" if tile.good else "worse" if tile.good is False else "no change"
                                        if tile.direction == "flat" else "moved"))
    state = "" if tile.on_target is None else " (met)" if tile.on_target else " (missed)"
    title = f"{tile.title} ({tile.currency})" if tile.currency and tile.unit != "money" else tile.title
    return [title, tile.shown, tile.previous_shown, change, f"{tile.target_shown}{state}" if tile.target_shown
            else DASH]


def _charts(report: ReportRead) -> list[tuple[str, str]]:
    by_name: dict[str, list[int]] = {}
    for i, trend in enumerate(report.trends):
        by_name.setdefault(trend.name, []).append(i)
    out = []
    for indexes in by_name.values():
        first = report.trends[indexes[0]]
        out.append((first.title, line_chart(title=first.title, labels=[p.label for p in first.points],
                              unit="%" if first.unit == "percent" else first.unit,
                              series=[(report.trends[i].currency or "",
                                       [p.value.value if p.value else None for p in report.trends[i].points])
                                      for i in indexes])))
    return out


def report_pdf(report: ReportRead, *, font: Path | None = None) -> bytes:
    """The review as PDF bytes: what the HTML page shows, in the same order."""
    w = _Writer(report, font)
    w.line(f"{report.title} {report.period_label}", size=18, bold=True, height=9)
    w.line(f"{report.period_start} to {report.period_end}, compared with {report.previous_label or DASH} · "
           f"{'team ' + report.team if report.team else 'all teams'} · generated "
           f"{report.generated_at:%Y-%m-%d %H:%M} UTC · {report.breaches} SLA "
           f"breach{'' if report.breaches == 1 else 'es'}", colour=GREY)
    if report.reporting_currency:
        w.line(fx_note(report), colour=GREY)
    w.heading("Summary")
    for sentence in report.narrative:
        w.line(sentence, size=10)
    w.heading("Headline KPIs")
    w.table(("KPI", "value", "previous", "change", "target"), [_tile_row(t) for t in report_tiles(report)],
            "No KPI in scope.")
    if report.report == "daily-huddle":
        w.heading("Due today")
        w.table(("work", "team", "items", "amount"),
                [(d.what, d.team or "(no team)", str(d.count), money(d.amount, d.currency) if d.amount is not None
                  else DASH) for d in report.due_today], "Nothing due today.")
    w.heading("Trends")
    w.charts(_charts(report))
    w.heading("SLA attainment per vendor team")
    bars = [(t.team, Decimal(t.attainment_percent) if t.attainment_percent else None) for t in report.sla_attainment]
    if bars:
        w.charts([("SLA attainment (%)", bar_chart(title="SLA attainment", bars=bars,
                                                   alert={t.team for t in report.sla_attainment if t.breaches}))])
    w.table(("team", "attainment", "met", "breaches", "total"),
            [(t.team, shown(Decimal(t.attainment_percent) if t.attainment_percent else None, "percent"), str(t.met),
              str(t.breaches), str(t.total)) for t in report.sla_attainment], "No team SLAs in the period.")
    w.heading("Pareto")
    for p in report.pareto:
        state = "not available yet" if not p.available else "none in the period" if not p.bars else ""
        if state:
            w.line(f"{p.title}: {state}.", colour=GREY)
    w.charts([(p.title, pareto_chart(title=p.title, unit="%" if p.unit == "percent" else p.unit,
                                     bars=[(b.label, b.value, b.cumulative_percent) for b in p.bars]))
              for p in report.pareto if p.available and p.bars])
    w.heading("SLA breaches")
    w.table(("SLA", "team", "subject", "actual", "target", "severity", "breached"),
            [(b.sla, b.team or "(no team)", b.subject or DASH, b.actual, b.target, b.severity,
              f"{b.breached_at:%Y-%m-%d %H:%M}") for b in report.breach_list], "No breach in the period.")
    if report.operations is None or report.operations.current.open_work is None:  # else its open work, below
        w.heading("Open escalations")
        w.table(("case", "team", "agent", "opened", "age"),
                [(e.item, e.team, e.agent, e.opened.isoformat() if e.opened else DASH, measure(e.age_days, "days"))
                 for e in report.escalations], "No open escalation.")
    for section in report.sections:
        if not section.available:
            w.heading(section.name)
            w.line(section.note or "Not available yet.", colour=GREY)
    if report.operations is not None:
        bars = operations_view.quality_bars(report.operations)
        if bars:
            w.heading(operations_view.QUALITY)
            w.charts([("Quality score per team (%)", bar_chart(title="Quality", bars=bars))])
        for table in operations_view.tables(report.operations):
            w.heading(table.heading)
            w.table(table.headers, table.rows, table.empty)
    return bytes(w.pdf.output())
