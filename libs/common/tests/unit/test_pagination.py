"""Cursor encoding, the pagination dependency (limit bounds, bad cursors) and the keyset query."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, strategies as st
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Integer, MetaData, Numeric, String, Table, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import UUID

from o2c_common.errors import ValidationFailed, install_problem_handlers
from o2c_common.http import (
    Page,
    PageParams,
    PageRequest,
    build_page,
    decode_cursor,
    encode_cursor,
    keyset_select,
)

metadata = MetaData()
items_table = Table(
    "items",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("name", String, nullable=False),
)


class Item(BaseModel):
    id: int


def build_app(data: list[int]) -> FastAPI:
    """Pages over an in-memory, id-sorted list with the same helpers a SQL list endpoint uses."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/items", response_model=Page[Item])
    async def list_items(page: PageParams) -> Page[Item]:
        after = page.after[0] if page.after else None
        if after is not None and not isinstance(after, int):
            raise ValidationFailed("bad", errors=[{"parameter": "cursor", "detail": "bad"}])
        rows = [i for i in sorted(data) if after is None or i > after][: page.limit + 1]
        return build_page(rows, page=page, key=lambda i: (i,), item=lambda i: Item(id=i))

    return app


async def get(app: FastAPI, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get("/items", params=params)


def test_cursor_round_trip_keeps_typed_values_as_json() -> None:
    when = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    ident = uuid.uuid4()
    cursor = encode_cursor([when, Decimal("10.50"), ident])
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor
    assert decode_cursor(cursor) == ("2026-03-01T12:30:15.123456Z", "10.50", str(ident))


@given(st.lists(st.one_of(st.integers(), st.text(max_size=20), st.booleans()), min_size=1, max_size=4))
def test_cursor_round_trip_property(values: list[Any]) -> None:
    assert decode_cursor(encode_cursor(values)) == tuple(values)


@pytest.mark.parametrize(
    "cursor",
    ["not base64 at all!", "e30", encode_cursor([1]).replace("e", "Z", 1), "eyJ2IjoyLCJhZnRlciI6WzFdfQ", "x" * 3000],
)
def test_bad_cursors_are_rejected(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        decode_cursor(cursor)
    assert caught.value.status == 422
    assert caught.value.errors[0]["parameter"] == "cursor"


async def test_walks_all_pages_with_next_cursor() -> None:
    app = build_app(list(range(1, 8)))
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = (await get(app, **params)).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(range(1, 8))
    assert pages == 3


async def test_exact_multiple_has_no_empty_last_page() -> None:
    body = (await get(build_app([1, 2, 3]), limit=3)).json()
    assert body == {"items": [{"id": 1}, {"id": 2}, {"id": 3}], "next_cursor": None}


async def test_default_and_bounded_limit() -> None:
    app = build_app(list(range(300)))
    assert len((await get(app)).json()["items"]) == 50
    assert len((await get(app, limit=200)).json()["items"]) == 200
    for bad in (0, 201, -1):
        response = await get(app, limit=bad)
        assert response.status_code == 422
        assert response.json()["errors"][0]["parameter"] == "limit"


async def test_bad_cursor_is_a_422_problem() -> None:
    response = await get(build_app([1]), cursor="%%%garbage")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == "https://o2c.dev/problems/invalid-cursor"
    assert body["errors"][0]["parameter"] == "cursor"


def compile_pg(statement: Any) -> tuple[str, dict[str, Any]]:
    compiled = statement.compile(dialect=postgresql.asyncpg.dialect())
    return str(compiled), compiled.params


def test_keyset_select_first_page() -> None:
    sql, params = compile_pg(
        keyset_select(
            select(items_table), page=PageRequest(limit=10), order_by=(items_table.c.created_at, items_table.c.id)
        )
    )
    assert "WHERE" not in sql
    assert "ORDER BY items.created_at ASC, items.id ASC" in sql
    assert 11 in params.values()


def test_keyset_select_converts_cursor_values_to_column_types() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    ident = uuid.uuid4()
    cursor = encode_cursor([when, Decimal("1.10"), 7, "n", ident])
    page = PageRequest(limit=5, after=decode_cursor(cursor))
    columns = [items_table.c[name] for name in ("created_at", "amount", "seq", "name", "id")]
    sql, params = compile_pg(keyset_select(select(items_table), page=page, order_by=columns, descending=True))
    assert "(items.created_at, items.amount, items.seq, items.name, items.id) <" in sql
    assert "ORDER BY items.created_at DESC" in sql
    values = list(params.values())
    assert values[:5] == [when, Decimal("1.10"), 7, "n", ident]
    assert values[5] == 6


@pytest.mark.parametrize(
    "after",
    [("2026-01-01T00:00:00Z",), ("not-a-date", str(uuid.uuid4())), ("2026-01-01T00:00:00Z", "not-a-uuid"), (None, "x")],
)
def test_keyset_select_rejects_cursor_of_another_shape(after: tuple[Any, ...]) -> None:
    page = PageRequest(limit=5, after=after)
    with pytest.raises(ValidationFailed):
        keyset_select(select(items_table), page=page, order_by=(items_table.c.created_at, items_table.c.id))


def test_integer_column_refuses_string_cursor_value() -> None:
    page = PageRequest(limit=5, after=("7",))
    with pytest.raises(ValidationFailed):
        keyset_select(select(items_table), page=page, order_by=(items_table.c.seq,))


def test_openapi_documents_bounds() -> None:
    parameters = build_app([]).openapi()["paths"]["/items"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert by_name["limit"]["schema"]["maximum"] == 200
    assert by_name["limit"]["schema"]["minimum"] == 1
    assert by_name["limit"]["schema"]["default"] == 50
    assert by_name["cursor"]["required"] is False
