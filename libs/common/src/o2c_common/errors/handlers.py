"""Turn every error an app can produce into an RFC 9457 ``application/problem+json`` response.

``install_problem_handlers(app)`` covers:

* :class:`~o2c_common.errors.problems.DomainError` and subclasses → their own status/type/title;
* FastAPI ``RequestValidationError`` → 422 ``validation-failed`` with an ``errors`` member listing, for
  each error, its ``location`` and a ``pointer`` (body, as ``#/lines/0/amount``) or ``parameter``
  (query/path/header/cookie), the message as ``detail`` and pydantic's error ``code``; input values
  are never echoed;
* Starlette ``HTTPException`` (unknown route 404, 405 with its ``Allow`` header, …);
* database errors the request caused (a unique, foreign-key or check constraint, a value the column cannot hold)
  → 409/422 (:mod:`o2c_common.errors.database`); ``OverflowError`` (date arithmetic near 9999) → 422;
* anything else → 500 ``internal-error``, logged with its stack trace, which never reaches the client.

Every body has ``type``, ``title``, ``status``, ``detail``, ``instance`` (the request path) and
``correlation_id``. Unexpected exceptions are caught by :class:`UnhandledErrorMiddleware`, which
``install_problem_handlers`` adds; install the observability middlewares *after* it so that they wrap
it (they then see the 500 and add the correlation id header).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from o2c_common.errors.database import classify, sqlstate
from o2c_common.errors.problems import (
    PROBLEM_MEDIA_TYPE,
    DomainError,
    EarlyResponse,
    problem_type_uri,
    slug_for_status,
    title_for_status,
)
from o2c_common.observability.correlation import CORRELATION_ID_HEADER, get_correlation_id

log = structlog.get_logger("o2c.errors")

_PARAMETER_LOCATIONS = frozenset({"query", "path", "header", "cookie"})
INTERNAL_ERROR_DETAIL = "An unexpected error occurred. Quote the correlation_id when reporting it."


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_body(
    *,
    status: int,
    type_: str,
    title: str,
    detail: str | None = None,
    instance: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type_uri(type_),
        "title": title,
        "status": status,
        "detail": detail if detail is not None else title,
        "instance": instance,
        "correlation_id": get_correlation_id(),
    }
    for key, value in (extensions or {}).items():
        body.setdefault(key, jsonable_encoder(value))
    return body


def problem_response(*, headers: Mapping[str, str] | None = None, **fields: Any) -> Response:
    """The problem+json response of :func:`problem_body` (same keyword arguments), with ``headers``."""
    body = problem_body(**fields)
    response = ProblemResponse(body, status_code=body["status"], headers=dict(headers or {}))
    correlation_id = body["correlation_id"]
    if correlation_id and CORRELATION_ID_HEADER not in response.headers:
        response.headers[CORRELATION_ID_HEADER] = correlation_id
    return response


def json_pointer(parts: Sequence[str | int]) -> str:
    """RFC 6901 pointer in URI-fragment form: ``("lines", 0, "a/b")`` → ``#/lines/0/a~1b``."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "#" + "".join("/" + p for p in escaped)


