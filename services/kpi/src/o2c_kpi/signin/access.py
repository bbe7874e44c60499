"""How a browser opens a review page (``GET``/``HEAD /reports/<kind>``) without putting a token in the URL: the
sign-in cookie, or a signed link.

:class:`BrowserAccess` runs just outside the HTTP edge (``o2c_common.http.edge``, which refuses a route needing a
bearer token before any of its code runs) and only on safe requests for a review page that carry no
``Authorization`` header:

* with a signed link (``…&expires=…&sig=…``, :mod:`o2c_kpi.signin.links`) it checks the signature, the expiry and
  that the link was not revoked (``POST /reports/links/revocations``), and hands
  the request on with a one-request grant: a random bearer value that :class:`PageVerifier` turns into the link's
  principal (a viewer of exactly that review; a vendor agent of the link's team when it names one). The grant lives
  in a context variable for this request only, so it opens nothing else;
* with the sign-in cookie it hands the request on with the cookie's token as the bearer token, so the route's
  permission and team rule are the API's own (a vendor agent's cookie opens its team's reviews only);
* a browser (``Accept: text/html``) without either, or with an expired cookie, is sent to ``/signin?next=<page>``.

Writes and every other page see no change: they need the ``Authorization`` header, so the cookie can never carry a
cross-site write (it is ``SameSite=Strict`` besides)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from o2c_common.auth import JWTVerifier, Principal, Role
from o2c_common.db import Database
from o2c_common.errors import DomainError, Forbidden
from o2c_common.errors.handlers import problem_response
from o2c_common.http.edge import EdgeMiddleware
from o2c_kpi.clock import clock_of
from o2c_kpi.config import KpiSettings
from o2c_kpi.reports.schemas import ReportKind
from o2c_kpi.signin import links, repository
from o2c_kpi.signin.logs import install_log_redaction

SAFE_METHODS = frozenset({"GET", "HEAD"})
REVIEWS_PREFIX = "/reports/"
SIGNIN_PATH = "/signin"
_GRANT: ContextVar[tuple[str, Principal] | None] = ContextVar("o2c_kpi_link_grant", default=None)


def cookie_name(settings: KpiSettings) -> str:
    """``__Host-`` binds a Secure cookie to this host and path ``/`` (browsers refuse it without Secure)."""
    return "__Host-o2c-kpi-session" if settings.signin_cookie_secure else "o2c-kpi-session"


def review_kind(path: str) -> str | None:
    """The review a path opens (``/reports/<kind>``), or ``None`` for any other page."""
    if not path.startswith(REVIEWS_PREFIX):
        return None
    kind = path.removeprefix(REVIEWS_PREFIX)
    return kind if kind in {k.value for k in ReportKind} else None


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site (``/reports/qbr?date=…``); ``None`` for anything that could leave it
    (``//evil.example``, ``https://…``, ``/\\evil``, control characters)."""
    if not value or not value.startswith("/") or value.startswith("//") or len(value) > 2000:
        return None
    if any(ord(c) < 0x20 or c == "\\" for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def link_principal(link: links.ReviewLink) -> Principal:
    """Whoever holds a signed link reads that review as a viewer (of the link's team, when it names one)."""
    subject = f"link:{link.kind}:{link.on.isoformat()}"
    if link.team:
        return Principal(subject=subject, roles=frozenset({Role.VENDOR_AGENT.value}), team=link.team)
    return Principal(subject=subject, roles=frozenset({Role.VIEWER.value}))


class PageVerifier(JWTVerifier):
    """The service's verifier, which also accepts this request's link grant (and nothing else more)."""

    async def verify(self, token: str) -> Principal:
        grant = _GRANT.get()
        if grant is not None and hmac.compare_digest(grant[0].encode(), token.encode()):
            return grant[1]
        return await super().verify(token)


class BrowserAccess:
    """Pure ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope) if scope["type"] == "http" else None
        kind = review_kind(str(scope.get("path", ""))) if headers is not None else None
        if headers is None or kind is None or scope.get("method") not in SAFE_METHODS or "authorization" in headers:
            await self.app(scope, receive, send)
            return
        app: FastAPI = scope["app"]
        settings: KpiSettings = app.state.settings
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        browser = "text/html" in headers.get("accept", "")  # a browser navigating; an API client gets the 401
        if any(name == links.SIGNATURE for name, _ in query):
            try:
                link = links.verify(settings.link_key(), kind=kind, query=query, now=clock_of(app)())
            except links.LinkRefused as exc:
                await _problem(Forbidden(exc.detail, type="link-expired" if exc.expired else "invalid-link",
                                         title="Link expired" if exc.expired else "Invalid link"),
                               scope, receive, send)
                return
            revoked = await _revoked_at(app, links.fingerprint(query))
            if revoked is not None:
                await _problem(Forbidden(f"the link was revoked at {revoked:%Y-%m-%d %H:%M} UTC", type="link-revoked",
                                         title="Link revoked"), scope, receive, send)
                return
            grant = f"o2c-link-grant.{secrets.token_urlsafe(32)}"
            reset = _GRANT.set((grant, link_principal(link)))
            try:
                await self.app(_with_bearer(scope, grant), receive, _private(send))
            finally:
                _GRANT.reset(reset)
            return
        token = cookie_parser(headers.get("cookie", "")).get(cookie_name(settings))
        if token and await _valid(app, token):
            await self.app(_with_bearer(scope, token), receive, send)
            return
        if browser:  # signed out, or the sign-in expired: sign in, then back to this page
            await _to_signin(scope, settings, clear_cookie=bool(token))(scope, receive, send)
            return
        await self.app(scope, receive, send)  # the edge's 401 (bearer token required)


async def _revoked_at(app: FastAPI, fingerprint: str) -> datetime | None:
    db: Database = app.state.db
    async with db.unit_of_work() as session:
        return await repository.revoked_at(session, fingerprint)


async def _valid(app: FastAPI, token: str) -> bool:
    verifier: JWTVerifier = app.state.jwt_verifier
    try:
        await verifier.verify(token)
    except DomainError:
        return False
    return True


def _with_bearer(scope: Scope, token: str) -> Scope:
    return {**scope, "headers": [*scope["headers"], (b"authorization", f"Bearer {token}".encode("latin-1"))]}


def _private(send: Send) -> Send:
    """A page opened by a signed link tells the browser not to pass its address on (``Referer``) nor keep it."""

    async def send_private(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
            message["headers"] = [*kept, (b"referrer-policy", b"no-referrer"), (b"cache-control", b"private, no-store")]
        await send(message)

    return send_private


def _to_signin(scope: Scope, settings: KpiSettings, *, clear_cookie: bool) -> RedirectResponse:
    query = scope.get("query_string", b"").decode("latin-1")
    here = str(scope.get("path", "")) + (f"?{query}" if query else "")
    root = str(scope.get("root_path", ""))
    response = RedirectResponse(f"{root}{SIGNIN_PATH}?next={quote(here, safe='')}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if clear_cookie:
        response.delete_cookie(cookie_name(settings), path="/", secure=settings.signin_cookie_secure,
                               httponly=True, samesite="strict")
    return response


async def _problem(error: DomainError, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(status=error.status, type_=error.type, title=error.title, detail=error.detail,
                                instance=scope.get("path"), headers={"Referrer-Policy": "no-referrer"})
    await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Cookie and signed-link access to the review pages (just outside the edge), the verifier that knows a link's
    grant, and the access-log redaction of link signatures."""
    edge = next(i for i, m in enumerate(app.user_middleware) if m.cls is EdgeMiddleware)
    app.user_middleware.insert(edge, Middleware(BrowserAccess))
    started = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(instance: FastAPI) -> AsyncIterator[Any]:
        async with started(instance) as state:
            instance.state.jwt_verifier = PageVerifier.from_settings(instance.state.settings)
            yield state

    app.router.lifespan_context = lifespan
    install_log_redaction()
