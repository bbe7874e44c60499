"""Dunning notices over real SMTP (stdlib smtplib, in a worker thread so the event loop never blocks)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from o2c_collections.config import CollectionsSettings


def _send(host: str, port: int, message: EmailMessage) -> None:
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message)


async def send_notice(settings: CollectionsSettings, *, recipient: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_sender, recipient, subject
    message.set_content(body)
    await asyncio.to_thread(_send, settings.smtp_host, settings.smtp_port, message)
