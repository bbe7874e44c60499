"""Document checks before sending and at a portal's intake: the standards' own validators (see
``validators.py``: UBL 2.1 XSD + Peppol BIS 3 / EN16931 Schematron, cXML InvoiceDetail DTD). Each returns the
problems found as text, empty when the document conforms. The hand-written structural checks these
replaced passed documents that the real validators reject (exponent quantities, missing seller VAT id,
endpoint scheme 0088 with a legal-entity code, OrderReference without DocumentReference)."""

from __future__ import annotations

from pathlib import Path

from o2c_invoicing.channels.validators import validate_cxml, validate_ubl


def check_ubl(document: bytes, *, conformance_dir: Path | None = None) -> list[str]:
    return [str(problem) for problem in validate_ubl(document, conformance_dir=conformance_dir)]


def check_cxml(document: bytes, *, conformance_dir: Path | None = None) -> list[str]:
    return [str(problem) for problem in validate_cxml(document, conformance_dir=conformance_dir)]


def check_document(document_format: str, document: bytes, *, conformance_dir: Path | None = None) -> list[str]:
    """``ubl`` or ``cxml``, as the submission records the format."""
    if document_format == "cxml":
        return check_cxml(document, conformance_dir=conformance_dir)
    return check_ubl(document, conformance_dir=conformance_dir)
