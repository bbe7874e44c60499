"""A customer's AP portal, simulated: accepts cXML InvoiceDetailRequest and UBL documents (checked at intake
by the standards' validators), answers with a reference and AB (received), then decides (approve, or reject
with a realistic reason code), and moves accepted invoices to scheduled for payment (PD) and paid (PAID) —
each step after its delay, reported by an HMAC-signed callback (retried until acknowledged) and visible to
status polls. The callback is JSON, or with ``PORTAL_SIM_MESSAGES_URL`` the real message: a Peppol Invoice
Response (UBL documents) or a cXML StatusUpdateRequest (cXML documents).

Run it: ``uvicorn --factory o2c_invoicing.simulator.app:create_app --port 8010`` (settings from
``PORTAL_SIM_*`` environment variables)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic_settings import BaseSettings, SettingsConfigDict

from o2c_invoicing.channels.validators import validate_async
from o2c_invoicing.config import DEV_CALLBACK_SECRET
from o2c_invoicing.simulator.messages import standard_message
from o2c_invoicing.simulator.portal import TEXTS, Decider, Parties, PortalRules, UnreadableDocument, parse
from o2c_invoicing.submissions.signing import signed_headers

log = logging.getLogger(__name__)


class SimulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_SIM_", extra="ignore")

    callback_url: str | None = "http://127.0.0.1:8001/portal/callbacks"
    callback_secret: str = DEV_CALLBACK_SECRET
    # The id the portal signs its callbacks as (X-Portal-Id), when invoicing holds a secret for it alone.
    portal_id: str | None = None
    review_delay_s: float = 2.0
    schedule_delay_s: float = 5.0
    pay_delay_s: float = 10.0
    pay: bool = True
    payment_in_days: int = 30
    po_pattern: str = r"PO-\d+"
    closed_pos: frozenset[str] = frozenset()
    po_prices: dict[str, Decimal] = {}
    known_ship_to: frozenset[str] = frozenset()
    rejection_rate: float = 0.0
    seed: int = 0
    callback_attempts: int = 50
    # Standard status messages instead of the JSON callbacks: a Peppol Invoice Response for UBL documents, a
    # cXML StatusUpdateRequest for cXML ones, POSTed (signed) to this URL (the service's /portal/messages).
    messages_url: str | None = None
    # Intake check with the standards' validators (XSD + Schematron, DTD): a failing document is refused
    # with FORMAT-INVALID, as a Peppol access point or a cXML network would.
    validate_documents: bool = True


@dataclass
class PortalDocument:
    reference: str
    number: str
    format: str
    status: str = "AB"
    reason_code: str | None = None
    payment_date: date | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    parties: Parties | None = None

    def view(self) -> dict[str, Any]:
        return {"reference": self.reference, "invoice_number": self.number, "format": self.format,
                "status": self.status, "reason_code": self.reason_code,
                "reason_text": TEXTS.get(self.reason_code or ""),
                "payment_date": self.payment_date.isoformat() if self.payment_date else None,
                "history": self.history}


class Portal:
    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        self.decider = Decider(PortalRules(
            po_pattern=settings.po_pattern, closed_pos=settings.closed_pos, po_prices=settings.po_prices,
            known_ship_to=settings.known_ship_to, rejection_rate=settings.rejection_rate, seed=settings.seed))
        self.documents: dict[str, PortalDocument] = {}
        self.callbacks_sent: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=10)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()

    async def accept(self, body: bytes) -> PortalDocument:
        """Intake: readable, then (unless switched off) valid for the standards' validators, then received."""
        doc = parse(body)
        if self.settings.validate_documents:
            problems = await validate_async(doc.format, body)
            if problems:
                raise UnreadableDocument("; ".join(str(problem) for problem in problems[:10]))
        return self.receive(body)

    def receive(self, body: bytes) -> PortalDocument:
        doc = parse(body)
        stored = PortalDocument(reference=f"SIM-{uuid.uuid4().hex[:12].upper()}", number=doc.number,
                                format=doc.format, parties=doc.parties)
        self._record(stored, "AB")
        self.documents[stored.reference] = stored
        if doc.kind == "credit_note":  # booked against the invoice, nothing to approve or pay: no callbacks
            self._record(stored, "AP")
            return stored
        outcome = self.decider.decide(doc)
        task = asyncio.create_task(self._progress(stored, outcome))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return stored

    def _record(self, doc: PortalDocument, status: str, reason_code: str | None = None) -> dict[str, Any]:
        doc.status, doc.reason_code = status, reason_code
        entry = {"status": status, "reason_code": reason_code, "reason_text": TEXTS.get(reason_code or ""),
                 "at": datetime.now(UTC).isoformat()}
        if status == "PD":
            doc.payment_date = datetime.now(UTC).date() + timedelta(days=self.settings.payment_in_days)
            entry["payment_date"] = doc.payment_date.isoformat()
        doc.history.append(entry)
        return entry

    async def _progress(self, doc: PortalDocument, outcome: str | None) -> None:
        s = self.settings
        await self._callback(doc, doc.history[-1])
        await asyncio.sleep(s.review_delay_s)
        if outcome is not None:
            await self._callback(doc, self._record(doc, "RE", outcome))
            return
        await self._callback(doc, self._record(doc, "AP"))
        await asyncio.sleep(s.schedule_delay_s)
        await self._callback(doc, self._record(doc, "PD"))
        if s.pay:
            await asyncio.sleep(s.pay_delay_s)
            await self._callback(doc, self._record(doc, "PAID"))

    async def _callback(self, doc: PortalDocument, entry: dict[str, Any]) -> None:
        """POST the signed status; retried with backoff until a 2xx (or 4xx other than 404/409/425/429).
        With ``messages_url`` the status goes there as the standard message of the document's format (the
        service maps it back); without it, as the JSON callback to ``callback_url``."""
        url = self.settings.messages_url or self.settings.callback_url
        if not url or self._client is None:
            return
        payload = {"event_id": str(uuid.uuid4()), "reference": doc.reference, "invoice_number": doc.number,
                   **entry}
        content_type = "application/json"
        if self.settings.messages_url:
            message = standard_message(doc.format, number=doc.number, status=entry["status"],
                                       reason_code=entry.get("reason_code"), parties=doc.parties)
            if message is None:
                return  # the standard has no message for this step (Peppol: nothing after PD)
            body, content_type = message, "application/xml"
        else:
            body = json.dumps(payload).encode()
        delay = 0.05
        for _ in range(self.settings.callback_attempts):
            headers = signed_headers(self.settings.callback_secret, timestamp=int(time.time()), body=body,
                                     portal=self.settings.portal_id)
            headers["Content-Type"] = content_type
            try:
                response = await self._client.post(url, content=body, headers=headers)
                if response.is_success or (response.is_client_error
                                           and response.status_code not in (404, 409, 425, 429)):
                    self.callbacks_sent.append({**payload, "response": response.status_code})
                    return
            except httpx.HTTPError:
                log.info("callback to %s failed, retrying", url)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        log.warning("callback %s for %s given up", entry["status"], doc.reference)


def create_app(settings: SimulatorSettings | None = None) -> FastAPI:
    settings = settings or SimulatorSettings()
    portal = Portal(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await portal.start()
        try:
            yield
        finally:
            await portal.stop()

    app = FastAPI(title="o2c portal simulator", lifespan=lifespan)
    app.state.portal = portal

    @app.post("/invoices", status_code=202)
    async def submit(request: Request) -> JSONResponse:
        """Receive a cXML InvoiceDetailRequest or a UBL invoice: 202 with the portal reference and AB."""
        try:
            doc = await portal.accept(await request.body())
        except UnreadableDocument as exc:
            return JSONResponse({"status": "RE", "reason_code": "FORMAT-INVALID", "reason_text": str(exc)},
                                status_code=422)
        return JSONResponse(doc.view(), status_code=202)

    @app.get("/invoices/{reference}")
    async def status(reference: str) -> JSONResponse:
        """Status poll: the document's current status and its history."""
        doc = portal.documents.get(reference)
        if doc is None:
            return JSONResponse({"detail": "unknown reference"}, status_code=404)
        return JSONResponse(doc.view())

    return app
