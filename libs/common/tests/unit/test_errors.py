"""problem+json rendering of domain errors, validation errors, HTTP errors and unexpected exceptions."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
import structlog.testing
from fastapi import FastAPI, Query
from pydantic import BaseModel

from o2c_common.errors import (
    PROBLEM_MEDIA_TYPE,
    Conflict,
    DomainError,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    install_problem_handlers,
    json_pointer,
    problem_responses,
)
from o2c_common.observability import install_observability


class Line(BaseModel):
    sku: str
    amount: Decimal


class InvoiceIn(BaseModel):
    customer_id: str
    lines: list[Line]


class InvoiceNotFound(NotFound):
    type = "invoice-not-found"
    title = "Invoice not found"


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_observability(app)

    @app.get("/invoices/{invoice_id}", responses=problem_responses(404))
    async def get_invoice(invoice_id: str) -> dict[str, str]:
        raise InvoiceNotFound(f"invoice {invoice_id} does not exist", extensions={"invoice_id": invoice_id})

    @app.post("/invoices")
    async def create_invoice(body: InvoiceIn, limit: int = Query(10, le=100)) -> dict[str, str]:
        return {"customer_id": body.customer_id}

    @app.post("/conflict")
    async def conflict() -> None:
        raise Conflict("already approved", headers={"Retry-After": "3"})

    @app.post("/custom")
    async def custom() -> None:
        raise ValidationFailed(
            "amounts must be positive", errors=[{"pointer": "#/lines/0/amount", "detail": "must be > 0"}]
        )

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret connection string postgres://user:pw@db")

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = response.json()
    assert body["type"] == f"https://o2c.dev/problems/{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return body


async def test_domain_error_becomes_problem_with_extensions(client: httpx.AsyncClient) -> None:
    response = await client.get("/invoices/inv-1", headers={"X-Correlation-ID": "corr-123"})
    body = assert_problem(response, 404, "invoice-not-found")
    assert body == {
        "type": "https://o2c.dev/problems/invoice-not-found",
        "title": "Invoice not found",
        "status": 404,
        "detail": "invoice inv-1 does not exist",
        "instance": "/invoices/inv-1",
        "correlation_id": "corr-123",
        "invoice_id": "inv-1",
    }


async def test_domain_error_headers_are_kept(client: httpx.AsyncClient) -> None:
    response = await client.post("/conflict")
    assert_problem(response, 409, "conflict")
    assert response.headers["retry-after"] == "3"


async def test_validation_failed_carries_errors(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/custom"), 422, "validation-failed")
    assert body["errors"] == [{"pointer": "#/lines/0/amount", "detail": "must be > 0"}]


async def test_request_validation_errors_point_at_each_field(client: httpx.AsyncClient) -> None:
    payload = {"lines": [{"sku": "A", "amount": "12.50"}, {"sku": "B", "amount": "twelve"}]}
    response = await client.post("/invoices", params={"limit": 500}, json=payload)
    body = assert_problem(response, 422, "validation-failed")
    by_where = {(e["location"], e.get("pointer"), e.get("parameter")): e for e in body["errors"]}
    assert set(by_where) == {
        ("body", "#/customer_id", None),
        ("body", "#/lines/1/amount", None),
        ("query", None, "limit"),
    }
    assert by_where[("body", "#/customer_id", None)]["code"] == "missing"
    assert "decimal" in by_where[("body", "#/lines/1/amount", None)]["detail"].lower()
    assert "twelve" not in response.text  # input values are never echoed
    assert body["detail"] == "The request has 3 invalid values."


async def test_malformed_json_body_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/invoices", content=b'{"customer_id": ', headers={"content-type": "application/json"})
    body = assert_problem(response, 422, "validation-failed")
    assert body["errors"][0]["pointer"] == "#"
    assert body["errors"][0]["code"] == "json_invalid"


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/nope"), 404, "not-found")
    assert body["instance"] == "/nope"
    response = await client.delete("/invoices/x")
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"


async def test_unexpected_exception_is_logged_500_without_leak(client: httpx.AsyncClient) -> None:
    with structlog.testing.capture_logs() as logs:
        response = await client.get("/boom")
    body = assert_problem(response, 500, "internal-error")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert body["correlation_id"]
    [event] = [e for e in logs if e["event"] == "unhandled_exception"]
    assert isinstance(event["exc_info"], RuntimeError)
    assert event["path"] == "/boom"


def test_json_pointer_escapes() -> None:
    assert json_pointer(["a/b", 0, "c~d"]) == "#/a~1b/0/c~0d"
    assert json_pointer([]) == "#"


def test_extensions_may_not_override_standard_members() -> None:
    with pytest.raises(ValueError, match="standard members"):
        DomainError("x", extensions={"status": 200})


def test_instance_overrides() -> None:
    error = PreconditionFailed("stale", type="stale-invoice", title="Stale invoice", status=409)
    assert (error.status, error.type_uri, error.title) == (
        409,
        "https://o2c.dev/problems/stale-invoice",
        "Stale invoice",
    )
    assert PreconditionFailed.status == 412


def test_problem_responses_document_openapi() -> None:
    schema = build_app().openapi()
    responses = schema["paths"]["/invoices/{invoice_id}"]["get"]["responses"]
    assert PROBLEM_MEDIA_TYPE in responses["404"]["content"]
    assert "ProblemDetail" in schema["components"]["schemas"]
