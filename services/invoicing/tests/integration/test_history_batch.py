"""Issue 16 item 1: historical invoices in bulk (`POST /invoices/historical/batch`): what the single-row import
stores and emits, with a number of statements that does not grow with the chunk; idempotent per row; a chunk with
a refused row names its rows and books nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from o2c_common.events.bundle import row_events
from o2c_invoicing.history.service import batch_id
from services.invoicing.tests.conftest import INTEGRATION, PREPARER, Service, problem

pytestmark = pytest.mark.integration

BATCH = "/invoices/historical/batch"


def row(number: str, **overrides: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_OID, number)), "legal_entity": "US01", "customer_id": "CUST-7",
            "currency": "USD", "number": number, "issue_date": "2013-01-02", "due_date": "2013-02-01",
            "paid_date": "2013-02-05", "po_number": f"PO-{number}",
            "lines": [{"description": f"Invoice {number}", "quantity": "2", "unit_price": "10.005",
                       "tax_rate": "0.10"}, {"description": "Freight", "quantity": "1", "unit_price": "5"}],
            **overrides}


async def batch(service: Service, rows: list[dict[str, Any]], headers: dict[str, str] = INTEGRATION) -> Any:
    return await service.client.post(BATCH, json={"invoices": rows}, headers=headers)


async def test_a_batch_stores_and_emits_what_the_single_row_import_does(service: Service) -> None:
    single = await service.client.post("/invoices/historical", json=row("H-0"), headers=INTEGRATION)
    assert single.status_code == 201, single.text
    response = await batch(service, [row("H-1"), row("H-2", customer_id="CUST-8")])
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["existing"]) == (2, 0)
    assert [(r["index"], r["number"], r["outcome"]) for r in body["results"]] == [
        (0, "H-1", "created"), (1, "H-2", "created")]
    ignore = {"id", "number", "po_number", "created_at", "status_since", "customer_id"}
    expected = {k: v for k, v in single.json().items() if k not in ignore}
    for r in body["results"]:
        stored = (await service.client.get(f"/invoices/{r['id']}", headers=INTEGRATION)).json()
        assert stored["number"] == r["number"] and stored["total_amount"] == "27.01"
        assert {k: v for k, v in stored.items() if k not in ignore} | {"lines": []} == expected | {"lines": []}
        assert [(line["net_amount"], line["tax_amount"]) for line in stored["lines"]] == [
            (line["net_amount"], line["tax_amount"]) for line in single.json()["lines"]]
        history = (await service.client.get(f"/invoices/{r['id']}/history", headers=INTEGRATION)).json()
        assert [(h["from_status"], h["to_status"], h["note"], h["actor"]) for h in history] == [
            (None, "issued", "imported as historical", "pipeline")]
    audit = await service.rows("SELECT action, actor, after FROM audit_log ORDER BY id")
    assert [(a.action, a.actor) for a in audit] == [("invoice.imported", "pipeline")] * 3
    assert audit[1].after | {"number": "H-0"} == audit[0].after and audit[1].after["paid_date"] == "2013-02-05"
    events = await service.rows("SELECT event_type, key, payload FROM outbox ORDER BY id")
    assert [e.event_type for e in events] == ["o2c.invoice.issued.v1"] * 3
    assert [e.key for e in events[1:]] == [r["id"] for r in body["results"]]
    first, second = (json.loads(e.payload) for e in events[:2])
    differ = {"invoice_id", "invoice_number", "po_number", "issued_at"}
    assert {k: v for k, v in second.items() if k not in differ} == {k: v for k, v in first.items() if k not in differ}


async def test_the_statements_of_a_chunk_do_not_grow_with_its_rows(service: Service) -> None:
    with service.statements() as small:
        assert (await batch(service, [row(f"S-{n}") for n in range(2)])).status_code == 200
    with service.statements() as large:
        assert (await batch(service, [row(f"L-{n}") for n in range(60)])).status_code == 200
    assert len(large) == len(small) <= 12
    assert await service.scalar("SELECT count(*) FROM invoice_lines") == 124
    rows = await service.rows(
        "SELECT event_type, headers, payload FROM outbox WHERE event_type = 'o2c.invoice.issued.v1'")
    issued = [payload for row in rows for _, _, payload in row_events(*row)]
    assert len(issued) == 62 and all(json.loads(p)["historical"] is True for p in issued)
    assert len(rows) < 62  # a chunk's events are bundled


async def test_a_chunk_sent_again_books_nothing_twice_and_says_so_per_row(service: Service) -> None:
    first = [row("R-1"), row("R-2", id=None)]
    assert (await batch(service, first)).json()["created"] == 2
    single = await service.client.post("/invoices/historical", json=row("R-3"), headers=INTEGRATION)
    assert single.status_code == 201
    before = await service.counts()
    again = (await batch(service, [*first, row("R-3")])).json()
    assert (again["created"], again["existing"]) == (0, 3)
    assert [r["outcome"] for r in again["results"]] == ["existing"] * 3
    assert again["results"][1]["id"] == str(batch_id("US01", "R-2"))  # no id sent: the uuid5 of entity and number
    assert await service.counts() == before
    mixed = (await batch(service, [row("R-1"), row("R-4")])).json()
    assert [r["outcome"] for r in mixed["results"]] == ["existing", "created"]
    assert await service.scalar("SELECT count(*) FROM outbox") == before[2] + 1


async def test_a_chunk_with_refused_rows_names_them_and_books_nothing(service: Service) -> None:
    assert (await batch(service, [row("X-1")])).status_code == 200
    before = await service.counts()
    rows = [row("X-2"), row("US01-2026-000001"), row("X-3"), row("X-3", id=str(uuid.uuid4())),
            row("X-1", id=str(uuid.uuid4()))]
    body = problem(await batch(service, rows), 422)
    assert body["type"].endswith("/historical-rows-refused") and "nothing of this chunk" in body["detail"]
    assert body["rows"] == [1, 3, 4]
    assert [(e["index"], e["pointer"], e["type"]) for e in body["errors"]] == [
        (1, "#/invoices/1/number", "historical-number-in-live-series"),
        (3, "#/invoices/3/number", "duplicate-in-batch"),
        (4, "#/invoices/4/number", "duplicate-invoice-number")]
    assert await service.counts() == before
    # only clashes with stored invoices: 409
    clash = problem(await batch(service, [row("X-4"), row("X-1", id=str(uuid.uuid4()))]), 409)
    assert clash["rows"] == [1] and "X-1" in clash["errors"][0]["detail"]
    assert await service.counts() == before


async def test_malformed_rows_are_named_by_their_pointer(service: Service) -> None:
    rows = [row("M-1"), row("M-2"), row("M-3")]
    rows[2]["lines"][0]["quantity"] = "many"
    del rows[1]["due_date"]
    body = problem(await batch(service, rows), 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"#/invoices/1/due_date", "#/invoices/2/lines/0/quantity"} <= pointers
    assert await service.counts() == (0, 0, 0, 0, 0, 0)


async def test_importers_only_and_chunks_are_bounded(service: Service) -> None:
    problem(await batch(service, [row("P-1")], headers=PREPARER), 403)
    problem(await service.client.post(BATCH, json={"invoices": []}, headers=INTEGRATION), 422)
    too_many = [{**row(f"B-{n}"), "lines": row(f"B-{n}")["lines"][:1]} for n in range(1001)]
    body = problem(await batch(service, too_many), 422)
    assert any(e["pointer"] == "#/invoices" for e in body["errors"])
    assert await service.counts() == (0, 0, 0, 0, 0, 0)
