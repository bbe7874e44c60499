"""A digest as a multipart e-mail — a readable HTML summary (and its plain-text twin) with a signed link to the
review page, and the review's PDF attached — sent over SMTP (stdlib smtplib in a worker thread, like collections'
dunning). A failure names the server and the SMTP reply code only (``o2c_common.smtp``)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from html import escape

import structlog

from o2c_common.errors import DomainError
from o2c_common.smtp import public_smtp_failure
from o2c_common.text import DASH
from o2c_kpi.config import KpiSettings
from o2c_kpi.reports.schemas import Direction, ReportRead, Tile

log = structlog.get_logger("o2c.digests.mail")
_ARROWS = {Direction.UP: "▲", Direction.DOWN: "▼", Direction.FLAT: "▶"}


class MailFailed(DomainError):
    status = 502
    type = "mail-failed"
    title = "The mail server did not take the digest"


def subject(report: ReportRead) -> str:
    scope = f" — {report.team}" if report.team else ""
    return f"{report.title} {report.period_label}{scope}"


def _change(tile: Tile) -> str:
    if tile.direction is None:
        return DASH
    return f"{_ARROWS[tile.direction]} from {tile.previous_shown}"


def _colour(tile: Tile) -> str:
    if tile.good is None:
        return "#57606a"
    return "#1a7f37" if tile.good else "#a40e26"


def html_body(report: ReportRead, *, link: str, link_days: int) -> str:
    rows = "".join(
        f"<tr><td>{escape(t.title)}{' (' + escape(t.currency) + ')' if t.currency else ''}</td>"
        f"<td style=\"text-align:right\"><strong>{escape(t.shown)}</strong></td>"
        f"<td style=\"color:{_colour(t)}\">{escape(_change(t))}</td><td>{escape(t.target_shown or DASH)}</td></tr>"
        for t in report.tiles)
    table = (f"<table cellpadding=\"4\" style=\"border-collapse:collapse\"><tr><th align=\"left\">KPI</th>"
             f"<th>value</th><th>since {escape(report.previous_label or DASH)}</th><th>target</th></tr>{rows}</table>"
             if rows else "<p>No KPI in scope.</p>")
    summary = "".join(f"<li>{escape(s)}</li>" for s in report.narrative)
    scope = escape(report.team) if report.team else "all teams"
    return (f"<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1b1f24\">"
            f"<h2>{escape(subject(report))}</h2>"
            f"<p>{report.period_start} to {report.period_end} · {scope} · {report.breaches} SLA breaches</p>"
            f"<ul>{summary}</ul>{table}"
            f"<p><a href=\"{escape(link)}\">Open the review</a> (this link opens this review only, for "
            f"{link_days} days; no sign-in needed).</p></body></html>")


def text_body(report: ReportRead, *, link: str, link_days: int) -> str:
    lines = [subject(report), f"{report.period_start} to {report.period_end}", "", *report.narrative, ""]
    lines += [f"- {t.title}{' (' + t.currency + ')' if t.currency else ''}: {t.shown} ({_change(t)})"
              for t in report.tiles]
    return "\n".join([*lines, "", f"Open the review (valid {link_days} days): {link}", ""])


def compose(settings: KpiSettings, report: ReportRead, *, recipients: list[str], link: str, link_days: int,
            pdf: bytes | None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, ", ".join(recipients), subject(report)
    message.set_content(text_body(report, link=link, link_days=link_days))
    message.add_alternative(html_body(report, link=link, link_days=link_days), subtype="html")
    if pdf is not None:
        name = f"{report.report}-{report.period_label}{'-' + report.team if report.team else ''}.pdf"
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
    return message


def _send(host: str, port: int, message: EmailMessage) -> None:
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message)


async def send(settings: KpiSettings, message: EmailMessage) -> None:
    """Sends one digest; :class:`MailFailed` (502) when the server did not take it."""
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    try:
        await asyncio.to_thread(_send, settings.smtp_host, settings.smtp_port, message)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("digest_not_sent", server=where, error=str(exc))
        raise MailFailed(f"{where} {public_smtp_failure(exc)}") from exc
