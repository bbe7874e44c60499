"""Idempotency-Key pieces that need no database: key parsing, fingerprints, the dependency's
behaviour without a key, and its OpenAPI declaration."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Response

from o2c_common.auth import CurrentPrincipal, JWTVerifier, mint_token
from o2c_common.errors import BadRequest, install_problem_handlers
from o2c_common.http import Idempotency, StoredResponse, idempotency, normalise_key, request_fingerprint

SECRET = "unit-secret-unit-secret-unit-secret-0123"


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.jwt_verifier = JWTVerifier(algorithms=["HS256"], secret=SECRET, issuer="o2c", audience="o2c")
    # No app.state.idempotency: requests without a key must not need the store.

    @app.post("/things", status_code=201)
    async def create(principal: CurrentPrincipal, idem: Annotated[Idempotency, Depends(idempotency())]) -> Response:
        return await idem.respond(None, status_code=201, content={"by": principal.subject, "key": idem.key})

    @app.post("/strict", status_code=201)
    async def strict(idem: Annotated[Idempotency, Depends(idempotency(required=True))]) -> Response:
        return await idem.respond(None, status_code=201, content={})

    return app


async def post(path: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app()), base_url="http://test") as client:
        return await client.post(path, json={}, headers=headers)


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(secret=SECRET, subject='alice', roles=['viewer'])}"}


def test_key_normalisation() -> None:
    assert normalise_key("abc-123") == "abc-123"
    assert normalise_key(' "abc-123" ') == "abc-123"
    for bad in ("", '""', "a b", "é", "x" * 256):
        with pytest.raises(BadRequest):
            normalise_key(bad)


def test_fingerprint_ignores_json_formatting_but_not_content() -> None:
    base = {"method": "POST", "path": "/invoices", "query": ""}
    a = request_fingerprint(**base, body=b'{"a": 1, "b": [1, 2]}')
    assert a == request_fingerprint(**base, body=b'{"b":[1,2],"a":1}')
    assert a != request_fingerprint(**base, body=b'{"a": 2, "b": [1, 2]}')
    assert a != request_fingerprint(**{**base, "path": "/other"}, body=b'{"a": 1, "b": [1, 2]}')
    assert a != request_fingerprint(**{**base, "query": "dry_run=1"}, body=b'{"a": 1, "b": [1, 2]}')
    raw = request_fingerprint(**base, body=b"not json")
    assert raw != request_fingerprint(**base, body=b"not json!")
    # Length-prefixed parts: moving bytes between path and query changes the fingerprint.
    assert request_fingerprint(method="POST", path="/ab", query="c", body=b"") != request_fingerprint(
        method="POST", path="/a", query="bc", body=b""
    )


async def test_without_key_the_request_just_runs() -> None:
    response = await post("/things", bearer())
    assert response.status_code == 201
    assert response.json() == {"by": "alice", "key": None}


async def test_required_key_missing_is_400_and_auth_comes_first() -> None:
    response = await post("/strict", bearer())
    assert response.status_code == 400
    assert response.json()["type"] == "https://o2c.dev/problems/idempotency-key-missing"
    assert (await post("/strict", {"Idempotency-Key": "k"})).status_code == 401


def test_openapi_declares_the_header() -> None:
    operation = build_app().openapi()["paths"]["/things"]["post"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert parameter["in"] == "header"
    assert parameter["required"] is False


def test_stored_response_replay_marks_the_response() -> None:
    stored = StoredResponse(status=201, headers={"content-type": "application/json", "location": "/x/1"}, body=b"{}")
    response = stored.to_response()
    assert response.status_code == 201
    assert response.body == b"{}"
    assert response.headers["location"] == "/x/1"
    assert response.headers["idempotent-replayed"] == "true"
