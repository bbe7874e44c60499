"""The OpenAPI document says exactly what the edge does (installed by ``create_service_app``).

FastAPI's generated document is completed once, on first use:

* every error response (4xx, 5xx) is ``application/problem+json`` with the ``ProblemDetail`` schema, FastAPI's
  ``HTTPValidationError`` included (its 422 is a problem with ``errors``);
* every operation with a body documents 400 (a body that cannot be decoded), 413 (larger than the route's
  limit) and 422; every operation with parameters 422; every operation behind a bearer token 401 and 403;
  every write 409 (a record it conflicts with);
* ``If-Match`` is a declared, required header wherever its absence answers 428;
* decimal request fields (money, quantities, rates) are decimal strings (``"1250.00"``), as the API accepts them,
  never ``number | string``;
* request dates and timestamps carry the bounds the edge holds them to (years 1900 to 8999, a ``pattern``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from o2c_common.errors.problems import PROBLEM_MEDIA_TYPE, FieldProblem, ProblemDetail, title_for_status
from o2c_common.http.dates import DATE_PATTERN, DATE_TIME_PATTERN

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemDetail"}
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
_DATE_PATTERNS = {"date": DATE_PATTERN, "date-time": DATE_TIME_PATTERN}
_WRITES = frozenset({"post", "put", "patch", "delete"})
_DEFAULT_ERRORS = {"HTTPValidationError", "ValidationError"}
_IF_MATCH = {
    "name": "If-Match", "in": "header", "required": True,
    "description": "The entity's current ETag, as last read (`\"<id>:<version>\"`); without it the answer is 428, "
                   "with a stale one 412. `*` is not accepted on transitions.",
    "schema": {"type": "string", "minLength": 1},
}


def install_exact_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` by the generated document completed as the module docstring says."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["FieldProblem"] = FieldProblem.model_json_schema(ref_template="#/components/schemas/{model}")
    problem = ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}")
    problem.pop("$defs", None)
    schemas["ProblemDetail"] = problem
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _complete_operation(method, operation)
    for name in _DEFAULT_ERRORS:
        schemas.pop(name, None)
    for name, schema in schemas.items():
        if not name.endswith("-Output"):
            _decimal_strings(schema)
    return spec


def _complete_operation(method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation["responses"]
    statuses: set[int] = set()
    if method in _WRITES:
        statuses.add(409)  # any write may meet a record it conflicts with (o2c_common.errors.database)
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
        _decimal_strings(operation["requestBody"])
    if operation.get("parameters"):
        statuses.add(422)
        _decimal_strings(operation["parameters"])
    if operation.get("security"):
        statuses |= {401, 403}  # no or a bad token; a role or team that may not (every route has a permission)
    if "428" in responses:
        statuses.add(412)
        parameters = operation.setdefault("parameters", [])
        parameters[:] = [p for p in parameters if str(p.get("name", "")).lower() != "if-match"]
        parameters.append(dict(_IF_MATCH))
    for status in statuses:
        responses.setdefault(str(status), {"description": title_for_status(status)})
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400 and _is_problem(response):
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}}


def _is_problem(response: dict[str, Any]) -> bool:
    """True unless the response documents a body of its own (readiness' 503 report)."""
    for media in (response.get("content") or {}).values():
        schema = media.get("schema") or {}
        ref = str(schema.get("$ref", "")).rsplit("/", 1)[-1]
        if (ref and ref not in {"ProblemDetail", *_DEFAULT_ERRORS}) or (schema and not ref):
            return False
    return True


def _decimal_strings(node: Any) -> None:
    """``anyOf: [number, string]`` (pydantic's Decimal input) → a decimal string, and dates with their bounds,
    everywhere below ``node``."""
    if isinstance(node, list):
        for item in node:
            _decimal_strings(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "string" and node.get("format") in _DATE_PATTERNS and "pattern" not in node:
        node["pattern"] = _DATE_PATTERNS[node["format"]]
    variants = node.get("anyOf")
    if isinstance(variants, list):
        plain = [v for v in variants if isinstance(v, dict) and v.get("type") in {"number", "string"}]
        kinds = {v.get("type") for v in plain}
        if kinds == {"number", "string"} and len(plain) == 2:
            string = next(v for v in plain if v.get("type") == "string")
            rest = [v for v in variants if v not in plain]
            decimal = {"type": "string", "pattern": string.get("pattern", DECIMAL_PATTERN), "format": "decimal"}
            if rest:
                node["anyOf"] = [decimal, *rest]
            else:
                del node["anyOf"]
                node.update(decimal)
    for value in node.values():
        _decimal_strings(value)
