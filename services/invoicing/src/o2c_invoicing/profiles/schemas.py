from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from o2c_common.events.contracts.invoicing import Channel
from o2c_common.events.types import Currency
from o2c_invoicing.legal_entities import PostalAddress
from o2c_invoicing.profiles.billing import BillingCadence
from o2c_invoicing.profiles.patterns import validated

Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
# A customer-supplied regular expression: checked with RE2 (linear time, no back-references) when written.
Pattern = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(validated)]


class PortalRules(BaseModel):
    """What the customer's portal accepts; checked before every submission."""

    model_config = ConfigDict(extra="forbid")

    po_required: bool = False
    po_pattern: Pattern | None = Field(default=None, description="RE2 regular expression a PO must match in full.")
    po_line_required: bool = False
    tax_id_required: bool = False
    max_lines: int | None = Field(default=None, ge=1, le=10_000)
    attachment_required: bool = False
    invoice_number_pattern: Pattern | None = Field(default=None, description=(
        "RE2 regular expression the invoice number must match in full."))
    allowed_currencies: list[Currency] | None = None
    service_period_required: bool = False


class StoredPortalRules(PortalRules):
    """The rules as stored: patterns written before they were checked with RE2 are read back as they are (a
    submission reports an invalid one as a violation), so reading a profile never fails on them."""

    po_pattern: str | None = None
    invoice_number_pattern: str | None = None


class EInvoicing(BaseModel):
    """How the customer appears on e-invoices beyond name and tax id: its VAT treatment for zero-rated lines
    (UNTDID 5305 category: Z zero rated, E exempt, AE reverse charge, K intra-community, G export, O not
    subject to VAT) with the exemption reason EN16931 requires for E/AE/K/G/O (text and/or a VATEX code;
    AE/K/G/O default to VATEX-EU-AE/-IC/-G/-O), its legal registration, and whether e-mailed invoices
    carry the UBL besides the PDF."""

    model_config = ConfigDict(extra="forbid")

    tax_category: Literal["Z", "E", "AE", "K", "G", "O"] = "Z"
    exemption_reason: str | None = Field(default=None, max_length=300)
    exemption_reason_code: str | None = Field(default=None, max_length=30, pattern=r"^VATEX-[A-Z0-9-]+$")
    company_id: str | None = Field(default=None, max_length=64, description="Buyer legal registration (BT-47).")
    company_id_scheme: str | None = Field(default=None, pattern=r"^\d{4}$", description="ISO 6523 ICD of it.")
    attach_ubl: bool = Field(default=False, description="E-mail channel: attach the UBL XML besides the PDF.")

    @model_validator(mode="after")
    def _reason(self) -> EInvoicing:
        if self.tax_category == "E" and not (self.exemption_reason or self.exemption_reason_code):
            raise ValueError("tax category E (exempt) needs exemption_reason or exemption_reason_code")
        return self


class Contact(BaseModel):
    """billing: receives e-mailed invoices (the primary one as addressee, the others in copy); dunning_copy is
    kept for collections' account master."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: Email
    role: Literal["billing", "ap", "escalation", "dunning_copy"] = "billing"
    language: str | None = Field(default=None, min_length=2, max_length=16, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$")
    is_primary: bool = False


class ProfileWrite(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "Acme Corp", "legal_entity": "US01", "currency": "USD", "payment_terms": "net",
        "payment_terms_days": 30, "channel": "coupa", "portal_account": "acme-coupa-7781",
        "rules": {"po_required": True, "max_lines": 200}, "owning_team": "vendor-a",
    }]})

    name: str = Field(min_length=1, max_length=200)
    legal_entity: str = Field(min_length=2, max_length=20, pattern=r"^[A-Z0-9_-]+$")
    currency: Currency
    payment_terms: Literal["net", "eom"] = "net"
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    channel: Channel
    portal_account: str | None = Field(default=None, max_length=128)
    portal_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    polls: bool = Field(default=False, description="The portal does not call back: poll it for status.")
    peppol_participant_id: str | None = Field(default=None, max_length=128, pattern=r"^\d{4}:[A-Za-z0-9._-]+$")
    email: Email | None = None
    tax_id: str | None = Field(default=None, max_length=64)
    address: PostalAddress | None = Field(default=None, description="Billing address (e-invoices' buyer).")
    e_invoicing: EInvoicing | None = None
    rules: PortalRules = PortalRules()
    contacts: list[Contact] = Field(default_factory=list, max_length=20)
    billing_cadence: BillingCadence | None = Field(default=None, description=(
        "When invoices are due to be issued: on_delivery (requested issue date + lag), monthly (month end + lag) "
        "or service_period_end (+ lag); sets each invoice's billing deadline (on-time invoicing)."))
    billing_lag_days: int | None = Field(default=None, ge=0, le=120)
    owning_team: str | None = Field(default=None, max_length=64, description=(
        "Set from collections' account master (account.updated); supervisors may set it until the account "
        "exists there. Vendor agents cannot change it."))

    @model_validator(mode="after")
    def _one_primary_billing_contact(self) -> ProfileWrite:
        if sum(1 for c in self.contacts if c.is_primary and c.role == "billing") > 1:
            raise ValueError("at most one billing contact may be primary")
        return self


class ProfileRead(ProfileWrite):
    model_config = ConfigDict(from_attributes=True)

    rules: StoredPortalRules = StoredPortalRules()
    customer_id: str
    version: int
    updated_by: str
    updated_at: datetime
