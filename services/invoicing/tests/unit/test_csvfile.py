"""Invoices from CSV rows: grouping by ref, per-invoice header fields, errors by file line."""

from __future__ import annotations

from o2c_invoicing.bulk.csvfile import parse_invoices

HEADER = "ref,legal_entity,customer_id,currency,po_number,description,quantity,unit_price,tax_rate,po_line\n"


def test_rows_sharing_a_ref_are_one_invoice() -> None:
    invoices, errors = parse_invoices(HEADER + "A,US01,C-1,USD,PO-1,Widgets,3,10.00,0.2,1\n"
                                               "A,,,,,Bolts,1,5,,2\n"
                                               "B,DE01,C-2,EUR,,Service,1,100,,\n")
    assert errors == []
    assert [(i.ref, i.lines) for i in invoices] == [("A", [2, 3]), ("B", [4])]
    assert invoices[0].body == {"legal_entity": "US01", "customer_id": "C-1", "currency": "USD", "po_number": "PO-1",
                                "lines": [{"description": "Widgets", "quantity": "3", "unit_price": "10.00",
                                           "tax_rate": "0.2", "po_line": "1"},
                                          {"description": "Bolts", "quantity": "1", "unit_price": "5", "po_line": "2"}]}
    assert invoices[0].idempotency_key != invoices[1].idempotency_key


def test_an_invoice_with_a_bad_row_is_left_out_with_every_error_by_line() -> None:
    invoices, errors = parse_invoices(HEADER + "A,US01,C-1,USD,PO-1,Widgets,3,10.00,,\n"
                                               "A,US01,C-9,USD,,Bolts,abc,5,,\n"
                                               "B,US01,C-2,USD,,Service,1,100,7,\n"
                                               "C,US01,C-3,USD,,Fine,1,1,,\n"
                                               ",US01,C-3,USD,,No ref,1,1,,\n")
    assert [i.ref for i in invoices] == ["C"]
    assert [(e.line, e.ref) for e in errors] == [(3, "A"), (3, "A"), (4, "B"), (6, "")]
    assert "customer_id 'C-9' differs" in errors[0].detail + errors[1].detail
    assert any(e.detail.startswith("quantity:") for e in errors if e.ref == "A")
    assert errors[2].detail.startswith("tax_rate:")


def test_a_file_without_the_required_columns_is_refused_whole() -> None:
    invoices, errors = parse_invoices("ref,customer_id\nA,C-1\n")
    assert invoices == [] and errors[0].line == 0 and "legal_entity" in errors[0].detail
