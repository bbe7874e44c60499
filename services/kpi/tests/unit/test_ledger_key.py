"""kpi's key of an invoice's AR movements is uuid5(LEDGER_NAMESPACE, str(invoice id)): the keys already stored in
read models must be the ones computed today, whatever builds them."""

from __future__ import annotations

import uuid

from hypothesis import given, strategies as st

from o2c_kpi.facts.service import LEDGER_NAMESPACE, ledger_key


@given(st.uuids())
def test_the_ledger_key_is_the_uuid5_of_the_invoice_id(invoice_id: uuid.UUID) -> None:
    key = ledger_key(invoice_id)

    expected = uuid.uuid5(LEDGER_NAMESPACE, str(invoice_id))
    assert key == expected and str(key) == str(expected) and hash(key) == hash(expected)
    assert key.version == 5 and key.variant == uuid.RFC_4122


def test_a_known_key() -> None:
    assert str(ledger_key(uuid.UUID("00000000-0000-0000-0000-000000000001"))) == str(
        uuid.uuid5(uuid.UUID("1f0c6a52-4f7e-4d5b-9a8e-6b2f3c9d7e10"), "00000000-0000-0000-0000-000000000001"))
