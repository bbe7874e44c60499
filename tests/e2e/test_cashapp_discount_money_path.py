"""Issue 18's money path across the running stack: invoicing issues two same-amount invoices with 2/10 net 30 and
PO numbers; collections applies a payment whose free text names one of them, with the discount taken in its
window; at the end the ledger and invoicing agree (settled, nothing open) and the twin stays open in both."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c_cli.stack import Stack

from .conftest import client
from .test_walking_skeleton import _ok_json, eventually, issue


def test_a_discounted_payment_named_in_free_text_settles_in_every_service(stack: Stack) -> None:
    collections = client(stack, "collections", subject="e2e-cash", roles=("collector",))
    invoicing = client(stack, "invoicing", subject="e2e-reader", roles=("admin",))
    body = {"legal_entity": "US01", "customer_id": "CUST-DISC", "currency": "USD", "payment_terms_days": 30,
            "discount_percent": "2", "discount_days": 10,
            "lines": [{"description": "Service", "quantity": "1", "unit_price": "1000.00", "tax_rate": "0"}]}
    meant = issue(stack, {**body, "po_number": "PO-4500018001"})
    twin = issue(stack, {**body, "po_number": "PO-4500018002"})
    for invoice in (meant, twin):
        eventually(lambda inv=invoice: _ok_json(collections.get(f"/receivables/{inv['id']}")))
    # paid on the day of issue: in the window, and not dated after today (a future-dated payment would keep the
    # invoice in "open AR as of today" and the shared stack's other tests compare that with current open amounts)
    in_window = date.fromisoformat(str(meant["issue_date"]))
    paid = collections.post("/payments", json={
        "legal_entity": "US01", "customer_id": "CUST-DISC", "currency": "USD", "amount": "980.00",
        "value_date": in_window.isoformat(), "remittance": [{"reference": f"PAYMENT FOR INV {meant['number']}"}]})
    assert paid.status_code == 201, paid.text
    assert [a["rule"] for a in paid.json()["applications"]] == ["early_payment_discount"]

    settled = eventually(lambda: _ok_json(invoicing.get(f"/invoices/{meant['id']}"))
                         if (invoicing.get(f"/invoices/{meant['id']}").json().get("settlement_status")
                             == "settled") else None)
    ledger = collections.get(f"/receivables/{meant['id']}").json()
    assert Decimal(ledger["open_amount"]) == 0 and ledger["status"] == "closed"
    assert settled["settlement_status"] == "settled"
    other = collections.get(f"/receivables/{twin['id']}").json()
    assert Decimal(other["open_amount"]) == Decimal("1000.00")
    assert invoicing.get(f"/invoices/{twin['id']}").json()["settlement_status"] == "open"
