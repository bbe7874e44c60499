"""Dunning statements over real SMTP (stdlib smtplib, in a worker thread so the event loop never blocks); a failure
is told apart: the server refused (``smtp_refused``) or could not be reached (``smtp_unreachable``)."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from o2c_collections.config import CollectionsSettings
from o2c_collections.dunning.models import FailureReason


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
        raise MailFailed(FailureReason.SMTP_REFUSED, f"{where} refused the message: {exc}"[:2000]) from exc
    except OSError as exc:
        raise MailFailed(FailureReason.SMTP_UNREACHABLE, f"{where} unreachable: {exc}"[:2000]) from exc
