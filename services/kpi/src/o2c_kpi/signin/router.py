"""``GET/POST /signin`` and ``POST /signout`` (the browser's way in to the review pages) and ``POST /reports/links``
(a signed link to one review)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

import jwt
from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from o2c_common.auth import Principal, get_verifier
from o2c_common.errors import Forbidden, Unauthorized, problem_responses
from o2c_common.uow import TxDep
from o2c_kpi.clock import ClockDep, clock_of
from o2c_kpi.config import KpiSettings
from o2c_kpi.permissions import READ, Reader
from o2c_kpi.signin import pages, service
from o2c_kpi.signin.access import SIGNIN_PATH, cookie_name, safe_next
from o2c_kpi.signin.pages import SigninError
from o2c_kpi.signin.schemas import ReportLinkCreate, ReportLinkRead, ReportLinkRevocationRead, ReportLinkRevoke

router = APIRouter(tags=["sign-in"])
MAX_FORM_BYTES = 16 * 1024
_HTML: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {}}}}


def _settings(request: Request) -> KpiSettings:
    settings: KpiSettings = request.app.state.settings
    return settings


def _same_origin(request: Request) -> None:
    """A sign-in or sign-out form is posted from this site only (no login CSRF): a browser says where from."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    here = f"{request.url.scheme}://{request.url.netloc}"
    if (site is not None and site not in ("same-origin", "none")) or (origin is not None and origin != here):
        raise Forbidden("sign-in forms are accepted from this site only", type="cross-site-form",
                        title="Cross-site form refused")


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    return {name: values[0] for name, values in fields.items() if values}


async def _cookie_principal(request: Request) -> tuple[Principal, datetime] | None:
    token = request.cookies.get(cookie_name(_settings(request)))
    if not token:
        return None
    try:
        return await get_verifier(request).verify(token), _expiry(token)
    except Unauthorized:
        return None


def _expiry(token: str) -> datetime:
    claims = jwt.decode(token, options={"verify_signature": False})
    return datetime.fromtimestamp(int(claims["exp"]), UTC)


@router.get(SIGNIN_PATH, response_class=HTMLResponse, responses=_HTML)
async def signin_page(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None,
                      error: Annotated[SigninError | None, Query(description=(
                          "Why the last sign-in failed (the form posts back here)."))] = None) -> Response:
    """The sign-in form (or, when signed in, who you are and the reviews). No bearer token needed."""
    signed = await _cookie_principal(request)
    if signed is not None:
        return pages.signed_in(signed[0], until=signed[1])
    return pages.signin_form(next_path=safe_next(next), error=error,
                             oidc_issuer=_oidc_issuer(_settings(request)))


def _back(error: SigninError, next_path: str | None) -> Response:
    """Post/redirect/get: the form again, saying what went wrong (every answer of 400 and more is a problem)."""
    query = urlencode({"error": error.value, **({"next": next_path} if next_path else {})})
    response = RedirectResponse(f"{SIGNIN_PATH.lstrip('/')}?{query}", status_code=status.HTTP_303_SEE_OTHER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _oidc_issuer(settings: KpiSettings) -> str | None:
    return settings.jwt_issuer if settings.jwt_jwks_url else None


@router.post(SIGNIN_PATH, response_class=HTMLResponse,
             responses={303: {"description": "Signed in: to `next` (a page of this site) or the sign-in page; "
                                              "not signed in: back to the form with `error`."},
                        **problem_responses(403)})
async def signin(request: Request) -> Response:
    """A form post (`token`, `next`): the token is verified like a bearer token and kept in an HttpOnly,
    SameSite=Strict cookie (Secure unless KPI_SIGNIN_COOKIE_SECURE=false) that expires with the token."""
    _same_origin(request)
    form = await _form(request)
    settings, next_path = _settings(request), safe_next(form.get("next"))
    token = form.get("token", "").strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        return _back(SigninError.EMPTY, next_path)
    try:
        principal = await get_verifier(request).verify(token)
    except Unauthorized as exc:
        return _back(SigninError.EXPIRED if exc.detail == "token expired" else SigninError.REFUSED, next_path)
    if not READ.admits(principal.roles):
        return _back(SigninError.NO_ROLE, next_path)
    expires = _expiry(token)
    max_age = int((expires - clock_of(request.app)()).total_seconds())
    response = RedirectResponse(next_path or SIGNIN_PATH.lstrip("/"), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(cookie_name(settings), token, max_age=max(max_age, 0), expires=expires, path="/",
                        secure=settings.signin_cookie_secure, httponly=True, samesite="strict")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/signout", status_code=status.HTTP_303_SEE_OTHER,
             responses={303: {"description": "Signed out: to the sign-in page."}, **problem_responses(403)})
async def signout(request: Request) -> Response:
    """Clears the sign-in cookie."""
    _same_origin(request)
    settings = _settings(request)
    response = RedirectResponse(SIGNIN_PATH.lstrip("/"), status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(cookie_name(settings), path="/", secure=settings.signin_cookie_secure, httponly=True,
                           samesite="strict")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/reports/links", status_code=status.HTTP_201_CREATED, response_model=ReportLinkRead,
             responses=problem_responses(401, 403, 422))
async def create_link(data: ReportLinkCreate, request: Request, tx: TxDep, _principal: Reader,
                      clock: ClockDep) -> ReportLinkRead:
    """A signed link to one review (kind, period date, team, reporting currency) for a limited time: it opens that
    review only, carries no bearer token, and a vendor agent's link is always of its own team. Audited."""
    return await service.create_link(tx, data, settings=_settings(request), clock=clock)



@router.post("/reports/links/revocations", status_code=status.HTTP_201_CREATED, response_model=ReportLinkRevocationRead,
             responses={200: {"description": "Revoked before: the first revocation.",
                              "model": ReportLinkRevocationRead}, **problem_responses(401, 403, 422)})
async def revoke_link(data: ReportLinkRevoke, request: Request, response: Response, tx: TxDep, _principal: Reader,
                      clock: ClockDep) -> ReportLinkRevocationRead:
    """Refuse a signed link (given out by mistake, to the wrong person) from now until it expires: its page then
    answers 403 `link-revoked`. Another link to the same review still opens it. Audited."""
    read, created = await service.revoke_link(tx, data, settings=_settings(request), clock=clock)
    if not created:
        response.status_code = status.HTTP_200_OK
    return read
