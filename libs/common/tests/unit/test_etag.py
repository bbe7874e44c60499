"""ETag construction and the If-Match precondition (428 missing, 412 stale)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from o2c_common.errors import install_problem_handlers
from o2c_common.http import (
    etag_for_content,
    if_match_satisfied,
    make_etag,
    parse_entity_tags,
    require_if_match,
    set_etag,
)


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    state = {"version": 3}

    @app.get("/invoices/{invoice_id}")
    async def read(invoice_id: str, response: Response) -> dict[str, int]:
        set_etag(response, etag=make_etag(entity_id=invoice_id, version=state["version"]))
        return state

    @app.post("/invoices/{invoice_id}/approve")
    async def approve(invoice_id: str, request: Request, response: Response) -> dict[str, int]:
        require_if_match(request, current_etag=make_etag(entity_id=invoice_id, version=state["version"]))
        state["version"] += 1
        set_etag(response, etag=make_etag(entity_id=invoice_id, version=state["version"]))
        return state

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app()), base_url="http://test") as c:
        yield c


def test_make_etag() -> None:
    assert make_etag(entity_id="inv-1", version=3) == '"inv-1:3"'
    assert make_etag(entity_id="inv-1", version=3, weak=True) == 'W/"inv-1:3"'
    hashed = make_etag(entity_id='a"b', version=1)
    assert hashed.startswith('"') and '"' not in hashed[1:-1]


def test_content_etag_is_stable_and_sensitive() -> None:
    assert etag_for_content({"a": 1, "b": [1, 2]}) == etag_for_content({"b": [1, 2], "a": 1})
    assert etag_for_content({"a": 1}) != etag_for_content({"a": 2})


def test_parse_entity_tags() -> None:
    assert parse_entity_tags('W/"a", "b"') == [(True, "a"), (False, "b")]
    assert parse_entity_tags('"a:1"') == [(False, "a:1")]
    assert parse_entity_tags("a:1") is None
    assert parse_entity_tags('"a" junk') is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"inv:3"', True),
        ('"inv:2", "inv:3"', True),
        ("*", False),  # a transition needs the tag the client read
        ('"inv:2"', False),
        ('W/"inv:3"', False),  # If-Match uses the strong comparison
        ("inv:3", False),  # unquoted: malformed
    ],
)
def test_if_match_strong_comparison(header: str, expected: bool) -> None:
    assert if_match_satisfied(header, current_etag='"inv:3"') is expected


def test_weak_comparison_only_when_allowed() -> None:
    assert if_match_satisfied('W/"inv:3"', current_etag='"inv:3"', allow_weak=True)
    assert not if_match_satisfied('"inv:3"', current_etag='W/"inv:3"')


async def test_read_returns_etag(client: httpx.AsyncClient) -> None:
    response = await client.get("/invoices/inv")
    assert response.headers["etag"] == '"inv:3"'


async def test_missing_if_match_is_428(client: httpx.AsyncClient) -> None:
    response = await client.post("/invoices/inv/approve")
    assert response.status_code == 428
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "https://o2c.dev/problems/precondition-required"


async def test_wildcard_if_match_is_refused_like_a_missing_one(client: httpx.AsyncClient) -> None:
    response = await client.post("/invoices/inv/approve", headers={"If-Match": "*"})
    assert response.status_code == 428
    assert response.json()["type"] == "https://o2c.dev/problems/if-match-wildcard-refused"


async def test_stale_if_match_is_412_with_current_etag(client: httpx.AsyncClient) -> None:
    response = await client.post("/invoices/inv/approve", headers={"If-Match": '"inv:2"'})
    assert response.status_code == 412
    body = response.json()
    assert body["type"] == "https://o2c.dev/problems/precondition-failed"
    assert body["current_etag"] == '"inv:3"'
    assert response.headers["etag"] == '"inv:3"'


async def test_current_if_match_passes_then_becomes_stale(client: httpx.AsyncClient) -> None:
    etag = (await client.get("/invoices/inv")).headers["etag"]
    first = await client.post("/invoices/inv/approve", headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] == '"inv:4"'
    second = await client.post("/invoices/inv/approve", headers={"If-Match": etag})
    assert second.status_code == 412
