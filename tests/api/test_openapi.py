"""Each service's OpenAPI document says exactly what the edge does (issue 15 item 2): errors as problem+json with
the problem schema, 400/413/422 on bodies, If-Match declared where 428 follows, decimals as decimal strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from o2c_common.errors import PROBLEM_MEDIA_TYPE
from tests.api.conftest import SERVICES

PROBLEM = {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}


def document(service: str) -> dict[str, Any]:
    kind = SERVICES[service]
    return kind.create_app(kind.settings(environment="test", run_workers=False)).openapi()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_error_is_a_documented_problem(service: str) -> None:
    spec = document(service)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "errors" in spec["components"]["schemas"]["ProblemDetail"]["properties"]
    for path, method, op in operations(spec):
        responses = op["responses"]
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400 and path != "/health/ready":
                assert response["content"] == {PROBLEM_MEDIA_TYPE: PROBLEM}, (method, path, status)
        if "requestBody" in op:
            assert {"400", "413", "422"} <= set(responses), (method, path)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in responses, (method, path)
        if op.get("security"):
            assert {"401", "403"} <= set(responses), (method, path)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_if_match_is_declared_where_its_absence_is_a_428(service: str) -> None:
    spec = document(service)
    transitions = [(path, method, op) for path, method, op in operations(spec) if "428" in op["responses"]]
    assert transitions or service in {"kpi", "workforce"}
    for path, method, op in transitions:
        declared = [p for p in op.get("parameters", []) if p["name"] == "If-Match"]
        assert len(declared) == 1 and declared[0]["in"] == "header" and declared[0]["required"], (method, path)
        assert "412" in op["responses"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_decimals_in_requests_are_decimal_strings(service: str) -> None:
    spec = document(service)
    text = json.dumps({"bodies": [op.get("requestBody") for _, _, op in operations(spec)],
                       "schemas": {k: v for k, v in spec["components"]["schemas"].items()
                                   if not k.endswith("-Output")}})
    assert '{"type": "number"}, {"type": "string"}' not in text
    assert '"anyOf": [{"type": "number"}' not in text
