"""The seller side of every e-invoice: each legal entity's registered name, legal registration, VAT
identifier, address, Peppol endpoint and bank account, from settings (``INVOICING_LEGAL_ENTITIES`` as JSON).

The defaults are demo entities (US01, DE01, NL01) whose identifiers are made up but well-formed, so that the
documents they sign pass the Peppol BIS 3 / EN16931 rules; a real deployment configures its own."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The Peppol Electronic Address Scheme (EAS) codes the shipped Peppol BIS 3 rules accept
# (PEPPOL-EN16931-CL008): ISO 6523 ICDs and the 99xx national VAT / registration schemes.
EAS_CODES = frozenset({
    "0002", "0007", "0009", "0037", "0060", "0088", "0096", "0097", "0106", "0130", "0135", "0142", "0151", "0183",
    "0184", "0188", "0190", "0191", "0192", "0193", "0195", "0196", "0198", "0199", "0200", "0201", "0202", "0204",
    "0208", "0209", "0210", "0211", "0212", "0213", "0215", "0216", "0218", "0221", "0230", "9901", "9910", "9913",
    "9914", "9915", "9918", "9919", "9920", "9922", "9923", "9924", "9925", "9926", "9927", "9928", "9929", "9930",
    "9931", "9932", "9933", "9934", "9935", "9936", "9937", "9938", "9939", "9940", "9941", "9942", "9943", "9944",
    "9945", "9946", "9947", "9948", "9949", "9950", "9951", "9952", "9953", "9957", "9959",
})
# The EAS scheme of a country's VAT number (and 9959, the US Employer Identification Number): a buyer without
# a Peppol participant id is addressed by its tax identifier under these.
VAT_EAS = {"AT": "9914", "ES": "9920", "AD": "9922", "AL": "9923", "BA": "9924", "BE": "9925", "BG": "9926",
           "CH": "9927", "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "GB": "9932", "GR": "9933",
           "EL": "9933", "HR": "9934", "IE": "9935", "LI": "9936", "LT": "9937", "LU": "9938", "LV": "9939",
           "MC": "9940", "ME": "9941", "MK": "9942", "MT": "9943", "NL": "9944", "PL": "9945", "PT": "9946",
           "RO": "9947", "RS": "9948", "SI": "9949", "SK": "9950", "SM": "9951", "TR": "9952", "VA": "9953",
           "FR": "9957", "HU": "9910", "US": "9959"}


class PostalAddress(BaseModel):
    """A postal address as EN16931 has it (BG-5 / BG-8): street lines, city, post code, subdivision, country."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    street: str | None = Field(default=None, max_length=200)
    additional_street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    subdivision: str | None = Field(default=None, max_length=100, description="State, region, province.")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")


class Endpoint(BaseModel):
    """A Peppol electronic address: EAS scheme and identifier (``0088:7300010000001``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: str
    value: str = Field(min_length=1, max_length=128)

    @field_validator("scheme")
    @classmethod
    def _eas(cls, scheme: str) -> str:
        if scheme not in EAS_CODES:
            raise ValueError(f"{scheme} is not in the Peppol EAS code list")
        return scheme

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """``scheme:value`` as billing profiles store a participant id."""
        scheme, sep, value = text.partition(":")
        if not sep:
            raise ValueError(f"participant id {text!r} is not scheme:value")
        return cls(scheme=scheme, value=value)

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


class LegalEntity(BaseModel):
    """A selling legal entity (EN16931 BG-4 Seller)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200, description="Registered legal name (BT-27).")
    trading_name: str | None = Field(default=None, max_length=200, description="BT-28.")
    legal_registration: str = Field(min_length=1, max_length=64, description="Legal registration id (BT-30).")
    legal_registration_scheme: str | None = Field(default=None, description="ISO 6523 ICD of BT-30, e.g. 0106.")
    legal_form: str | None = Field(default=None, max_length=200, description="Additional legal info (BT-33).")
    vat_id: str | None = Field(default=None, max_length=64, description="VAT identifier with country prefix (BT-31).")
    tax_registration: str | None = Field(default=None, max_length=64,
                                         description="Tax registration other than VAT (BT-32).")
    address: PostalAddress
    endpoint: Endpoint
    email: str | None = Field(default=None, max_length=254, description="Seller contact e-mail (BT-43).")
    iban: str | None = Field(default=None, pattern=r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$",
                             description="Payment account (BT-84) for credit transfer.")
    bic: str | None = Field(default=None, pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")

    @field_validator("vat_id")
    @classmethod
    def _vat_prefix(cls, vat_id: str | None) -> str | None:
        if vat_id is not None and not re.match(r"^[A-Z]{2}", vat_id):
            raise ValueError("a VAT identifier starts with its ISO 3166 country prefix (EL for Greece)")
        return vat_id


DEMO_LEGAL_ENTITIES: dict[str, LegalEntity] = {
    "US01": LegalEntity(
        name="o2c Demo Inc.", legal_registration="12-3456789", vat_id="US123456789",
        address=PostalAddress(street="100 Main Street", city="Springfield", postal_code="62701",
                              subdivision="IL", country="US"),
        endpoint=Endpoint(scheme="0060", value="123456789"), email="billing@o2c.example",
        iban="DE89370400440532013000"),
    "DE01": LegalEntity(
        name="o2c Demo GmbH", legal_registration="HRB 123456", legal_form="Amtsgericht Berlin-Charlottenburg",
        vat_id="DE123456789",
        address=PostalAddress(street="Musterstraße 1", city="Berlin", postal_code="10115", country="DE"),
        endpoint=Endpoint(scheme="9930", value="DE123456789"), email="rechnung@o2c.example",
        iban="DE89370400440532013000", bic="COBADEFFXXX"),
    "NL01": LegalEntity(
        name="o2c Demo B.V.", legal_registration="12345678", legal_registration_scheme="0106",
        vat_id="NL123456789B01",
        address=PostalAddress(street="Keizersgracht 1", city="Amsterdam", postal_code="1015 CJ", country="NL"),
        endpoint=Endpoint(scheme="0106", value="12345678"), email="facturen@o2c.example",
        iban="NL91ABNA0417164300", bic="ABNANL2A"),
}


class UnknownLegalEntity(LookupError):
    pass


def seller(entities: dict[str, LegalEntity], code: str) -> LegalEntity:
    try:
        return entities[code]
    except KeyError:
        raise UnknownLegalEntity(
            f"legal entity {code} has no e-invoicing configuration (INVOICING_LEGAL_ENTITIES: "
            f"{', '.join(sorted(entities)) or 'none'})") from None
