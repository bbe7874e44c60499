from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from o2c_common.egress import EgressPolicy, default_port
from o2c_common.settings import ServiceSettings, check_secret
from o2c_invoicing.legal_entities import DEMO_LEGAL_ENTITIES, LegalEntity

DEV_CALLBACK_SECRET = "o2c-local-portal-callback-secret"  # noqa: S105 - dev default, the simulator shares it
# Portal hosts allowed (also on loopback) when portal_allowed_hosts / portal_private_hosts are not set, outside prod:
# the local portal simulator.
LOCAL_PORTAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


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
    # Credit notes issued by hand (one person holding an approving role): all hand-issued notes of an invoice
    # together stay within its currency's amount (per currency, not converted); a larger credit needs a second
    # person (a dispute credited in collections, or a credit and rebill). A currency not listed uses
    # hand_credit_limit_default; None there means no hand-issued credit in that currency.
    hand_credit_limits: dict[str, Decimal] = {
        "USD": Decimal("1000"), "EUR": Decimal("1000"), "GBP": Decimal("800"), "CHF": Decimal("1000"),
        "CAD": Decimal("1300"), "AUD": Decimal("1500"), "NZD": Decimal("1600"), "JPY": Decimal("150000"),
        "CNY": Decimal("7000"), "HKD": Decimal("7800"), "SGD": Decimal("1300"), "INR": Decimal("80000"),
        "SEK": Decimal("10000"), "NOK": Decimal("10000"), "DKK": Decimal("7000"), "PLN": Decimal("4000"),
        "MXN": Decimal("17000"), "BRL": Decimal("5000"), "ZAR": Decimal("18000")}
    hand_credit_limit_default: Decimal | None = None
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
    # Secrets of portal callbacks (HMAC-SHA256 over "<timestamp>.<body>"). Per portal, by its id (the host, or
    # host:port, of its URL) sent as X-Portal-Id: a portal's callbacks then reach only its own submissions. The
    # shared one verifies callbacks naming no portal, for portals without a secret of their own; unset in prod
    # (no default there), the dev secret the simulator shares elsewhere.
    portal_callback_secrets: dict[str, SecretStr] = {}
    portal_callback_secret: SecretStr | None = None
    portal_callback_tolerance_s: int = 300
    portal_timeout_s: float = 10.0
    # Default portal endpoint (the simulator under `o2c dev --demo`); a billing profile may name its own.
    portal_base_url: str = "http://127.0.0.1:8010"
    # SSRF guard (o2c_common.egress): the hosts a billing profile's portal_url may name (host, host:port,
    # *.domain, [v6]:port) and those of them that may be on a non-public address. Unset: 127.0.0.1, localhost and
    # [::1] outside prod, none in prod. The host:port of portal_base_url is always in both.
    portal_allowed_hosts: list[str] | None = None
    portal_private_hosts: list[str] | None = None
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

    @model_validator(mode="after")
    def _portal_secrets(self) -> InvoicingSettings:
        if self.portal_callback_secret is None and self.environment != "prod":
            self.portal_callback_secret = SecretStr(DEV_CALLBACK_SECRET)
        if self.environment == "prod":
            if self.portal_callback_secret is not None:
                check_secret("portal_callback_secret", self.portal_callback_secret, also_refused={DEV_CALLBACK_SECRET})
            for portal, secret in self.portal_callback_secrets.items():
                check_secret(f"portal_callback_secrets[{portal}]", secret, also_refused={DEV_CALLBACK_SECRET})
        return self

    def portal_policy(self) -> EgressPolicy:
        """Where portal deliveries and polls may go (see ``portal_allowed_hosts``)."""
        base = urlsplit(self.portal_base_url)
        host = base.hostname or ""
        default = [f"[{host}]" if ":" in host else host] if host else []
        base_rule = [f"{default[0]}:{base.port or default_port(base.scheme)}"] if default else []
        local = [] if self.environment == "prod" else list(LOCAL_PORTAL_HOSTS)
        allowed = self.portal_allowed_hosts if self.portal_allowed_hosts is not None else local
        private = self.portal_private_hosts if self.portal_private_hosts is not None else local
        return EgressPolicy.of(allowed=[*allowed, *base_rule], private=[*private, *base_rule])
