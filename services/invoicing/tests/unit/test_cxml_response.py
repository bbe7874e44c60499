"""The synchronous cXML Response of a cXML network to a posted InvoiceDetailRequest: 2xx accepts, 4xx/5xx
(Coupa's transmission errors) refuse the document with the code classified by the rejection taxonomy."""

from __future__ import annotations

import httpx
import pytest

from o2c_invoicing.channels.delivery import cxml_response_status, post_document
from o2c_invoicing.channels.errors import PortalDeliveryFailed


def cxml_response(code: int, text: str, detail: str = "") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.037/cXML.dtd">\n'
            b'<cXML payloadID="1@coupa" timestamp="2026-11-02T10:00:00+00:00"><Response>'
            + f'<Status code="{code}" text="{text}">{detail}</Status>'.encode() + b"</Response></cXML>")


def client_answering(body: bytes, status: int = 200) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": "text/xml"})
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_a_cxml_ok_is_accepted() -> None:
    async with client_answering(cxml_response(200, "OK")) as client:
        answer = await post_document(client, base_url="http://coupa.test", document=b"<cXML/>", timeout_s=1)
    assert answer == {"cxml_status": 200, "reason_text": "OK"}


@pytest.mark.parametrize(("code", "reason", "root_cause"), [
    (400, "format_error", "portal_technical"), (401, "technical_error", "master_data"),
    (406, "other", "other"), (409, "duplicate_invoice_number", "duplicate"),
    (500, "technical_error", "portal_technical"), (551, "technical_error", "portal_technical")])
async def test_coupa_transmission_errors_refuse_the_document(code: int, reason: str, root_cause: str) -> None:
    body = cxml_response(code, "Not Acceptable", "Invoice PO 4711 not found")
    async with client_answering(body, status=200 if code < 500 else 500) as client:
        with pytest.raises(PortalDeliveryFailed) as caught:
            await post_document(client, base_url="http://coupa.test", document=b"<cXML/>", timeout_s=1)
    extensions = caught.value.extensions
    assert extensions["portal_reason_code"] == f"CXML-{code}"
    assert (extensions["reason"], extensions["root_cause"]) == (reason, root_cause)
    assert "Invoice PO 4711 not found" in extensions["portal_reason_text"]


def test_only_a_cxml_response_is_read() -> None:
    assert cxml_response_status(b"<html>Response</html>") is None
    assert cxml_response_status(b'<cXML><Response><Status text="x"/></Response></cXML>') is None
    assert cxml_response_status(b'<!DOCTYPE x [<!ENTITY a "b">]><cXML><Response/></cXML>') is None
