"""The HTTP edge of every service (o2c_common.http.edge, errors, app): 405 with every method, the token checked
before the body is read, body limits while streaming, NUL characters and dates near 9999 refused with the value
named, If-Match: * refused, database constraint errors as precise problems, /docs offline, documents closable."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from o2c_cli.testing import Infra, bearer, problem, serving
from o2c_common.app import create_service_app
from o2c_common.db import Database
from o2c_common.errors import install_problem_handlers
from o2c_common.settings import ServiceSettings
from tests.api.conftest import running

SPECIALIST = bearer("bea", "billing_specialist")
SUPERVISOR = bearer("sue", "ar_supervisor")
INTEGRATION = bearer("pipe", "integration")
ADMIN = bearer("ada", "admin")
DRAFT = {"legal_entity": "US01", "customer_id": "CUST-EDGE", "currency": "USD", "payment_terms_days": 30,
         "lines": [{"description": "Consulting", "quantity": "1", "unit_price": "10.00", "tax_rate": "0.00"}]}


async def test_405_lists_every_method_of_the_path_and_a_literal_path_beats_a_parameter(infra: Infra) -> None:
    async with running(infra, "invoicing") as inv:
        # GET on a POST-only path that a GET route with a parameter would match: 405, not "not a uuid"
        historical = await inv.client.get("/invoices/historical", headers=SPECIALIST)
        assert problem(historical, 405)["allowed_methods"] == ["POST"]
        assert historical.headers["allow"] == "POST"
        # two routes on one path (list and create): both methods, not only the first route's
        deleted = await inv.client.delete("/invoices", headers=SPECIALIST)
        assert problem(deleted, 405)
        assert set(deleted.headers["allow"].split(", ")) == {"GET", "POST"}


async def test_the_token_is_checked_before_the_body_is_read(infra: Infra) -> None:
    async with running(infra, "invoicing") as inv:
        garbage = await inv.client.post("/invoices", content=b"{not json", headers={"Content-Type": "application/json"})
        assert problem(garbage, 401)
        forged = await inv.client.post("/invoices", content=b"{not json", headers={
            "Content-Type": "application/json", "Authorization": "Bearer not-a-token"})
        assert problem(forged, 401)
        unauthenticated_upload = await inv.client.post("/invoices", content=b"x" * 5_000_000)
        assert problem(unauthenticated_upload, 401)


async def test_a_body_over_the_route_limit_is_413_also_while_streaming(infra: Infra) -> None:
    async with running(infra, "collections", http_max_body_bytes=2048, http_max_upload_bytes=4096) as col:
        big = {**DRAFT, "note": "x" * 3000}
        declared = await col.client.post("/payments", json=big, headers=INTEGRATION)
        assert problem(declared, 413)["type"].endswith("/body-too-large")

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while the file streams
            yield b"date,amount,currency,reference\n"
            for _ in range(200):
                yield b"2026-01-01,10.00,USD,REF-1\n"

        streamed = await col.client.post("/payment-imports?format=csv&legal_entity=US01", content=chunks(),
                                         headers={**ADMIN, "Content-Type": "application/octet-stream"})
        assert problem(streamed, 413)
        assert await col.scalar("SELECT count(*) FROM payment_imports") == 0
        small = await col.client.post("/payment-imports?format=csv&legal_entity=US01", content=b"a,b\n1,2\n",
                                      headers={**ADMIN, "Content-Type": "application/octet-stream"})
        assert small.status_code == 422, small.text  # under the limit: read and judged by the route


async def test_nul_characters_are_422_naming_the_value(infra: Infra) -> None:
    async with running(infra, "invoicing") as inv:
        query = await inv.client.get("/invoices?customer_id=A%00B", headers=SPECIALIST)
        assert problem(query, 422)["errors"][0] | {"detail": ""} == {
            "detail": "", "code": "nul_character", "location": "query", "parameter": "customer_id"}
        body = await inv.client.post("/invoices", json={**DRAFT, "legal_entity": "US\x0001"}, headers=SPECIALIST)
        assert problem(body, 422)["errors"][0]["pointer"] == "#/legal_entity"
        assert await inv.scalar("SELECT count(*) FROM invoices") == 0


@pytest.mark.parametrize("service,url", [
    ("kpi", "/kpis/open-ar?as_of=9999-12-31"),
    ("kpi", "/kpis?period=month&date=9999-12-31"),
    ("kpi", "/reports/daily-snapshots?since=9999-12-30&until=9999-12-31"),
    ("kpi", "/kpis?period=custom&start=0001-01-01&end=2026-01-31"),
])
async def test_dates_out_of_range_are_422_with_the_bounds(infra: Infra, service: str, url: str) -> None:
    async with running(infra, service) as svc:
        answer = await svc.client.get(url, headers=SUPERVISOR)
        error = problem(answer, 422)["errors"][0]
        assert error["code"] == "date_out_of_range" and "1900-01-01 to 8999-12-31" in error["detail"]


async def test_a_date_parameter_is_an_iso_date_not_a_timestamp_number(infra: Infra) -> None:
    async with running(infra, "kpi") as kpi:
        for url in ("/kpis/open-ar?as_of=0", "/kpis?date=1700000000", "/sla/breaches?until=2026-1-1"):
            error = problem(await kpi.client.get(url, headers=SUPERVISOR), 422)["errors"][0]
            assert (error["code"], error["location"]) == ("date_parsing", "query"), url
        assert (await kpi.client.get("/kpis/open-ar?as_of=2026-01-31", headers=SUPERVISOR)).status_code == 200


async def test_a_date_near_9999_in_a_body_is_422(infra: Infra) -> None:
    async with running(infra, "collections") as col:
        answer = await col.client.post("/payments", headers=INTEGRATION, json={
            "legal_entity": "US01", "customer_id": "C", "currency": "USD", "amount": "1.00",
            "value_date": "9999-12-31", "remittance": []})
        assert problem(answer, 422)["errors"][0]["pointer"] == "#/value_date"


async def test_a_json_body_must_be_what_the_document_says_not_what_lax_parsing_reads(infra: Infra) -> None:
    async with running(infra, "invoicing") as inv:
        lax = {**DRAFT, "payment_terms_days": "30",
               "lines": [{"description": "x", "quantity": 1, "unit_price": "10.00", "tax_rate": "0.00"}]}
        errors = problem(await inv.client.post("/invoices", json=lax, headers=SPECIALIST), 422)["errors"]
        assert {(e["pointer"], e["code"]) for e in errors} == {
            ("#/payment_terms_days", "schema_type"), ("#/lines/0/quantity", "schema_type")}
        assert all("30" not in e["detail"] for e in errors)  # the input is not echoed
        assert await inv.scalar("SELECT count(*) FROM invoices") == 0
        assert (await inv.client.post("/invoices", json=DRAFT, headers=SPECIALIST)).status_code == 201


async def test_if_match_star_is_refused_on_a_transition(infra: Infra) -> None:
    async with running(infra, "invoicing") as inv:
        created = await inv.client.post("/invoices", json=DRAFT, headers=SPECIALIST)
        assert created.status_code == 201, created.text
        url = f"/invoices/{created.json()['id']}/request-approval"
        star = await inv.client.post(url, headers={**SPECIALIST, "If-Match": "*"})
        assert problem(star, 428)["type"].endswith("/if-match-wildcard-refused")
        assert await inv.scalar("SELECT status FROM invoices") == "draft"


async def test_a_database_constraint_is_a_precise_problem_never_a_500(pg_db: Database) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    async with pg_db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE edge_things (id int PRIMARY KEY, name varchar(5) NOT NULL "
                                "CHECK (name <> 'bad'), parent int REFERENCES edge_things (id))"))

    @app.post("/things/{thing_id}")
    async def add(thing_id: int, name: str, parent: int | None = None) -> dict[str, int]:
        async with pg_db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO edge_things VALUES (:i, :n, :p)"),
                               {"i": thing_id, "n": name, "p": parent})
        return {"id": thing_id}

    @app.delete("/things/{thing_id}")
    async def remove(thing_id: int) -> dict[str, int]:
        async with pg_db.engine.begin() as conn:
            await conn.execute(text("DELETE FROM edge_things WHERE id = :i"), {"i": thing_id})
        return {"id": thing_id}

    async with serving(app, base_url="http://t") as client:
        assert (await client.post("/things/1?name=one")).status_code == 200
        duplicate = problem(await client.post("/things/1?name=again"), 409)
        assert duplicate["type"].endswith("/conflict-with-existing") and duplicate["constraint"] == "edge_things_pkey"
        assert problem(await client.post("/things/2?name=two&parent=9"), 422)["type"].endswith("/unknown-reference")
        assert problem(await client.post("/things/3?name=bad"), 422)["type"].endswith("/constraint-violated")
        too_long = problem(await client.post("/things/4?name=toolong"), 422)
        assert too_long["type"].endswith("/value-out-of-range") and "toolong" not in str(too_long)
        assert (await client.post("/things/5?name=child&parent=1")).status_code == 200
        assert problem(await client.delete("/things/1"), 409)["type"].endswith("/still-referenced")


async def test_docs_work_offline(infra: Infra) -> None:
    async with running(infra, "escalation") as esc:
        page = await esc.client.get("/docs")
        assert page.status_code == 200 and "swagger-ui" in page.text
        assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
        assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets
        assert "http://" not in page.text and "https://" not in page.text
        for url in assets:
            served = await esc.client.get(url)
            assert served.status_code == 200 and len(served.content) > 100, url
        assert (await esc.client.get("/openapi.json")).json()["info"]["title"]


async def test_openapi_docs_and_metrics_can_be_closed(infra: Infra) -> None:
    async with running(infra, "kpi", expose_openapi=False, expose_metrics=False) as kpi:
        for path in ("/openapi.json", "/docs", "/metrics"):
            assert (await kpi.client.get(path)).status_code == 404, path
        assert (await kpi.client.get("/health/live")).status_code == 200
    app = create_service_app(settings=ServiceSettings(environment="test", expose_docs=False), title="t",
                             description="t", routers=[])
    async with serving(app, base_url="http://t") as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 200
