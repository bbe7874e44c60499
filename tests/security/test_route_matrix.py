"""Every route of the five services, called as anonymous, with a token holding no role, as every role and as a
vendor agent of another team, against the allow/deny matrix the service's ``permissions.py`` declares (``ROUTES``).

The expectation comes from the declaration only: a route of the OpenAPI document missing from ``ROUTES`` fails, so
does a declared route that no longer exists. A caller the permission admits must get past the check (anything but
401 and 403 ``missing-role``: a 422 for the empty body is fine); any other caller gets 401 (no token) or 403
``missing-role``. The vendor agent of team ``vendor-b`` never gets team ``vendor-a``'s objects: a route naming one
answers 403 or 404, and no answer it gets carries team A's customer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from o2c_common.auth import Permission
from tests.security.conftest import CALLERS, CUSTOMER, Caller, Running

pytestmark = pytest.mark.integration

WRITES = {"post", "put", "patch", "delete"}


def operations(service: Running) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) of every operation in the service's OpenAPI document."""
    spec = service.app.openapi()
    return [(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in WRITES | {"get"}]


def concrete_path(service: Running, path: str, op: dict[str, Any]) -> tuple[str, bool]:
    """``path`` with every parameter filled (team A's object where one is seeded), and whether one was."""
    seeded = False
    for param in op.get("parameters", []):
        if param["in"] != "path":
            continue
        name, schema = param["name"], param.get("schema", {})
        if name in service.team_ids:
            value, seeded = service.team_ids[name], True
        elif "enum" in schema or "$ref" in schema:
            value = _enum_value(service, schema)
        elif schema.get("format") == "uuid":
            value = str(uuid.uuid4())
        else:
            value = "x"
        path = path.replace("{" + name + "}", value)
    return path, seeded


def _enum_value(service: Running, schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return str(schema["enum"][0])
    ref = schema["$ref"].rsplit("/", 1)[-1]
    target = service.app.openapi()["components"]["schemas"][ref]
    return str(target["enum"][0]) if "enum" in target else "x"


async def call(service: Running, method: str, path: str, caller: Caller) -> httpx.Response:
    body = {"json": {}} if method.lower() in WRITES - {"delete"} else {}
    return await service.client.request(method, path, headers=caller.headers, **body)  # type: ignore[arg-type]


def problem_type(response: httpx.Response) -> str:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return ""
    return str(response.json().get("type", "")).rsplit("/", 1)[-1]


def verdict(permission: Permission, caller: Caller, response: httpx.Response, *, path: str, seeded: bool,
            method: str) -> str | None:
    """What is wrong with ``response`` for ``caller`` (None: as declared)."""
    status, kind = response.status_code, problem_type(response)
    bearer_refused = status == 401 and "Bearer" in response.headers.get("www-authenticate", "")
    role_refused = status == 403 and kind == "missing-role"
    if permission.public:
        return f"public route refused the call ({status} {kind})" if bearer_refused or role_refused else None
    if caller.name == "anonymous":
        return None if bearer_refused else f"expected 401 without a token, got {status} {kind}"
    if not permission.admits(caller.roles):
        return None if role_refused else f"expected 403 missing-role, got {status} {kind}"
    if status == 401 or role_refused:
        return f"admitted by {permission.name} but refused: {status} {kind}"
    if caller.other_team:
        if CUSTOMER in response.text and CUSTOMER not in path:  # not merely the id the caller sent
            return f"the other team's agent got team A's customer in a {status}"
        if seeded and method == "GET" and status not in (403, 404):
            return f"the other team's agent read team A's object: {status}"
        if seeded and 200 <= status < 300:
            return f"the other team's agent changed team A's object: {status}"
    return None


async def check_service(service: Running) -> list[str]:
    failures: list[str] = []
    seen: set[str] = set()
    for method, template, op in operations(service):
        key = f"{method} {template}"
        seen.add(key)
        permission = service.routes.get(key)
        if permission is None:
            failures.append(f"{service.name}: {key} has no permission in permissions.ROUTES")
            continue
        path, seeded = concrete_path(service, template, op)
        for caller in CALLERS:
            if permission.public and caller.headers:
                continue  # a public route is called without a token only
            response = await call(service, method, path, caller)
            problem = verdict(permission, caller, response, path=path, seeded=seeded, method=method)
            if problem:
                failures.append(f"{service.name}: {key} as {caller.name}: {problem}")
    failures += [f"{service.name}: {key} is declared but is no route" for key in service.routes if key not in seen]
    return failures


async def test_invoicing_route_matrix(invoicing: Running) -> None:
    failures = await check_service(invoicing)
    assert not failures, "\n".join(failures)


async def test_collections_route_matrix(collections: Running) -> None:
    failures = await check_service(collections)
    assert not failures, "\n".join(failures)


async def test_kpi_route_matrix(kpi: Running) -> None:
    failures = await check_service(kpi)
    assert not failures, "\n".join(failures)


async def test_escalation_route_matrix(escalation: Running) -> None:
    failures = await check_service(escalation)
    assert not failures, "\n".join(failures)


async def test_workforce_route_matrix(workforce: Running) -> None:
    failures = await check_service(workforce)
    assert not failures, "\n".join(failures)


async def test_every_route_of_the_five_services_is_declared(invoicing: Running, collections: Running, kpi: Running,
                                                            escalation: Running, workforce: Running) -> None:
    """The matrix covers them all: each service's OpenAPI operations equal its declared routes."""
    for service in (invoicing, collections, kpi, escalation, workforce):
        declared = set(service.routes)
        served = {f"{method} {path}" for method, path, _ in operations(service)}
        assert served == declared, (service.name, served ^ declared)
        assert len(served) > 15


def guards(dependant: Any) -> list[Permission]:
    """The permissions whose guard a route depends on (directly or through its dependencies)."""
    found = []
    for dependency in dependant.dependencies:
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            found.append(permission)
        found += guards(dependency)
    return found


async def test_each_route_depends_on_the_guard_of_its_declared_permission(invoicing: Running, collections: Running,
                                                                          kpi: Running, escalation: Running,
                                                                          workforce: Running) -> None:
    """Read from the routes themselves: a router naming another permission than ROUTES says is caught by name."""
    from fastapi.routing import APIRoute, iter_route_contexts

    wrong = []
    for service in (invoicing, collections, kpi, escalation, workforce):
        for context in iter_route_contexts(service.app.routes):
            route = context.original_route
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for method in route.methods:
                declared = service.routes[f"{method} {context.path}"]
                used = guards(route.dependant)
                expected = [] if declared.public else [declared]
                if used != expected:
                    wrong.append(f"{service.name}: {method} {context.path} uses {[p.name for p in used]}, "
                                 f"declared {declared.name}")
    assert not wrong, "\n".join(wrong)
