"""Every dependency of every route is a coroutine (or an async generator): FastAPI runs a plain function in its
thread pool, a thread hop on every request (it showed in a profile of invoicing's transitions: the If-Match
dependency was one)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

SERVICES = ("invoicing", "collections", "kpi", "escalation", "workforce")


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and inner is not route:
            yield from _api_routes(list(inner.routes))


def _sync_dependencies(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        call = dependency.call
        method = type(call).__call__  # an instance with an async __call__ (HTTPBearer)
        if call is not None and not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)
                                     or inspect.iscoroutinefunction(method)):
            yield f"{getattr(call, '__module__', '?')}.{getattr(call, '__qualname__', repr(call))}"
        yield from _sync_dependencies(dependency)


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_depends_on_a_plain_function(service: str) -> None:
    app = importlib.import_module(f"o2c_{service}.main").create_app()
    routes = list(_api_routes(app.router.routes))
    assert len(routes) > 10, "the walk found the service's routes"
    found = {f"{', '.join(sorted(r.methods))} {r.path}: {name}"
             for r in routes for name in _sync_dependencies(r.dependant)}
    assert not found, sorted(found)[:10]
