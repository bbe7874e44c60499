"""Bearer JWT authentication, the principal, role guards and the team rule.

Names are imported on first use (PEP 562): a light command (``o2c token``) that needs one of them does not pay for
FastAPI and SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from o2c_common.auth.dependencies import (
        CurrentPrincipal,
        current_principal,
        ensure_team_access,
        get_verifier,
        require_roles,
        visible_team,
    )
    from o2c_common.auth.mint import mint_token
    from o2c_common.auth.permission import HEALTH, Permission, RouteTable, public
    from o2c_common.auth.principal import (
        ALL_ROLES,
        TEAM_BYPASS_ROLES,
        TEAM_SCOPED_ROLES,
        Principal,
        PrincipalKind,
        Role,
    )
    from o2c_common.auth.tokens import AuthUnavailable, JWTVerifier, principal_from_claims

_EXPORTS = {
    "CurrentPrincipal": "o2c_common.auth.dependencies",
    "current_principal": "o2c_common.auth.dependencies",
    "ensure_team_access": "o2c_common.auth.dependencies",
    "get_verifier": "o2c_common.auth.dependencies",
    "require_roles": "o2c_common.auth.dependencies",
    "visible_team": "o2c_common.auth.dependencies",
    "HEALTH": "o2c_common.auth.permission",
    "Permission": "o2c_common.auth.permission",
    "RouteTable": "o2c_common.auth.permission",
    "public": "o2c_common.auth.permission",
    "ALL_ROLES": "o2c_common.auth.principal",
    "TEAM_BYPASS_ROLES": "o2c_common.auth.principal",
    "TEAM_SCOPED_ROLES": "o2c_common.auth.principal",
    "Principal": "o2c_common.auth.principal",
    "PrincipalKind": "o2c_common.auth.principal",
    "Role": "o2c_common.auth.principal",
    "AuthUnavailable": "o2c_common.auth.tokens",
    "JWTVerifier": "o2c_common.auth.tokens",
    "mint_token": "o2c_common.auth.mint",
    "principal_from_claims": "o2c_common.auth.tokens",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ALL_ROLES",
    "HEALTH",
    "TEAM_BYPASS_ROLES",
    "TEAM_SCOPED_ROLES",
    "AuthUnavailable",
    "CurrentPrincipal",
    "JWTVerifier",
    "Permission",
    "Principal",
    "PrincipalKind",
    "Role",
    "RouteTable",
    "current_principal",
    "ensure_team_access",
    "get_verifier",
    "mint_token",
    "principal_from_claims",
    "public",
    "require_roles",
    "visible_team",
]