def validation_error_items(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI/pydantic error dicts → problem ``errors`` items (never echoing the input value)."""
    items: list[dict[str, Any]] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        code = error.get("type")
        message = str(error.get("msg", "invalid value"))
        location = loc[0] if loc and loc[0] in {"body", *_PARAMETER_LOCATIONS} else None
        rest = loc[1:] if location else loc
        item: dict[str, Any] = {"detail": message, "code": code, "location": location}
        if location in _PARAMETER_LOCATIONS:
            item["parameter"] = str(rest[0]) if rest else None
            if len(rest) > 1:
                item["pointer"] = json_pointer(rest[1:])
        elif code == "json_invalid":
            ctx = error.get("ctx") or {}
            item["pointer"] = "#"
            if ctx.get("error"):
                item["detail"] = f"{message}: {ctx['error']}"
        else:
            item["pointer"] = json_pointer(rest)
        items.append(item)
    return items


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if exc.status >= 500:
        log.error("domain_error", status=exc.status, type=exc.type, detail=exc.detail, exc_info=exc)
    return problem_response(
        status=exc.status,
        type_=exc.type,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        extensions=exc.extensions,
        headers=exc.headers,
    )


async def _request_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    items = validation_error_items(exc.errors())
    count = len(items)
    return problem_response(
        status=422,
        type_="validation-failed",
        title="Validation failed",
        detail=f"The request has {count} invalid value{'s' if count != 1 else ''}.",
        instance=request.url.path,
        extensions={"errors": items},
    )


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status in (204, 304) or status < 200:
        return Response(status_code=status, headers=headers)
    title = title_for_status(status)
    extensions: dict[str, Any] = {}
    if isinstance(exc.detail, str):
        detail = exc.detail
    else:
        detail = title
        extensions["data"] = exc.detail
    return problem_response(
        status=status,
        type_=slug_for_status(status),
        title=title,
        detail=detail,
        instance=request.url.path,
        extensions=extensions,
        headers=headers,
    )


async def _early_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EarlyResponse)
    return exc.response


def internal_error_response(*, instance: str | None) -> Response:
    return problem_response(
        status=500,
        type_="internal-error",
        title="Internal server error",
        detail=INTERNAL_ERROR_DETAIL,
        instance=instance,
    )


async def _unexpected_exception(request: Request, exc: Exception) -> Response:
    # Last resort, used by Starlette's ServerErrorMiddleware for errors raised outside our middleware.
    log.error("unhandled_exception", method=request.method, path=request.url.path, exc_info=exc)
    return internal_error_response(instance=request.url.path)


class UnhandledErrorMiddleware:
    """Pure ASGI middleware: an exception escaping the app becomes a logged 500 problem response.

    Unlike Starlette's outermost ServerErrorMiddleware it does not re-raise, so middlewares added
    after it (metrics, correlation id) see an ordinary 500 response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            if started:  # too late for a problem document; let the server close the connection
                raise
            path = scope.get("path")
            if isinstance(exc, DBAPIError | OverflowError):  # raised where the handlers do not reach (a commit)
                request = Request(scope)
                handler = _database_error if isinstance(exc, DBAPIError) else _out_of_range
                await (await handler(request, exc))(scope, receive, send)
                return
            log.error("unhandled_exception", method=scope.get("method"), path=path, exc_info=exc)
            await internal_error_response(instance=path)(scope, receive, send)


async def _database_error(request: Request, exc: Exception) -> Response:
    """The exception handler: a precise 409/422 problem, or the ordinary 500 for what the client did not cause."""
    assert isinstance(exc, DBAPIError)
    found = classify(exc)
    if found is None:
        log.error("database_error", method=request.method, path=request.url.path, exc_info=exc)
        return internal_error_response(instance=request.url.path)
    status, slug, title, detail, constraint = found
    log.warning("database_constraint", status=status, sqlstate=sqlstate(exc), constraint=constraint,
                path=request.url.path)
    return problem_response(status=status, type_=slug, title=title, detail=detail, instance=request.url.path,
                            extensions={"constraint": constraint} if constraint else None)


async def _out_of_range(request: Request, exc: Exception) -> Response:
    """Date or number arithmetic past what Python or PostgreSQL can hold (a date near 9999-12-31): the input's."""
    log.warning("value_out_of_range", method=request.method, path=request.url.path, error=str(exc))
    return problem_response(status=422, type_="value-out-of-range", title="Value out of range",
                            detail="A date or number of the request is out of the range this service can compute "
                                   "with (dates run from 1900-01-01 to 8999-12-31).", instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem+json exception handlers and the unhandled-error middleware on ``app``."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(EarlyResponse, _early_response)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected_exception)
    app.add_middleware(UnhandledErrorMiddleware)
