"""Bearer JWT authentication, the principal, role guards and the team rule."""

from o2c_common.auth.dependencies import (
    CurrentPrincipal,
    current_principal,
    ensure_team_access,
    get_verifier,
    require_roles,
    visible_team,
)
from o2c_common.auth.principal import (
    ALL_ROLES,
    TEAM_BYPASS_ROLES,
    TEAM_SCOPED_ROLES,
    Principal,
    PrincipalKind,
    Role,
)
from o2c_common.auth.tokens import AuthUnavailable, JWTVerifier, mint_token, principal_from_claims

__all__ = [
    "ALL_ROLES",
    "TEAM_BYPASS_ROLES",
    "TEAM_SCOPED_ROLES",
    "AuthUnavailable",
    "CurrentPrincipal",
    "JWTVerifier",
    "Principal",
    "PrincipalKind",
    "Role",
    "current_principal",
    "ensure_team_access",
    "get_verifier",
    "mint_token",
    "principal_from_claims",
    "require_roles",
    "visible_team",
]
