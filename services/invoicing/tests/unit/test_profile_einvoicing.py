"""A billing profile's e-invoicing settings are checked when written: an exemption needs its reason, the
standard rate is not a treatment, the country is an ISO code."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from o2c_invoicing.profiles.schemas import EInvoicing, ProfileWrite


def test_profile_e_invoicing_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="exemption_reason"):
        EInvoicing(tax_category="E")
    with pytest.raises(ValidationError):
        EInvoicing(tax_category="S")  # S: the default of rated lines, not a treatment
    with pytest.raises(ValidationError):
        ProfileWrite.model_validate({"name": "A", "legal_entity": "DE01", "currency": "EUR", "channel": "peppol",
                                     "address": {"city": "Berlin", "country": "Germany"}})
    ok = ProfileWrite.model_validate({"name": "A", "legal_entity": "DE01", "currency": "EUR", "channel": "peppol",
                                      "address": {"city": "Berlin", "country": "DE"},
                                      "e_invoicing": {"tax_category": "AE", "attach_ubl": True}})
    assert ok.e_invoicing is not None and ok.e_invoicing.tax_category == "AE"
