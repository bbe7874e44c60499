"""Payment terms with an early-payment discount (issue 18 item 2): 2/10 net 30 on the invoice, carried to
collections by invoice.issued as the discount's percent and last day; inconsistent terms are refused."""

from __future__ import annotations

import json

from services.invoicing.tests.conftest import PREPARER, Service, problem


async def test_2_10_net_30_travels_with_invoice_issued(service: Service) -> None:
    issued = await service.issued(discount_percent="2", discount_days=10, issue_date="2026-03-02")
    assert (issued["discount_percent"], issued["discount_days"], issued["due_date"]) == ("2.00", 10, "2026-04-01")
    payload = await service.scalar("SELECT convert_from(payload, 'UTF8') FROM outbox WHERE event_type LIKE "
                                   "'%invoice.issued%' ORDER BY id DESC LIMIT 1")
    fact = json.loads(payload)
    assert (fact["discount_percent"], fact["discount_until"], fact["po_number"]) == ("2.00", "2026-03-12", "PO-100")
    plain = await service.issued()
    payload = await service.scalar("SELECT convert_from(payload, 'UTF8') FROM outbox WHERE event_type LIKE "
                                   "'%invoice.issued%' ORDER BY id DESC LIMIT 1")
    assert plain["discount_percent"] is None and json.loads(payload)["discount_until"] is None


async def test_a_discount_needs_both_figures_and_a_window_inside_the_terms(service: Service) -> None:
    body = {"legal_entity": "US01", "customer_id": "CUST-1", "currency": "USD", "payment_terms_days": 30,
            "lines": [{"description": "Widgets", "quantity": "1", "unit_price": "10", "tax_rate": "0"}]}
    for extra in ({"discount_percent": "2"}, {"discount_days": 10}, {"discount_percent": "2", "discount_days": 30},
                  {"discount_percent": "100", "discount_days": 10}):
        response = await service.client.post("/invoices", json={**body, **extra}, headers=PREPARER)
        assert problem(response, 422), extra
