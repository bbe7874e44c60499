"""Bearer JWTs: verify them into a :class:`Principal`, and mint dev tokens (``o2c token``).

Claims: ``sub`` (required), ``roles`` (list of role names), ``team`` (optional, BPO vendor team),
``kind`` (optional, ``user`` | ``service``; defaults to ``service`` for the ``integration`` role),
``exp`` (required), ``iss`` and ``aud`` (required and checked against the settings).

Keys: HS256 (or HS384/512) with ``jwt_secret``; RS256 / ES256 / PS256 … with ``jwt_public_key`` (PEM)
or ``jwt_jwks_url`` (keys fetched by ``kid`` with :class:`jwt.PyJWKClient`, cached). The key is chosen
from the algorithm family of the token header, and only algorithms in ``jwt_algorithms`` are accepted,
so an HMAC token can never be checked against a public key or the reverse.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import jwt

from o2c_common.auth.mint import mint_token
from o2c_common.auth.principal import Principal, PrincipalKind, Role
from o2c_common.errors.problems import DomainError, Unauthorized
from o2c_common.settings import ServiceSettings

__all__ = ["AuthUnavailable", "JWTVerifier", "mint_token", "principal_from_claims"]  # mint_token: its old home

DEFAULT_LEEWAY_S = 30.0
_HMAC_PREFIX = "HS"
VERIFIED_CACHE_SIZE = 1024
VERIFIED_CACHE_TTL_S = 300.0  # as long as PyJWKClient keeps a key set: a key withdrawn stops working in that time


class AuthUnavailable(DomainError):
    status = 503
    type = "auth-unavailable"
    title = "Authentication keys unavailable"


def _invalid(detail: str) -> Unauthorized:
    return Unauthorized(detail, type="invalid-token", title="Invalid token", error="invalid_token")


class JWTVerifier:
    """Checks signature, ``exp``, ``iss`` and ``aud`` of bearer tokens and returns the principal."""

    def __init__(
        self,
        *,
        algorithms: Sequence[str],
        issuer: str | None,
        audience: str | None,
        secret: str | bytes | None = None,
        public_key: str | bytes | None = None,
        jwks_url: str | None = None,
        jwks_client: jwt.PyJWKClient | None = None,
        leeway_s: float = DEFAULT_LEEWAY_S,
        max_lifetime_s: float | None = None,
    ) -> None:
        self.algorithms = tuple(algorithms)
        if not self.algorithms or any(a.lower() == "none" for a in self.algorithms):
            raise ValueError("jwt algorithms must be non-empty and may not include 'none'")
        hmac = [a for a in self.algorithms if a.startswith(_HMAC_PREFIX)]
        asymmetric = [a for a in self.algorithms if not a.startswith(_HMAC_PREFIX)]
        if hmac and not secret:
            raise ValueError(f"{hmac} need a jwt secret")
        if jwks_url and jwks_client is None:
            jwks_client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)
        if asymmetric and public_key is None and jwks_client is None:
            raise ValueError(f"{asymmetric} need a public key (PEM) or a JWKS URL")
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s
        self.max_lifetime_s = max_lifetime_s
        self._secret = secret if hmac else None
        self._public_key = public_key
        self._jwks = jwks_client
        self._prepared: dict[str, Any] = {}  # the public key parsed once per algorithm (PEM parsing on each token
        # cost about a third of an RS256 verification)
        self._verified: dict[str, tuple[Principal, float]] = {}  # token → (principal, usable until)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> JWTVerifier:
        return cls(
            algorithms=settings.jwt_algorithms,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            secret=settings.jwt_secret.get_secret_value(),
            public_key=settings.jwt_public_key,
            jwks_url=settings.jwt_jwks_url,
            max_lifetime_s=settings.jwt_max_lifetime_s,
        )

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; :class:`Unauthorized` (401) for anything else.

        A client sends the same token with every request until it expires: a token that passed is remembered (at
        most :data:`VERIFIED_CACHE_SIZE`, each for at most :data:`VERIFIED_CACHE_TTL_S` and never past its ``exp``),
        so its signature and claims are checked again only after that. Only verified tokens are remembered."""
        remembered = self._verified.get(token)
        if remembered is not None:
            if time.time() < remembered[1]:
                return remembered[0]
            del self._verified[token]
        principal, expires = await self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = principal, min(expires + self.leeway_s, time.time() + VERIFIED_CACHE_TTL_S)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid("malformed token") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise _invalid("token algorithm not accepted")
        key = await self._key_for(algorithm, token)
        required = ["exp", "sub"]
        if self.issuer is not None:
            required.append("iss")
        if self.audience is not None:
            required.append("aud")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise _invalid("token expired") from None
        except jwt.InvalidAudienceError:
            raise _invalid("token audience not accepted") from None
        except jwt.InvalidIssuerError:
            raise _invalid("token issuer not accepted") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _invalid(f"token lacks the '{exc.claim}' claim") from None
        except jwt.InvalidSignatureError:
            raise _invalid("token signature invalid") from None
        except jwt.PyJWTError:
            raise _invalid("token invalid") from None
        self._check_lifetime(claims)
        return principal_from_claims(claims), float(claims["exp"])

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        """A token may live at most ``max_lifetime_s``: from its ``iat`` to its ``exp``, and from now to its
        ``exp`` (an ``iat`` in the future does not buy a longer life)."""
        if self.max_lifetime_s is None:
            return
        limit = self.max_lifetime_s + self.leeway_s
        expires, issued = claims["exp"], claims.get("iat")
        too_long = expires - time.time() > limit
        if isinstance(issued, int | float) and not isinstance(issued, bool):
            too_long = too_long or expires - issued > limit
        if too_long:
            raise _invalid(f"token lifetime exceeds the maximum of {int(self.max_lifetime_s)} seconds")

    def _prepared_public_key(self, algorithm: str) -> Any:
        """The configured public key as ``algorithm``'s key object, parsed on first use."""
        prepared = self._prepared.get(algorithm)
        if prepared is None:
            try:
                prepared = jwt.get_algorithm_by_name(algorithm).prepare_key(self._public_key)
            except (jwt.PyJWTError, ValueError, TypeError, NotImplementedError):
                raise _invalid("token invalid") from None  # a key of another family than the token's algorithm
            self._prepared[algorithm] = prepared
        return prepared

    async def _key_for(self, algorithm: str, token: str) -> Any:
        if algorithm.startswith(_HMAC_PREFIX):
            return self._secret
        if self._public_key is not None:
            return self._prepared_public_key(algorithm)
        assert self._jwks is not None
        try:
            # PyJWKClient fetches over blocking urllib (when its cache is cold): keep it off the loop.
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError:
            raise AuthUnavailable("the JWKS endpoint could not be reached") from None
        except jwt.PyJWTError:
            raise _invalid("no JWKS key matches the token") from None
        return signing_key.key


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _invalid("token subject must be a non-empty string")
    raw_roles = claims.get("roles", [])
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.split()
    if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
        raise _invalid("token roles must be a list of strings")
    team = claims.get("team")
    if team is not None and not isinstance(team, str):
        raise _invalid("token team must be a string")
    roles = frozenset(raw_roles)
    kind = claims.get("kind")
    if kind is None:
        kind = "service" if Role.INTEGRATION.value in roles else "user"
    if kind not in ("user", "service"):
        raise _invalid("token kind must be 'user' or 'service'")
    resolved_kind: PrincipalKind = "service" if kind == "service" else "user"
    return Principal(subject=subject, roles=roles, team=team or None, kind=resolved_kind)
