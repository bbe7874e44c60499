"""The walking skeleton, over HTTP, against the four running services, real PostgreSQL and the real broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import httpx
from aiokafka import AIOKafkaConsumer

from o2c_cli.stack import Stack
from o2c_common.events import Event

from .conftest import client

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], *, timeout: float = 30) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def open_ar_usd(kpi: httpx.Client) -> Decimal:
    totals = kpi.get("/kpis/open-ar").raise_for_status().json()["totals"]
    return sum((Decimal(t["amount"]) for t in totals if t["currency"] == "USD"), Decimal(0))


def issue(stack: Stack, body: dict[str, object], *, correlation_id: str | None = None) -> dict[str, object]:
    """Prepare a draft, request approval, approve it as someone else (maker-checker) and issue it, over HTTP."""
    preparer = client(stack, "invoicing", subject="e2e-preparer", roles=("billing_specialist",))
    approver = client(stack, "invoicing", subject="e2e-approver", roles=("billing_approver",))
    extra = {"X-Correlation-ID": correlation_id} if correlation_id else {}
    created = preparer.post("/invoices", json=body, headers=extra)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft" and created.json()["number"] is None
    etag, invoice_id = created.headers["ETag"], created.json()["id"]
    for actor, action in ((preparer, "request-approval"), (approver, "approve"), (preparer, "issue")):
        response = actor.post(f"/invoices/{invoice_id}/{action}", headers={"If-Match": etag, **extra})
        assert response.status_code == 200, response.text
        etag = response.headers["ETag"]
    return dict(response.json())


def test_invoice_flows_from_invoicing_to_collections_and_kpi(stack: Stack) -> None:
    collections, kpi = (client(stack, s) for s in ("collections", "kpi"))
    before = open_ar_usd(kpi)

    invoice = issue(stack, {
        "legal_entity": "US01", "customer_id": "CUST-E2E", "currency": "USD", "payment_terms_days": 30,
        "lines": [{"description": "Widgets", "quantity": "3", "unit_price": "33.335", "tax_rate": "0.10"}],
    }, correlation_id="e2e-corr-1")
    assert invoice["status"] == "issued"
    assert invoice["total_amount"] == "110.01"  # 100.005 → 100.01 net (half up), tax 10.00
    assert str(invoice["number"]).startswith("US01-")

    receivable = eventually(lambda: _ok_json(collections.get(f"/receivables/{invoice['id']}")))
    assert Decimal(receivable["open_amount"]) == Decimal("110.01")
    assert receivable["customer_id"] == "CUST-E2E"

    eventually(lambda: True if open_ar_usd(kpi) == before + Decimal("110.01") else None)

    issued = _find_event(stack.kafka, "o2c.invoicing.events", key=str(invoice["id"]), type_="o2c.invoice.issued.v1")
    assert issued.type == "o2c.invoice.issued.v1" and issued.source == "/o2c/invoicing"
    assert issued.correlation_id == "e2e-corr-1"  # carried from the issuing request into the event's headers


def test_escalation_case_is_accepted_and_readable_by_its_requester(stack: Stack) -> None:
    requester = client(stack, "escalation", subject="sales-anna", roles=("requester",))
    created = requester.post("/cases", json={
        "title": "Invoice stuck in portal", "description": "Customer reports rejection", "category": "portal",
        "severity": "P2", "requester_function": "sales", "customer_id": "CUST-E2E",
    })
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["status"] == "open" and case["tier"] == "L1" and case["requester"] == "sales-anna"
    assert requester.get(f"/cases/{case['id']}").json()["number"] == case["number"]
    stranger = client(stack, "escalation", subject="someone-else", roles=("requester",))
    assert stranger.get(f"/cases/{case['id']}").status_code == 404


def test_requests_without_token_are_refused_with_problem_json(stack: Stack) -> None:
    port = stack.config.ports["invoicing"]
    response = httpx.post(f"http://127.0.0.1:{port}/invoices", json={})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200


def _ok_json(response: httpx.Response) -> dict[str, object] | None:
    return response.json() if response.status_code == 200 else None


def test_idempotency_key_replays_the_first_answer_and_creates_once(stack: Stack) -> None:
    invoicing = client(stack, "invoicing", subject="billing-bob", roles=("billing_specialist",))
    body = {"legal_entity": "DE01", "customer_id": "CUST-IDEM", "currency": "EUR",
            "lines": [{"description": "Support", "quantity": "1", "unit_price": "99.99"}]}
    first = invoicing.post("/invoices", json=body, headers={"Idempotency-Key": "idem-e2e-1"})
    again = invoicing.post("/invoices", json=body, headers={"Idempotency-Key": "idem-e2e-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    other = invoicing.post("/invoices", json={**body, "customer_id": "CUST-OTHER"},
                           headers={"Idempotency-Key": "idem-e2e-1"})
    assert other.status_code == 422
    listed = invoicing.get("/invoices", params={"customer_id": "CUST-IDEM", "limit": 10}).json()
    assert [i["id"] for i in listed["items"]] == [first.json()["id"]]


def test_vendor_agent_lists_only_their_team_and_pages_are_bounded(stack: Stack) -> None:
    admin = client(stack, "invoicing", subject="admin")
    run = uuid.uuid4().hex[:6]  # teams of this test only: other tests' invoices must not count
    team_a, team_b = f"vendor-a-{run}", f"vendor-b-{run}"
    for team in (team_a, team_a, team_a, team_b):
        response = admin.post("/invoices", json={
            "legal_entity": "GB01", "customer_id": f"CUST-{team}", "currency": "GBP", "owning_team": team,
            "lines": [{"description": "Service", "quantity": "1", "unit_price": "10.00"}]})
        assert response.status_code == 201
    agent = client(stack, "invoicing", subject="agent-a", roles=("vendor_agent",), team=team_a)
    seen, cursor = [], None
    while True:
        page = agent.get("/invoices", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 and {i["owning_team"] for i in seen} == {team_a}
    assert agent.get("/invoices", params={"limit": 500}).status_code == 422
    other = next(i for i in admin.get("/invoices", params={"customer_id": f"CUST-{team_b}"}).json()["items"])
    assert agent.get(f"/invoices/{other['id']}").status_code == 403


def _find_event(bootstrap: str, topic: str, *, key: str, type_: str) -> Event:
    async def read() -> Event:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                    group_id=None)  # no group: no join to wait for
        await consumer.start()
        try:
            for _ in range(100):
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for r in records:
                        if r.key == key.encode():
                            event = Event.from_kafka(r.key, r.value, r.headers)
                            if event.type == type_:
                                return event
            raise AssertionError(f"no event with key {key} on {topic}")
        finally:
            await consumer.stop()

    return asyncio.run(read())


def test_metrics_show_the_relay_and_consumers_at_work(stack: Stack) -> None:
    assert issue(stack, {"legal_entity": "US01", "customer_id": "CUST-METRICS", "currency": "USD",
                         "lines": [{"description": "x", "quantity": "1", "unit_price": "1.00"}]})["status"] == "issued"
    ports = stack.config.ports

    def scrape(service: str) -> str:
        return httpx.get(f"http://127.0.0.1:{ports[service]}/metrics").text

    issued = 'events_published_total{topic="o2c.invoicing.events",type="o2c.invoice.issued.v1"}'
    published = eventually(lambda: _metric(scrape("invoicing"), issued))
    assert published >= 1
    assert _metric(scrape("invoicing"), "outbox_backlog") is not None
    consumed = eventually(lambda: _metric(scrape("collections"),
                                          'events_consumed_total{group="collections",topic="o2c.invoicing.events"}'))
    assert consumed >= 1
    assert 'consumer_lag{group="kpi-projections"' in scrape("kpi")  # one group, three lanes
    assert 'http_requests_total{method="POST",route="/invoices",status="201"}' in scrape("invoicing")


def _metric(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None
