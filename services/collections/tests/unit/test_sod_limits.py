"""Issue 13: the approval limits for credits and write-offs are per currency, not one figure for every currency;
a currency without a limit is an admin's to approve."""

from __future__ import annotations

from decimal import Decimal

import pytest

from o2c_collections.config import CollectionsSettings
from o2c_collections.writeoffs import limit_for


@pytest.mark.parametrize(("currency", "limit"), [("USD", "1000"), ("EUR", "1000"), ("GBP", "800"),
                                                 ("JPY", "150000"), ("XAU", None)])
def test_each_currency_has_its_own_limit(currency: str, limit: str | None) -> None:
    assert limit_for(CollectionsSettings(), currency) == (Decimal(limit) if limit else None)


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTIONS_REDUCTION_LIMITS", '{"USD": "250", "JPY": "30000"}')
    monkeypatch.setenv("COLLECTIONS_REDUCTION_LIMIT_DEFAULT", "100")
    settings = CollectionsSettings()
    assert (limit_for(settings, "USD"), limit_for(settings, "JPY"), limit_for(settings, "EUR")) == (
        Decimal(250), Decimal(30000), Decimal(100))
