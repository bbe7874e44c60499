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
        code = _reply_code(exc)
        raise MailFailed(FailureReason.SMTP_REFUSED, f"{where} refused the message"
                                                     + (f" (SMTP reply {code})" if code else "")) from exc
    except OSError as exc:
        log.warning("smtp_unreachable", server=where, error=str(exc))
        raise MailFailed(FailureReason.SMTP_UNREACHABLE, f"{where} could not be reached") from exc


def _reply_code(exc: smtplib.SMTPException) -> int | None:
    """The SMTP reply code of a refusal (550 …), the first recipient's when every recipient was refused."""
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = next(iter(exc.recipients.values()))[0]
    return int(code) if isinstance(code, int) else None
