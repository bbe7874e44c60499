"""Dunning statements over real SMTP (stdlib smtplib, in a worker thread so the event loop never blocks); a failure
is told apart: the server refused (``smtp_refused``) or could not be reached (``smtp_unreachable``).

The failure's ``detail`` is shown to API clients, so it names the server and the SMTP reply code only: the
server's own text (relay hosts, addresses, internal names) and the operating system's error go to the log."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import structlog

from o2c_collections.config import CollectionsSettings
from o2c_collections.dunning.models import FailureReason
from o2c_common.smtp import public_smtp_failure

log = structlog.get_logger("o2c.dunning.mail")


@dataclass(frozen=True)
class MailFailed(Exception):
    reason: FailureReason
    detail: str


def _send(host: str, port: int, message: EmailMessage) -> None:
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message)


async def send_statement(settings: CollectionsSettings, *, to: list[str], cc: list[str], subject: str,
                         body: str) -> None:
    """Sends one statement; :class:`MailFailed` with the reason when it was not accepted."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, ", ".join(to), subject
    if cc:
        message["Cc"] = ", ".join(cc)
    message.set_content(body)
    where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    try:
        await asyncio.to_thread(_send, settings.smtp_host, settings.smtp_port, message)
    except smtplib.SMTPException as exc:  # before OSError: SMTPException is one
        log.warning("smtp_refused", server=where, error=str(exc))
        raise MailFailed(FailureReason.SMTP_REFUSED, f"{where} {public_smtp_failure(exc)}") from exc
    except OSError as exc:
        log.warning("smtp_unreachable", server=where, error=str(exc))
        raise MailFailed(FailureReason.SMTP_UNREACHABLE, f"{where} {public_smtp_failure(exc)}") from exc

