"""Portal status from standard messages: Peppol Invoice Response 3 (UBL ApplicationResponse) and cXML
StatusUpdateRequest, read into the service's status codes and classified by the rejection taxonomy; the
simulator's messages; malformed messages refused naming the element."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from o2c_invoicing.channels.status_messages import (
    CLARIFICATION_ACTIONS,
    CLARIFICATION_REASONS,
    RESPONSE_CODES,
    MessageError,
    invoice_response,
    parse,
    status_update,
)
from o2c_invoicing.channels.validators import cxml_dtd_path
from o2c_invoicing.simulator.messages import standard_message
from o2c_invoicing.simulator.portal import TEXTS, Parties
from o2c_invoicing.submissions.reasons import STATUS_BY_CODE, classify

SELLER = ("9930", "DE123456789", "o2c Demo GmbH")
BUYER = ("0088", "5790000435968", "Acme")
CONFORMANCE = Path(__file__).resolve().parents[4].parent / "shared" / "conformance"


def _ir(code: str, **kwargs: object) -> bytes:
    return invoice_response(invoice_number="DE01-2026-000001", code=code, sender=BUYER, receiver=SELLER,
                            **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", sorted(RESPONSE_CODES))
def test_every_invoice_response_code_maps_to_a_known_portal_status(code: str) -> None:
    clarification = {"reasons": [("REF", "PO 4711 is closed")]} if code in ("UQ", "RE", "CA") else {}
    message = parse(_ir(code, **clarification))
    assert message.source == "peppol-invoice-response"
    assert message.invoice_number == "DE01-2026-000001" and message.status == code
    assert code in STATUS_BY_CODE


@pytest.mark.parametrize("reason", sorted(CLARIFICATION_REASONS))
def test_clarification_reasons_are_classified_into_the_taxonomy(reason: str) -> None:
    message = parse(_ir("RE", reasons=[(reason, "why")], actions=[("NIN", None)]))
    assert message.reasons == (reason,) and message.actions == ("NIN",)
    if reason == "NON":
        assert message.reason_code is None
    else:
        assert message.reason_code == reason
    assert classify(message.reason_code)[0] in {"missing_po", "invalid_po", "tax_error", "price_mismatch",
                                                "duplicate_invoice_number", "unknown_ship_to", "format_error",
                                                "technical_error", "missing_attachment", "other"}
    assert "action NIN Issue new invoice" in (message.reason_text or "")


def test_reason_mapping_examples() -> None:
    assert classify("REF") == ("invalid_po", "po")
    assert classify("PRI") == ("price_mismatch", "pricing")
    assert classify("REC") == ("unknown_ship_to", "master_data")
    assert classify("LEG") == ("tax_error", "master_data")
    assert classify("CXML-409") == ("duplicate_invoice_number", "duplicate")
    assert classify("CXML-400") == ("format_error", "portal_technical")
    assert classify("CXML-551") == ("technical_error", "portal_technical")
    assert classify("CXML-401") == ("technical_error", "master_data")


@pytest.mark.parametrize("action", sorted(CLARIFICATION_ACTIONS))
def test_actions_alone_clarify_a_query(action: str) -> None:
    message = parse(_ir("UQ", actions=[(action, "please")]))
    assert message.actions == (action,) and message.reason_code is None


@pytest.mark.parametrize(("mutate", "element"), [
    (lambda b: b.replace(b"invoice_response:3</cbc:Custom", b"invoice_response:2</cbc:Custom"), "CustomizationID"),
    (lambda b: b.replace(b">RE</cbc:ResponseCode>", b">XX</cbc:ResponseCode>"), "ResponseCode"),
    (lambda b: b.replace(b">REF</cbc:StatusReasonCode>", b">ZZZ</cbc:StatusReasonCode>"), "StatusReasonCode"),
    (lambda b: b.replace(b'listID="OPStatusReason"', b'listID="Other"'), "StatusReasonCode"),
    (lambda b: b.replace(b"<cbc:ID>DE01-2026-000001</cbc:ID>", b""), "DocumentReference/cbc:ID"),
    (lambda b: b.replace(b"<cbc:IssueDate>", b"<cbc:IssueDate>x"), "IssueDate"),
])
def test_a_broken_invoice_response_is_refused_naming_the_element(mutate: object, element: str) -> None:
    good = _ir("RE", reasons=[("REF", "closed")])
    broken = mutate(good)  # type: ignore[operator]
    assert broken != good
    with pytest.raises(MessageError) as caught:
        parse(broken)
    assert element in caught.value.element


def test_a_rejection_without_clarification_is_refused() -> None:
    with pytest.raises(MessageError, match="needs a clarification"):
        parse(_ir("RE"))


@pytest.mark.parametrize(("kind", "status"), [("processing", "IP"), ("reconciled", "AP"), ("rejected", "RE"),
                                              ("canceled", "RE"), ("paying", "PD"), ("paid", "PAID")])
def test_cxml_invoice_status_types(kind: str, status: str) -> None:
    message = parse(status_update(invoice_number="US01-2026-000007", kind=kind, from_identity="acme",
                                  to_identity="US01"))
    assert (message.source, message.invoice_number, message.status) == ("cxml-status-update",
                                                                         "US01-2026-000007", status)
    assert status in STATUS_BY_CODE


def test_cxml_rejection_codes_and_the_portals_own_code() -> None:
    coupa = parse(status_update(invoice_number="N1", kind="rejected", from_identity="a", to_identity="b",
                                status_code=409, comments="Invoice number already used"))
    assert coupa.reason_code == "CXML-409" and coupa.reason_text == "Invoice number already used"
    own = parse(status_update(invoice_number="N1", kind="rejected", from_identity="a", to_identity="b",
                              status_code=406, comments="PO closed", reason_code="PO-INVALID"))
    assert own.reason_code == "PO-INVALID" and classify(own.reason_code) == ("invalid_po", "po")


def test_a_partial_payment_keeps_the_invoice_scheduled_and_says_how_much() -> None:
    message = parse(status_update(invoice_number="N1", kind="paid", from_identity="a", to_identity="b",
                                  partial_amount=(Decimal("40.00"), "USD")))
    assert message.status == "PD" and message.partial_amount == Decimal("40.00")
    assert "partial amount 40.00" in (message.reason_text or "")


def test_cxml_status_update_request_is_valid_against_the_cxml_dtd() -> None:
    assert CONFORMANCE.is_dir(), "../shared/conformance is missing: see the README, section 'Conformance files'"
    dtd = etree.DTD(str(cxml_dtd_path(CONFORMANCE)))
    for kind in ("processing", "rejected", "paid"):
        body = status_update(invoice_number="N1", kind=kind, from_identity="a", to_identity="b",
                             status_code=406 if kind == "rejected" else 200, comments="c",
                             partial_amount=(Decimal(1), "USD") if kind == "paid" else None, reason_code="X")
        # InvoiceDetail.dtd declares StatusUpdateRequest (cXML.dtd allows it under Request): check that part.
        part = etree.fromstring(etree.tostring(etree.fromstring(body).find("Request/StatusUpdateRequest")))
        assert dtd.validate(part), dtd.error_log


@pytest.mark.parametrize(("mutate", "element"), [
    (lambda b: b.replace(b'type="rejected"', b'type="lost"'), "InvoiceStatus/@type"),
    (lambda b: b.replace(b'<InvoiceIDInfo invoiceID="N1"/>', b""), "InvoiceIDInfo"),
    (lambda b: b.replace(b'code="406"', b'code="x"'), "Status"),
    (lambda b: b.replace(b"StatusUpdateRequest", b"ProfileRequest"), "Request"),
])
def test_a_broken_status_update_is_refused_naming_the_element(mutate: object, element: str) -> None:
    good = status_update(invoice_number="N1", kind="rejected", from_identity="a", to_identity="b", status_code=406)
    broken = mutate(good)  # type: ignore[operator]
    assert broken != good
    with pytest.raises(MessageError) as caught:
        parse(broken)
    assert element in caught.value.element


def test_not_well_formed_and_entities_are_refused() -> None:
    with pytest.raises(MessageError, match="not well-formed"):
        parse(b"<cXML>")
    with pytest.raises(MessageError, match="entity"):
        parse(b'<!DOCTYPE cXML [<!ENTITY x "y">]><cXML/>')
    with pytest.raises(MessageError, match="neither"):
        parse(b"<Invoice/>")


@pytest.mark.parametrize("code", sorted(TEXTS))
@pytest.mark.parametrize("document_format", ["ubl", "cxml"])
def test_the_simulators_messages_carry_its_decisions(code: str, document_format: str) -> None:
    parties = Parties(seller=SELLER, buyer=BUYER)
    body = standard_message(document_format, number="N1", status="RE", reason_code=code, parties=parties)
    assert body is not None
    message = parse(body)
    assert message.status == "RE" and message.invoice_number == "N1"
    reason, _ = classify(message.reason_code)
    if code in ("PO-MISSING", "PO-INVALID"):
        assert reason in ("missing_po", "invalid_po")
    if code == "PRICE-MISMATCH":
        assert reason == "price_mismatch"
    if code == "DUP-INVOICE" and document_format == "cxml":
        assert reason == "duplicate_invoice_number"
    for step in ("AB", "AP", "PD"):
        sent = standard_message(document_format, number="N1", status=step, reason_code=None, parties=parties)
        assert sent is not None and STATUS_BY_CODE[parse(sent).status] == STATUS_BY_CODE[step]
    paid = standard_message(document_format, number="N1", status="PAID", reason_code=None, parties=parties)
    assert (paid is None) == (document_format == "ubl")  # Peppol has no code after PD
