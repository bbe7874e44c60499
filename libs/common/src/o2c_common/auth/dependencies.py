"""FastAPI dependencies: the authenticated principal, role guards and the team (object-level) rule.

The lifespan puts the verifier on the app: ``app.state.jwt_verifier = JWTVerifier.from_settings(s)``.
Routes then declare what they need::

    @router.get("/invoices/{invoice_id}")
    async def get_invoice(principal: CurrentPrincipal, ...) -> InvoiceRead: ...

    @router.post("/invoices/{invoice_id}/approve")
    async def approve(principal: Annotated[Principal, Depends(require_roles("billing_approver"))]): ...

Object-level rule: a ``vendor_agent`` (a BPO vendor team member) may only touch objects owned by
their own team; ``admin``, ``ar_supervisor`` and ``service_delivery_lead`` see every team; other
internal roles are not team-restricted. Use :func:`ensure_team_access` on one object and
:func:`visible_team` to filter lists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from o2c_common.auth.principal import ALL_ROLES, Principal, Role
from o2c_common.auth.tokens import JWTVerifier
from o2c_common.errors.problems import Forbidden, Unauthorized

VERIFIER_STATE_ATTR = "jwt_verifier"
# The edge (o2c_common.http.edge) verifies a route's token before the body is read and leaves the principal in the
# request's ASGI scope under this key, with the token it came from: the dependency then does not verify it again.
VERIFIED_SCOPE_KEY = "o2c.verified_principal"

# A stateless marker object: it only declares the bearer scheme in OpenAPI and reads the header.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A JWT bearer token; `o2c token` mints one locally.",
)


def remember_verified(scope: MutableMapping[str, Any], token: str, principal: Principal) -> None:
    """Record that ``token`` was verified into ``principal`` for this request (see :data:`VERIFIED_SCOPE_KEY`)."""
    scope[VERIFIED_SCOPE_KEY] = (token, principal)


def get_verifier(request: Request) -> JWTVerifier:
    verifier = getattr(request.app.state, VERIFIER_STATE_ATTR, None)
    if not isinstance(verifier, JWTVerifier):
        raise RuntimeError(f"app.state.{VERIFIER_STATE_ATTR} is not set: build it in the lifespan")
    return verifier


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of this request; 401 problem (with ``WWW-Authenticate: Bearer``) otherwise."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("a bearer token is required")
    verified = request.scope.get(VERIFIED_SCOPE_KEY)
    if verified is not None and verified[0] == credentials.credentials:
        principal: Principal = verified[1]
    else:
        principal = await get_verifier(request).verify(credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting principals holding any of ``roles`` (``admin`` always passes); else 403."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    unknown = set(roles) - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    allowed = frozenset(roles) | {Role.ADMIN.value}

    async def guard(principal: CurrentPrincipal) -> Principal:
        if principal.roles.isdisjoint(allowed):
            raise Forbidden(
                f"this action requires one of the roles: {', '.join(sorted(roles))}",
                type="missing-role",
                title="Missing role",
                extensions={"required_roles": sorted(roles)},
            )
        return principal

    guard.__name__ = f"require_roles_{'_'.join(sorted(roles))}"
    return guard


def ensure_team_access(principal: Principal, *, owning_team: str | None) -> None:
    """Raise 403 when a team-scoped principal (vendor agent) touches another team's object.

    An object without an owning team is out of reach of team-scoped principals.
    """
    if principal.sees_all_teams:
        return
    if principal.team is None or owning_team is None or principal.team != owning_team:
        raise Forbidden(
            "this object belongs to another team",
            type="team-access-denied",
            title="Team access denied",
        )


def visible_team(principal: Principal) -> str | None:
    """The team a list query must be restricted to, or ``None`` when the principal sees all teams."""
    if principal.sees_all_teams:
        return None
    if principal.team is None:
        raise Forbidden("no team is assigned to this agent", type="team-access-denied", title="Team access denied")
    return principal.team
