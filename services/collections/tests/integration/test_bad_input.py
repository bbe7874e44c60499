"""Bad input on every endpoint that writes: each POST, PUT and PATCH route (enumerated from the app's OpenAPI
document, so a new one is covered too) answers an invalid request with a problem+json 4xx, and nothing is written
to any table. Also the aging buckets' boundaries (the buckets are due-date ranges computed per query)."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from services.collections.tests.conftest import ADMIN, COLLECTOR, Service, problem

SOME = str(uuid.UUID(int=1))


async def table_counts(service: Service) -> dict[str, int]:
    tables = [r[0] for r in await service.rows(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    return {name: int(n) for name, n in await service.rows(union)}


async def test_every_writing_endpoint_refuses_bad_input_and_writes_nothing(service: Service) -> None:
    invoice = await service.issue("BAD-1", "100.00")
    before = await table_counts(service)
    routes = [(method.upper(), path) for path, operations in service.app.openapi()["paths"].items()
              for method in operations if method in ("post", "put", "patch")]
    assert len(routes) >= 20, routes
    answers = {}
    for method, path in routes:
        url = re.sub(r"\{[^}]+\}", SOME if "rules" not in path and "policies" not in path else "r1", path)
        response = await service.client.request(
            method, url, params={"as_of": "not-a-date", "format": "xls", "legal_entity": ""},
            json={"unexpected": True, "amount": "-1", "invoice_id": "nope"}, headers={**ADMIN, "If-Match": "*"})
        body = problem(response, response.status_code)  # problem+json whatever the status
        assert 400 <= response.status_code < 500, (method, path, response.text)
        answers[(method, path)] = (response.status_code, body["type"])
    assert {status for status, _ in answers.values()} <= {404, 409, 412, 422, 428}, answers
    assert sum(status == 422 for status, _ in answers.values()) >= len(routes) - 2, answers
    assert await table_counts(service) == before  # nothing written, no audit row, no event
    assert await service.open_amount(invoice) == 100


async def test_aging_bucket_boundaries(service: Service) -> None:
    as_of = date(2026, 6, 30)
    for days in (-5, 0, 1, 30, 31, 120, 121):
        await service.issue(f"AGE{days}", "1.00", due_date=as_of - timedelta(days=days))
    rows = (await service.client.get(f"/aging?as_of={as_of}&by=currency", headers=COLLECTOR)).json()["items"]
    assert rows[0]["buckets"] == {"current": "2.00", "1-30": "2.00", "31-60": "1.00", "61-90": "0.00",
                                  "91-120": "1.00", ">120": "1.00"}
    assert rows[0]["total"] == "7.00"
