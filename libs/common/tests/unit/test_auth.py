"""Bearer JWT verification, the principal dependency, role and team guards."""

from __future__ import annotations

import base64
import hashlib
import hmac as hmac_module
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI

from o2c_common.auth import (
    CurrentPrincipal,
    JWTVerifier,
    Principal,
    ensure_team_access,
    mint_token,
    require_roles,
    visible_team,
)
from o2c_common.errors import Forbidden, install_problem_handlers
from o2c_common.settings import ServiceSettings

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def build_app(verifier: JWTVerifier) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.jwt_verifier = verifier

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {
            "subject": principal.subject,
            "roles": sorted(principal.roles),
            "team": principal.team,
            "kind": principal.kind,
        }

    @app.post("/approve")
    async def approve(principal: Annotated[Principal, Depends(require_roles("billing_approver"))]) -> dict[str, str]:
        return {"approved_by": principal.subject}

    @app.get("/accounts/{team}")
    async def account(team: str, principal: CurrentPrincipal) -> dict[str, str | None]:
        ensure_team_access(principal, owning_team=team)
        return {"team": team, "filter": visible_team(principal)}

    return app


def hs_verifier(**overrides: Any) -> JWTVerifier:
    options: dict[str, Any] = {"algorithms": ["HS256"], "secret": SECRET, "issuer": "o2c", "audience": "o2c"}
    return JWTVerifier(**{**options, **overrides})


def token(**overrides: Any) -> str:
    options: dict[str, Any] = {"secret": SECRET, "subject": "alice", "roles": ["collector"]}
    return mint_token(**{**options, **overrides})


