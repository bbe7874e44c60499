"""The portal simulator as a real HTTP server: deterministic rejections with realistic codes, the seeded
random rate, status polls, and signed callbacks through approved → scheduled for payment → paid."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from o2c_invoicing.channels.documents import cxml_invoice, ubl_invoice
from o2c_invoicing.simulator.app import SimulatorSettings, create_app
from o2c_invoicing.simulator.portal import Decider, PortalRules, parse
from o2c_invoicing.submissions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, valid
from services.invoicing.tests.portal import eventually, serving
from services.invoicing.tests.unit.test_documents import invoice, profile

pytestmark = pytest.mark.integration
SECRET = "test-secret"


def receiver() -> tuple[FastAPI, list[dict[str, Any]]]:
    """Records signed callbacks; answers 404 to the first one (the portal must retry)."""
    received: list[dict[str, Any]] = []
    app = FastAPI()
    refused = {"n": 0}

    @app.post("/callbacks")
    async def callback(request: Request) -> Response:
        body = await request.body()
        if refused["n"] == 0:
            refused["n"] += 1
            return Response(status_code=404)
        assert valid(SECRET, timestamp=int(request.headers[TIMESTAMP_HEADER]), body=body,
                     given=request.headers[SIGNATURE_HEADER])
        received.append(json.loads(body))
        return Response(status_code=204)

    return app, received


def sim(callback_url: str | None, **overrides: Any) -> FastAPI:
    values: dict[str, Any] = {"callback_url": callback_url, "callback_secret": SECRET, "review_delay_s": 0,
                              "schedule_delay_s": 0, "pay_delay_s": 0, **overrides}
    return create_app(SimulatorSettings(**values))


async def test_accepted_invoice_moves_to_paid_through_signed_callbacks_and_polls() -> None:
    app, received = receiver()
    async with serving(app) as hooks, serving(sim(f"{hooks}/callbacks")) as portal, httpx.AsyncClient() as client:
        answer = await client.post(f"{portal}/invoices", content=cxml_invoice(invoice(), profile()))
        assert answer.status_code == 202 and answer.json()["status"] == "AB"
        reference = answer.json()["reference"]
        await eventually(lambda: _statuses(received, reference, 4))
        assert [c["status"] for c in received] == ["AB", "AP", "PD", "PAID"]
        assert received[2]["payment_date"] is not None
        polled = (await client.get(f"{portal}/invoices/{reference}")).json()
        assert polled["status"] == "PAID" and [h["status"] for h in polled["history"]] == ["AB", "AP", "PD", "PAID"]
        assert (await client.get(f"{portal}/invoices/nope")).status_code == 404
        bad = await client.post(f"{portal}/invoices", content=b"<not-xml")
        assert bad.status_code == 422 and bad.json()["reason_code"] == "FORMAT-INVALID"


async def _statuses(received: list[dict[str, Any]], reference: str, n: int) -> bool:
    return len([c for c in received if c["reference"] == reference]) >= n


async def test_rejections_with_realistic_codes_without_callbacks() -> None:
    settings = {"closed_pos": ["PO-9"], "po_prices": {"PO-77": "10.00"}, "known_ship_to": ["5790000435968", "CUST-1"],
                "validate_documents": False}  # the decider's own rules, on documents a validating intake refuses
    async with serving(sim(None, **settings)) as portal, httpx.AsyncClient() as client:
        async def outcome(document: bytes) -> str | None:
            reference = (await client.post(f"{portal}/invoices", content=document)).json()["reference"]

            async def decided() -> Any:
                view = (await client.get(f"{portal}/invoices/{reference}")).json()
                return view if view["status"] != "AB" else None

            view = await eventually(decided)
            return view["reason_code"] if view["status"] == "RE" else None

        assert await outcome(ubl_invoice(invoice(po_number=None), profile())) == "PO-MISSING"
        assert await outcome(cxml_invoice(invoice(po_number="4711"), profile())) == "PO-INVALID"
        assert await outcome(cxml_invoice(invoice(po_number="PO-9"), profile())) == "PO-INVALID"
        assert await outcome(cxml_invoice(invoice(po_number="PO-77"), profile())) == "PRICE-MISMATCH"
        assert await outcome(ubl_invoice(invoice(), profile(peppol_participant_id="0088:1"))) == "SHIPTO-UNKNOWN"
        good = ubl_invoice(invoice(), profile())
        tax = b'<cbc:TaxAmount currencyID="USD">'
        wrong_tax = good.replace(tax + b"10.00<", tax + b"12.00<", 1)
        assert wrong_tax != good
        assert await outcome(wrong_tax) == "TAX-INVALID"
        assert await outcome(ubl_invoice(invoice(), profile())) is None
        assert await outcome(cxml_invoice(invoice(), profile())) == "DUP-INVOICE"  # same number accepted already


async def test_intake_runs_the_standards_validators() -> None:
    """A portal that validates (the default) refuses what the XSD/Schematron/DTD reject: FORMAT-INVALID."""
    async with serving(sim(None)) as portal, httpx.AsyncClient() as client:
        bad_endpoint = ubl_invoice(invoice(), profile(peppol_participant_id="0088:1"))  # GLN check digit
        answer = await client.post(f"{portal}/invoices", content=bad_endpoint)
        assert answer.status_code == 422 and answer.json()["reason_code"] == "FORMAT-INVALID"
        assert "PEPPOL-COMMON-R040" in answer.json()["reason_text"]
        broken = cxml_invoice(invoice(), profile()).replace(b"<DocumentReference", b"<DocRef")
        answer = await client.post(f"{portal}/invoices", content=broken)
        assert answer.status_code == 422 and "DocRef" in answer.json()["reason_text"]
        assert (await client.post(f"{portal}/invoices", content=ubl_invoice(invoice(), profile()))).status_code == 202


def test_random_rejection_rate_is_seeded_and_realistic() -> None:
    doc = parse(cxml_invoice(invoice(), profile()))

    def run(seed: int) -> list[str | None]:
        decider = Decider(PortalRules(rejection_rate=0.3, seed=seed))
        decider.accepted_numbers = set()
        outcomes = []
        for _ in range(200):
            outcomes.append(decider.decide(doc))
            decider.accepted_numbers.clear()
        return outcomes

    first, again, other = run(7), run(7), run(8)
    assert first == again and first != other
    rejected = [o for o in first if o]
    assert 30 < len(rejected) < 90 and set(rejected) <= {"PRICE-MISMATCH", "PO-INVALID", "TAX-INVALID",
                                                          "SHIPTO-UNKNOWN", "TECH-ERROR"}
