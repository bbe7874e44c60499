"""The HTTP edge: what is refused before a route's code, or its body parser, runs.

:class:`EdgeMiddleware` (installed by ``create_service_app``) finds the route of each request and then, in order:

* a path that exists for other methods only → 405 with ``Allow`` listing every method of the path, also when a
  parameterised route of another method would have matched (``GET /payments/import`` is a 405, not a 422 about
  ``import`` not being a payment id);
* a NUL character or a date out of range (:mod:`o2c_common.http.dates`) in the query string → 422 naming the
  parameter (PostgreSQL text cannot hold a NUL; a date near 9999 overflows the first computation);
* a route that needs a bearer token and got none, or an invalid one → 401, before one byte of the body is read
  (a valid one's principal is kept in the request's scope: the route's dependency does not verify it again);
* a body larger than the route's limit → 413: at once from ``Content-Length``, otherwise while the body streams in
  (the route stops reading at the limit, nothing is stored);
* a JSON body with a NUL character or a date out of range in any string, or that does not conform to its
  operation's schema in the service's OpenAPI document (:mod:`o2c_common.http.bodies`) → 422 with the pointers.

Limits: ``http_max_body_bytes`` for JSON routes, ``http_max_upload_bytes`` for routes whose body is a file (a
declared media type other than JSON), or the route's own ``openapi_extra={"x-max-body-bytes": N}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from o2c_common.auth.dependencies import current_principal, remember_verified
from o2c_common.errors.handlers import json_pointer, problem_response
from o2c_common.errors.problems import DomainError, Unauthorized
from o2c_common.http.bodies import BodySchemas, lax_accepts
from o2c_common.http.dates import BOUNDS_TEXT, out_of_bounds

MAX_BODY_EXTENSION = "x-max-body-bytes"
_ISO = {"date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
        "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")}
_NOT_JSON = object()
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class EdgeRejection(HTTPException):
    """Raised from inside ``receive`` while a body streams in; rendered as a problem by the app's handlers."""

    def __init__(self, status: int, *, type_: str, title: str, detail: str,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(status_code=status, detail=detail)
        self.type_, self.title, self.errors = type_, title, errors


def body_too_large(limit: int) -> EdgeRejection:
    return EdgeRejection(413, type_="body-too-large", title="Request body too large",
                         detail=f"The request body is larger than this route accepts ({limit:,} bytes).")


def refused(location: str, problem: tuple[str, str], *, pointer: str | None = None,
            parameter: str | None = None) -> EdgeRejection:
    """422 ``validation-failed`` naming the one value (``pointer`` into the body, or query ``parameter``)."""
    code, detail = problem
    item: dict[str, Any] = {"detail": detail, "code": code, "location": location}
    if pointer is not None:
        item["pointer"] = pointer
    if parameter is not None:
        item["parameter"] = parameter
    return EdgeRejection(422, type_="validation-failed", title="Validation failed",
                         detail="The request has 1 invalid value.", errors=[item])


@dataclass(frozen=True)
class RouteEdge:
    """What the edge knows of one route: whether it needs a bearer token, its body limit and kind, and which query
    parameters are dates (``date`` or ``date-time``)."""

    needs_bearer: bool
    max_body: int
    json_body: bool
    date_params: dict[str, str]


def _date_kind(annotation: Any) -> str | None:
    """``date`` / ``date-time`` for a parameter typed so (optional, annotated or not), else ``None``."""
    if get_origin(annotation) is Annotated:
        return _date_kind(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        kinds = {_date_kind(arg) for arg in get_args(annotation) if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if annotation is datetime:
        return "date-time"
    return "date" if annotation is date else None


def _date_params(dependant: Any) -> dict[str, str]:
    found = {}
    for field in dependant.query_params:
        kind = _date_kind(field.field_info.annotation)
        if kind is not None:
            found[field.alias] = kind
    for sub in dependant.dependencies:
        found |= _date_params(sub)
    return found


def _uses(dependant: Any, call: Any) -> bool:
    return dependant.call is call or any(_uses(sub, call) for sub in dependant.dependencies)


def route_edge(route: Any, *, default_limit: int, upload_limit: int) -> RouteEdge:
    """The edge of a FastAPI route (or the route context of an included router's route)."""
    body = route.body_field
    media = getattr(getattr(body, "field_info", None), "media_type", "application/json") if body else None
    json_body = media is None or "json" in media
    limit = (route.openapi_extra or {}).get(MAX_BODY_EXTENSION) or (default_limit if json_body else upload_limit)
    return RouteEdge(needs_bearer=_uses(route.dependant, current_principal), max_body=int(limit),
                     json_body=json_body, date_params=_date_params(route.dependant))


class EdgeMiddleware:
    """Pure ASGI middleware; see the module docstring. Needs ``app.state.jwt_verifier`` for the token check."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes, self.max_upload_bytes = max_body_bytes, max_upload_bytes
        self._routes: list[Any] | None = None
        self._prefixes: list[str] = []
        self._edges: dict[int, RouteEdge] = {}
        self._bodies = BodySchemas()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            receive = await self._admit(scope, receive)
        except (DomainError, EdgeRejection) as rejection:
            await _reject(rejection, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope, receive: Receive) -> Receive:
        if self._routes is None:  # the app's routes, flattened through included routers, once they are complete
            router = getattr(scope.get("app"), "router", None)
            self._routes = list(iter_route_contexts(getattr(router, "routes", [])))
            self._prefixes = [_literal_prefix(route) for route in self._routes]
        index, allowed = _resolve(scope, self._routes, self._prefixes)
        if index is None and allowed:
            raise _MethodNotAllowed(allowed)
        _check_query(scope)
        if index is None or getattr(self._routes[index], "dependant", None) is None:
            return receive  # not found, a mount (docs assets) or a plain route
        edge = self._edges.get(index)
        if edge is None:
            edge = self._edges[index] = route_edge(self._routes[index], default_limit=self.max_body_bytes,
                                                   upload_limit=self.max_upload_bytes)
        if edge.date_params:
            _check_dates(scope, edge.date_params)
        if edge.needs_bearer:
            await _authenticate(scope)
        if scope.get("method") not in _BODY_METHODS:
            return receive
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > edge.max_body:
            raise body_too_large(edge.max_body)
        if not edge.json_body:
            return _limited(receive, limit=edge.max_body, on_body=None)
        route = self._routes[index]
        template = getattr(route, "path_format", None) or route.path
        app, method = scope.get("app"), str(scope.get("method"))

        def check(body: bytes) -> None:
            document = _check_json(body)
            if document is not _NOT_JSON:
                errors = self._bodies.errors(app, path=template, method=method, document=document)
                if errors and lax_accepts(route, document):  # else the route's own 422 says more
                    raise EdgeRejection(422, type_="validation-failed", title="Validation failed", errors=errors,
                                        detail=f"The request has {len(errors)} invalid value"
                                               f"{'s' if len(errors) != 1 else ''}.")

        return _limited(receive, limit=edge.max_body, on_body=check)


class _MethodNotAllowed(DomainError):
    status, type, title = 405, "method-not-allowed", "Method Not Allowed"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(f"This path accepts {', '.join(allowed)} only.", headers={"Allow": ", ".join(allowed)},
                         extensions={"allowed_methods": allowed})


def _literal_prefix(route: Any) -> str:
    """The part of a route's path before its first parameter: a path the route matches starts with it."""
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path.split("{", 1)[0] if isinstance(path, str) else ""


def _resolve(scope: Scope, routes: list[Any], prefixes: list[str] | None = None) -> tuple[int | None, list[str]]:
    """The index of the route that serves the request (``None`` when the path is served for other methods only)
    and, then, the methods the path has. A literal path of another method wins over a parameter of this one.
    Only routes whose literal prefix starts the path are matched (a string test before starlette's regex and
    scope copy: a service has a hundred routes)."""
    full: int | None = None
    partial: list[Any] = []
    path = get_route_path(scope)  # what starlette's routes match (the root path taken off)
    for index, route in enumerate(routes):
        if prefixes is not None and not path.startswith(prefixes[index]):
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL and full is None:
            full = index
        elif match == Match.PARTIAL:
            partial.append(route)
    literal = [route for route in partial if "{" not in (getattr(route, "path", None) or "{")]
    if full is not None and not (literal and "{" in (getattr(routes[full], "path", None) or "")):
        return full, []
    return None, sorted({method for route in literal or partial for method in (getattr(route, "methods", None) or ())})


async def _authenticate(scope: Scope) -> None:
    header = Headers(scope=scope).get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer token is required")
    verifier = getattr(getattr(scope.get("app"), "state", None), "jwt_verifier", None)
    if verifier is not None:  # the route's dependency takes the principal from the scope (verified once)
        remember_verified(scope, token.strip(), await verifier.verify(token.strip()))


def _limited(receive: Receive, *, limit: int, on_body: Callable[[bytes], None] | None) -> Receive:
    received = 0
    chunks: list[bytes] = []

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                raise body_too_large(limit)
            if on_body is not None:
                chunks.append(chunk)
                if not message.get("more_body", False):
                    on_body(b"".join(chunks))
        return message

    return limited_receive


def _check_json(body: bytes) -> Any:
    """The JSON document of ``body`` once no string in it holds a NUL character or an out-of-range date;
    ``_NOT_JSON`` when it is not JSON at all (the route's parser answers that precisely)."""
    if not body.strip():
        return _NOT_JSON
    try:
        document = json.loads(body)
    except ValueError:
        return _NOT_JSON
    if _all_text_fine(document):  # the usual case, without the path of every value (a batch has thousands)
        return document
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            stack.extend((item, (*where, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, (*where, index)) for index, item in enumerate(value))
        elif isinstance(value, str):
            problem = _text_problem(value)
            if problem is not None:
                raise refused("body", problem, pointer=json_pointer(where))
    return document


def _all_text_fine(document: Any) -> bool:
    """True when no string value of ``document`` (as ``json.loads`` returns it) has a :func:`_text_problem`."""
    stack = [document]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is str and _text_problem(value) is not None:
            return False
    return True


def _text_problem(text: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return "nul_character", "NUL characters are not accepted in text"
    if out_of_bounds(text):
        return "date_out_of_range", f"the date is out of range: {BOUNDS_TEXT}"
    return None


def _check_query(scope: Scope) -> None:
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        problem = _text_problem(value) or _text_problem(name)
        if problem is not None:
            raise refused("query", problem, parameter=name.replace("\x00", ""))


def _check_dates(scope: Scope, params: dict[str, str]) -> None:
    """A date parameter is an ISO 8601 date (or timestamp) as documented, not whatever pydantic's lax mode reads as
    one (``0`` is not 1970-01-01)."""
    for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        kind = params.get(name)
        if kind is not None and not _ISO[kind].match(value):
            expected = "a date (YYYY-MM-DD)" if kind == "date" else "a timestamp (RFC 3339)"
            raise refused("query", ("date_parsing", f"{value[:40]!r} is not {expected}"), parameter=name)


async def _reject(rejection: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    path = scope.get("path")
    if isinstance(rejection, DomainError):
        response = problem_response(status=rejection.status, type_=rejection.type, title=rejection.title,
                                    detail=rejection.detail, instance=path, extensions=rejection.extensions,
                                    headers=rejection.headers)
    else:
        response = edge_rejection_response(rejection, instance=path)
    await response(scope, receive, send)


def edge_rejection_response(rejection: Exception, *, instance: str | None) -> Any:
    assert isinstance(rejection, EdgeRejection)
    return problem_response(status=rejection.status_code, type_=rejection.type_, title=rejection.title,
                            detail=rejection.detail, instance=instance,
                            extensions={"errors": rejection.errors} if rejection.errors else None)
