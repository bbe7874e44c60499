"""Channel adapters' transport: documents over HTTP to a portal, and e-mail over SMTP (stdlib smtplib, run
in a thread)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from lxml import etree

from o2c_common.egress import EgressRefused
from o2c_common.smtp import public_smtp_failure
from o2c_invoicing.channels.errors import PortalDeliveryFailed
from o2c_invoicing.channels.reasons import classify
from o2c_invoicing.config import InvoicingSettings

log = structlog.get_logger("o2c.invoicing.delivery")


def cxml_response_status(body: bytes) -> tuple[int, str] | None:
    """``(code, text)`` of a synchronous cXML ``<Response><Status code=".." text="..">detail</Status>``, the
    answer cXML networks (Ariba, Coupa) give to a posted InvoiceDetailRequest; None when the body is not one."""
    if b"<Response" not in body[:4000] or b"<!ENTITY" in body:
        return None
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError:
        return None
    status = root.find("Response/Status") if root.tag == "cXML" else None
    if status is None or not (status.get("code") or "").isdigit():
        return None
    detail = " ".join((status.text or "").split())
    return int(status.get("code")), " - ".join(x for x in (status.get("text"), detail) if x)


# The most a portal's answer may hold (decoded): a larger one is refused before it fills the memory.
MAX_ANSWER_BYTES = 1 << 20


class AnswerTooLarge(httpx.HTTPError):
    """The portal's answer is larger than :data:`MAX_ANSWER_BYTES`."""


async def _bounded(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """The response with its body read up to :data:`MAX_ANSWER_BYTES` (AnswerTooLarge beyond)."""
    async with client.stream(method, url, **kwargs) as streamed:
        body = bytearray()
        async for chunk in streamed.aiter_bytes():
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise AnswerTooLarge(f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
    headers = [(k, v) for k, v in streamed.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(streamed.status_code, headers=headers, content=bytes(body), request=streamed.request)


async def post_document(client: httpx.AsyncClient, *, base_url: str, document: bytes,
                        timeout_s: float) -> dict[str, Any]:
    """POST the XML document to ``<portal>/invoices``; the portal answers with its reference and status (JSON),
    or with a cXML ``Response`` whose ``Status/@code`` 2xx accepts and 4xx/5xx refuses the document (Coupa's
    transmission errors: 400 malformed, 401/403 credentials, 406 not acceptable, 409 duplicate, 5xx)."""
    url = f"{base_url.rstrip('/')}/invoices"
    try:
        response = await _bounded(client, "POST", url, content=document, timeout=timeout_s,
                                  headers={"Content-Type": "application/xml"})
    except EgressRefused as exc:
        raise PortalDeliveryFailed(f"portal {url} may not be called: {exc}",
                                   extensions={"portal_url": url}) from exc
    except AnswerTooLarge as exc:
        raise PortalDeliveryFailed(f"portal {url} answered too much: {exc}", extensions={"portal_url": url}) from exc
    except httpx.HTTPError as exc:
        raise PortalDeliveryFailed(f"portal {url} unreachable: {type(exc).__name__}",
                                   extensions={"portal_url": url}) from exc
    body: dict[str, Any] = {}
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = _json_answer(response, url)
    elif "xml" in content_type and (cxml := cxml_response_status(response.content)) is not None:
        code, text = cxml
        if code >= 300:
            reason, root_cause = classify(f"CXML-{code}")
            raise PortalDeliveryFailed(f"portal {url} refused the document: cXML status {code} {text}",
                                       extensions={"portal_url": url, "portal_status": response.status_code,
                                                   "portal_reason_code": f"CXML-{code}", "reason": reason,
                                                   "root_cause": root_cause, "portal_reason_text": text})
        body = {"cxml_status": code, "reason_text": text}
    if not response.is_success:
        raise PortalDeliveryFailed(f"portal {url} answered {response.status_code}",
                                   extensions={"portal_url": url, "portal_status": response.status_code,
                                               "portal_reason_code": body.get("reason_code")})
    reference = body.get("reference")
    if reference is not None and not (isinstance(reference, str) and 0 < len(reference) <= 128):
        raise PortalDeliveryFailed(f"portal {url} answered a reference that is not a text of 1 to 128 characters",
                                   extensions={"portal_url": url})
    return body


def _json_answer(response: httpx.Response, url: str) -> dict[str, Any]:
    """The portal's JSON answer as an object; a portal answering anything else did not take the document."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PortalDeliveryFailed(f"portal {url} answered {response.status_code} with a body that is not a JSON "
                                   "object", extensions={"portal_url": url, "portal_status": response.status_code})
    return body


class PollAnswerInvalid(ValueError):
    """A portal's status answer that is not one (not JSON, not an object)."""


async def poll_status(client: httpx.AsyncClient, *, base_url: str, reference: str,
                      timeout_s: float) -> dict[str, Any]:
    """The portal's status view of ``reference``; httpx.HTTPError when it cannot be had, PollAnswerInvalid when
    the portal answered something else."""
    try:
        response = await _bounded(client, "GET", f"{base_url.rstrip('/')}/invoices/{quote(reference, safe='')}",
                                  timeout=timeout_s)
    except AnswerTooLarge as exc:
        raise PollAnswerInvalid(str(exc)) from exc
    response.raise_for_status()
    try:
        body = response.json()
    except ValueError as exc:
        raise PollAnswerInvalid("the answer is not JSON") from exc
    if not isinstance(body, dict):
        raise PollAnswerInvalid("the answer is not a JSON object")
    return body


def _send(settings: InvoicingSettings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.portal_timeout_s) as smtp:
        smtp.send_message(message)


Attachment = tuple[bytes, str, str, str]  # content, maintype, subtype, filename


async def send_email(settings: InvoicingSettings, *, to: str, subject: str, text: str,
                     attachments: list[Attachment], message_id: str, cc: list[str] | None = None) -> str:
    """Send the document(s) attached (the PDF, the UBL where the customer asks for it), copies to ``cc``;
    returns the Message-ID."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.email_from, to, subject
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Message-ID"] = f"<{message_id}@o2c>"
    message.set_content(text)
    for content, maintype, subtype, filename in attachments:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    try:
        await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException) as exc:  # the server's own text to the log only, never to a client
        where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
        log.warning("smtp_failed", server=where, error=str(exc))
        raise PortalDeliveryFailed(f"{where} failed: {public_smtp_failure(exc)}",
                                   extensions={"channel": "email"}) from exc
    return str(message["Message-ID"])
