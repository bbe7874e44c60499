from decimal import Decimal
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from o2c_common.settings import ServiceSettings
from o2c_invoicing.legal_entities import DEMO_LEGAL_ENTITIES, LegalEntity

DEV_CALLBACK_SECRET = "o2c-local-portal-callback-secret"  # noqa: S105 - dev default, the simulator shares it


class InvoicingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVOICING_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "invoicing"
    http_port: int = 8001
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/o2c_invoicing"

    # Maker-checker: invoices whose gross total is above their currency's amount need a second, different
    # approver (¥495,000 is not USD 495,000). A currency not listed uses second_approval_default; None there
    # means every invoice in that currency needs two.
    second_approval_above: dict[str, Decimal] = {
        "USD": Decimal("10000"), "EUR": Decimal("10000"), "GBP": Decimal("8000"), "CHF": Decimal("10000"),
        "JPY": Decimal("1500000")}
    second_approval_default: Decimal | None = None
    # A portal's "paid" with no cash in the ledger after this many days is a work item.
    customer_paid_no_cash_days: int = 5
    # Stalled detection: no status change for this many days on an open invoice raises invoice.stalled.
    stalled_after_days: int = 5
    stall_sweep_interval_s: float = 300.0
    stall_sweep_batch: int = 200
    # Polling job for portals that do not call back.
    portal_poll_interval_s: float = 60.0
    portal_poll_batch: int = 100
    # Approaching due date without portal approval (work queue), in days.
    due_soon_days: int = 7
    # Shared secret of portal callbacks (HMAC-SHA256 over "<timestamp>.<body>").
    portal_callback_secret: SecretStr = SecretStr(DEV_CALLBACK_SECRET)
    portal_callback_tolerance_s: int = 300
    portal_timeout_s: float = 10.0
    # Default portal endpoint (the simulator under `o2c dev --demo`); a billing profile may name its own.
    portal_base_url: str = "http://127.0.0.1:8010"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    email_from: str = "billing@o2c.example"
    # The sellers on e-invoices, by legal-entity code (JSON in INVOICING_LEGAL_ENTITIES); demo entities by default.
    legal_entities: dict[str, LegalEntity] = Field(default_factory=lambda: dict(DEMO_LEGAL_ENTITIES))
    # Where the UBL 2.1 XSD and the cXML DTD are read from (the shared conformance folder; see the README).
    conformance_dir: Path | None = None
    # Check every generated document with the standards' validators before it is sent.
    validate_documents: bool = True
    # TrueType font of the PDF invoices (DejaVu Sans is looked for when unset; Helvetica/Latin-1 otherwise).
    pdf_font: Path | None = None