async def call(app: FastAPI, method: str, path: str, bearer: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.request(method, path, headers=headers, **kwargs)


def assert_unauthorized(response: httpx.Response, detail_part: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    if detail_part is not None:
        assert detail_part in response.json()["detail"]


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


async def test_valid_token_gives_principal() -> None:
    response = await call(build_app(hs_verifier()), "GET", "/me", token(team="bpo-east", roles=["vendor_agent"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "alice", "roles": ["vendor_agent"], "team": "bpo-east", "kind": "user"}


async def test_integration_role_is_a_service_principal() -> None:
    response = await call(build_app(hs_verifier()), "GET", "/me", token(subject="erp", roles=["integration"]))
    assert response.json()["kind"] == "service"


async def test_missing_header_is_401_with_bare_challenge() -> None:
    response = await call(build_app(hs_verifier()), "GET", "/me")
    assert_unauthorized(response)
    assert response.headers["www-authenticate"] == 'Bearer realm="o2c"'


async def test_non_bearer_scheme_is_401() -> None:
    app = build_app(hs_verifier())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/me", auth=("alice", "pw"))
    assert_unauthorized(response)


async def test_expired_token_is_401() -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    response = await call(build_app(hs_verifier()), "GET", "/me", token(now=old, ttl=timedelta(minutes=10)))
    assert_unauthorized(response, "expired")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_wrong_secret_is_401() -> None:
    response = await call(build_app(hs_verifier()), "GET", "/me", token(secret="another-secret-another-secret-12345"))
    assert_unauthorized(response, "signature")


async def test_wrong_audience_and_issuer_are_401() -> None:
    app = build_app(hs_verifier())
    assert_unauthorized(await call(app, "GET", "/me", token(audience="someone-else")), "audience")
    assert_unauthorized(await call(app, "GET", "/me", token(issuer="evil")), "issuer")


async def test_garbage_and_bad_claims_are_401() -> None:
    app = build_app(hs_verifier())
    assert_unauthorized(await call(app, "GET", "/me", "not-a-jwt"), "malformed")
    now = datetime.now(UTC)
    claims = {"sub": "bob", "roles": {"admin": True}, "iss": "o2c", "aud": "o2c", "exp": now + timedelta(minutes=5)}
    assert_unauthorized(await call(app, "GET", "/me", jwt.encode(claims, SECRET, algorithm="HS256")), "roles")
    no_exp = {"sub": "bob", "roles": [], "iss": "o2c", "aud": "o2c"}
    assert_unauthorized(await call(app, "GET", "/me", jwt.encode(no_exp, SECRET, algorithm="HS256")), "exp")


async def test_rs256_with_public_key(rsa_keys: tuple[str, str]) -> None:
    private_pem, public_pem = rsa_keys
    verifier = JWTVerifier(algorithms=["RS256"], public_key=public_pem, issuer="o2c", audience="o2c")
    app = build_app(verifier)
    good = token(secret=private_pem, algorithm="RS256")
    assert (await call(app, "GET", "/me", good)).status_code == 200
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = token(secret=other_key, algorithm="RS256")
    assert_unauthorized(await call(app, "GET", "/me", forged), "signature")
    # An HS256 token is refused outright by an RS256-only verifier (no algorithm confusion).
    assert_unauthorized(await call(app, "GET", "/me", token()), "algorithm")


async def test_hmac_token_signed_with_public_key_is_refused(rsa_keys: tuple[str, str]) -> None:
    _, public_pem = rsa_keys
    verifier = JWTVerifier(
        algorithms=["HS256", "RS256"], secret=SECRET, public_key=public_pem, issuer="o2c", audience="o2c"
    )
    claims = {
        "sub": "mallory",
        "roles": ["admin"],
        "iss": "o2c",
        "aud": "o2c",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims, default=lambda d: int(d.timestamp())).encode())
    signature = hmac_module.new(public_pem.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{b64(signature)}"
    assert_unauthorized(await call(build_app(verifier), "GET", "/me", forged), "signature")


class StaticJWKClient(jwt.PyJWKClient):
    def __init__(self, jwks: dict[str, Any]) -> None:
        super().__init__("https://idp.example/.well-known/jwks.json")
        self._jwks = jwks

    def fetch_data(self) -> Any:
        return self._jwks


async def test_rs256_with_jwks(rsa_keys: tuple[str, str]) -> None:
    private_pem, public_pem = rsa_keys
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(serialization.load_pem_public_key(public_pem.encode())))
    jwk.update({"kid": "key-1", "use": "sig", "alg": "RS256"})
    verifier = JWTVerifier(
        algorithms=["RS256"], jwks_client=StaticJWKClient({"keys": [jwk]}), issuer="o2c", audience="o2c"
    )
    app = build_app(verifier)
    signed = jwt.encode(
        {
            "sub": "svc",
            "roles": ["integration"],
            "iss": "o2c",
            "aud": "o2c",
            "exp": datetime.now(UTC) + timedelta(minutes=5),
        },
        private_pem,
        algorithm="RS256",
        headers={"kid": "key-1"},
    )
    response = await call(app, "GET", "/me", signed)
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "svc"
    unknown_kid = jwt.encode({"sub": "svc", "exp": 9999999999}, private_pem, algorithm="RS256", headers={"kid": "nope"})
    assert_unauthorized(await call(app, "GET", "/me", unknown_kid), "JWKS")


async def test_role_guard() -> None:
    app = build_app(hs_verifier())
    denied = await call(app, "POST", "/approve", token(roles=["billing_specialist"]))
    assert denied.status_code == 403
    assert denied.json()["type"] == "https://o2c.dev/problems/missing-role"
    assert denied.json()["required_roles"] == ["billing_approver"]
    allowed = await call(app, "POST", "/approve", token(roles=["billing_approver"]))
    assert allowed.json() == {"approved_by": "alice"}
    assert (await call(app, "POST", "/approve", token(roles=["admin"]))).status_code == 200
    assert (await call(app, "POST", "/approve")).status_code == 401


@pytest.mark.parametrize(
    ("roles", "team", "path", "status", "team_filter"),
    [
        (["vendor_agent"], "bpo-east", "/accounts/bpo-east", 200, "bpo-east"),
        (["vendor_agent"], "bpo-east", "/accounts/bpo-west", 403, None),
        (["vendor_agent"], None, "/accounts/bpo-east", 403, None),
        (["vendor_agent", "collector"], "bpo-east", "/accounts/bpo-west", 403, None),
        (["ar_supervisor"], None, "/accounts/bpo-west", 200, None),
        (["admin", "vendor_agent"], "bpo-east", "/accounts/bpo-west", 200, None),
        (["collector"], None, "/accounts/bpo-west", 200, None),
    ],
)
async def test_team_guard(roles: list[str], team: str | None, path: str, status: int, team_filter: str | None) -> None:
    response = await call(build_app(hs_verifier()), "GET", path, token(roles=roles, team=team))
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["filter"] == team_filter
    else:
        assert response.json()["type"] == "https://o2c.dev/problems/team-access-denied"


def test_team_rule_on_unowned_objects() -> None:
    agent = Principal(subject="a", roles=frozenset({"vendor_agent"}), team="t1")
    with pytest.raises(Forbidden):
        ensure_team_access(agent, owning_team=None)
    ensure_team_access(Principal(subject="s", roles=frozenset({"ar_supervisor"})), owning_team=None)


def test_verifier_from_settings() -> None:
    settings = ServiceSettings(jwt_secret=SECRET, jwt_issuer="iss-x", jwt_audience="aud-y")
    verifier = JWTVerifier.from_settings(settings)
    assert (verifier.issuer, verifier.audience, verifier.algorithms) == ("iss-x", "aud-y", ("HS256",))
    with pytest.raises(ValueError, match="public key"):
        JWTVerifier.from_settings(ServiceSettings(jwt_algorithms=["RS256"]))
    with pytest.raises(ValueError, match="none"):
        JWTVerifier(algorithms=["none"], issuer=None, audience=None)


async def test_from_settings_verifier_accepts_minted_token() -> None:
    settings = ServiceSettings(jwt_secret=SECRET, jwt_issuer="iss-x", jwt_audience="aud-y")
    minted = token(issuer="iss-x", audience="aud-y", team="t9", roles=["viewer", "collector", "viewer"])
    principal = await JWTVerifier.from_settings(settings).verify(minted)
    assert principal == Principal(subject="alice", roles=frozenset({"viewer", "collector"}), team="t9", kind="user")


def test_mint_token_claims() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    minted = token(now=now, ttl=timedelta(minutes=15), roles=["viewer", "admin"], kind="service")
    claims = jwt.decode(minted, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["roles"] == ["admin", "viewer"]
    assert (claims["sub"], claims["iss"], claims["aud"], claims["kind"]) == ("alice", "o2c", "o2c", "service")
    assert "team" not in claims


def test_require_roles_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        require_roles("billing_aprover")


def test_openapi_declares_bearer_scheme() -> None:
    schema = build_app(hs_verifier()).openapi()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert schema["paths"]["/me"]["get"]["security"] == [{"bearer": []}]
