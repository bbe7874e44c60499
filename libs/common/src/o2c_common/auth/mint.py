"""Minting a bearer token, kept apart from verification so that ``o2c token`` imports only PyJWT."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from pydantic import SecretStr

    from o2c_common.auth.principal import PrincipalKind


def mint_token(
    *,
    secret: str | bytes | SecretStr,
    subject: str,
    roles: Iterable[str],
    team: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    issuer: str = "o2c",
    audience: str = "o2c",
    algorithm: str = "HS256",
    kind: PrincipalKind | None = None,
    now: datetime | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """A signed token for ``subject`` (``secret`` is the HMAC secret, or a PEM private key for RS256…)."""
    reveal = getattr(secret, "get_secret_value", None)  # a pydantic SecretStr, without importing pydantic
    key: Any = reveal() if reveal is not None else secret
    issued = now if now is not None else datetime.now(UTC)
    claims: dict[str, Any] = {
        **(extra_claims or {}),
        "sub": subject,
        "roles": sorted(set(roles)),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": str(uuid.uuid4()),
    }
    if team is not None:
        claims["team"] = team
    if kind is not None:
        claims["kind"] = kind
    return jwt.encode(claims, key, algorithm=algorithm)
