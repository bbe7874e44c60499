"""Channel adapters' transport: documents over HTTP to a portal, and e-mail over SMTP (stdlib smtplib, run
in a thread)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

import httpx

from o2c_invoicing.channels.errors import PortalDeliveryFailed
from o2c_invoicing.config import InvoicingSettings


async def post_document(client: httpx.AsyncClient, *, base_url: str, document: bytes,
                        timeout_s: float) -> dict[str, Any]:
    """POST the XML document to ``<portal>/invoices``; the portal answers with its reference and status."""
    url = f"{base_url.rstrip('/')}/invoices"
    try:
        response = await client.post(url, content=document, timeout=timeout_s,
                                     headers={"Content-Type": "application/xml"})
    except httpx.HTTPError as exc:
        raise PortalDeliveryFailed(f"portal {url} unreachable: {type(exc).__name__}",
                                   extensions={"portal_url": url}) from exc
    body: dict[str, Any] = {}
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
    if not response.is_success:
        raise PortalDeliveryFailed(f"portal {url} answered {response.status_code}",
                                   extensions={"portal_url": url, "portal_status": response.status_code,
                                               "portal_reason_code": body.get("reason_code")})
    return body


async def poll_status(client: httpx.AsyncClient, *, base_url: str, reference: str,
                      timeout_s: float) -> dict[str, Any]:
    response = await client.get(f"{base_url.rstrip('/')}/invoices/{reference}", timeout=timeout_s)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _send(settings: InvoicingSettings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.portal_timeout_s) as smtp:
        smtp.send_message(message)


async def send_email(settings: InvoicingSettings, *, to: str, subject: str, text: str, document: bytes,
                     filename: str, cc: list[str] | None = None) -> str:
    """Send the invoice with its XML attached (copies to ``cc``); returns the Message-ID."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.email_from, to, subject
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Message-ID"] = f"<{filename}@o2c>"
    message.set_content(text)
    message.add_attachment(document, maintype="application", subtype="xml", filename=filename)
    try:
        await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        raise PortalDeliveryFailed(f"SMTP {settings.smtp_host}:{settings.smtp_port} failed: {exc}",
                                   extensions={"channel": "email"}) from exc
    return str(message["Message-ID"])
