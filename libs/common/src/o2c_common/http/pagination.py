"""Opaque cursor (keyset) pagination.

A cursor is the base64url (unpadded) encoding of ``{"v": 1, "after": [<sort value>, ..., <id>]}``:
the sort key of the last item of the previous page. Clients treat it as opaque. ``limit`` defaults
to 50 and is bounded to 1..200 (out of range → 422). A malformed cursor → 422 ``invalid-cursor``.

A list endpoint::

    @router.get("/invoices", response_model=Page[InvoiceRead])
    async def list_invoices(page: PageParams, session: ...) -> Page[InvoiceRead]:
        sort = (Invoice.created_at, Invoice.id)          # NOT NULL columns, id last (unique)
        stmt = keyset_select(select(Invoice).where(...), page=page, order_by=sort)
        rows = (await session.scalars(stmt)).all()
        return build_page(rows, page=page, key=lambda i: (i.created_at, i.id), item=InvoiceRead.model_validate)

``keyset_select`` orders by the sort columns (all ascending, or all descending), adds the
``(c1, c2) > (:v1, :v2)`` row comparison for the cursor and fetches ``limit + 1`` rows;
``build_page`` keeps ``limit`` of them and makes ``next_cursor`` when there was one more.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, tuple_

from o2c_common.audit.jsonable import to_json_safe
from o2c_common.errors.problems import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 2048
CURSOR_VERSION = 1

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items and the cursor of the next page (``null`` on the last page)."""

    items: list[T]
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null at the end.")


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    after: tuple[Any, ...] | None = None
    cursor: str | None = None


def invalid_cursor(detail: str) -> ValidationFailed:
    return ValidationFailed(
        detail,
        type="invalid-cursor",
        title="Invalid cursor",
        errors=[{"location": "query", "parameter": "cursor", "detail": detail, "code": "invalid_cursor"}],
    )


def encode_cursor(after: Sequence[Any]) -> str:
    payload = {"v": CURSOR_VERSION, "after": to_json_safe(list(after))}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    """The raw JSON sort values of a cursor; :class:`ValidationFailed` (422) when malformed."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid_cursor("cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise invalid_cursor("cursor is not a valid page cursor") from None
    if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION:
        raise invalid_cursor("cursor is not a valid page cursor")
    after = payload.get("after")
    if not isinstance(after, list) or not after:
        raise invalid_cursor("cursor is not a valid page cursor")
    return tuple(after)


def pagination(*, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT,
               ) -> Callable[..., Awaitable[PageRequest]]:
    """A dependency reading ``limit`` (1..max_limit) and ``cursor`` from the query string."""
    if not 1 <= default_limit <= max_limit:
        raise ValueError("default_limit must be between 1 and max_limit")

    async def page_request(limit: int, cursor: str | None) -> PageRequest:
        after = decode_cursor(cursor) if cursor is not None else None
        return PageRequest(limit=limit, after=after, cursor=cursor)

    # Explicit signature: the bounds live in this closure, which string annotations cannot see.
    page_request.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "limit",
                inspect.Parameter.KEYWORD_ONLY,
                default=default_limit,
                annotation=Annotated[int, Query(ge=1, le=max_limit, description="Page size.")],
            ),
            inspect.Parameter(
                "cursor",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[
                    str | None,
                    Query(
                        max_length=MAX_CURSOR_LENGTH,
                        description="Opaque cursor from a previous page's next_cursor.",
                    ),
                ],
            ),
        ],
        return_annotation=PageRequest,
    )
    return page_request


PageParams = Annotated[PageRequest, Depends(pagination())]


def _python_type(column: Any) -> type | None:
    try:
        python_type = column.type.python_type
    except (AttributeError, NotImplementedError):
        return None
    return python_type if isinstance(python_type, type) else None


def _coerce(column: Any, raw: Any) -> Any:
    """A cursor's JSON value converted to the column's Python type (so the driver binds it right)."""
    if raw is None:
        raise invalid_cursor("cursor holds a null sort value")
    python_type = _python_type(column)
    try:
        if python_type is None:
            return raw
        if issubclass(python_type, dt.datetime):
            return dt.datetime.fromisoformat(raw)
        if issubclass(python_type, dt.date):
            return dt.date.fromisoformat(raw)
        if issubclass(python_type, uuid.UUID):
            return uuid.UUID(raw)
        if issubclass(python_type, Decimal):
            return Decimal(str(raw))
        if issubclass(python_type, bool):
            if not isinstance(raw, bool):
                raise TypeError("expected a boolean")
            return raw
        if issubclass(python_type, int):
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise TypeError("expected an integer")
            return raw
        if issubclass(python_type, str):
            if not isinstance(raw, str):
                raise TypeError("expected a string")
            return raw
        return raw
    except (TypeError, ValueError, InvalidOperation, AttributeError):
        raise invalid_cursor("cursor does not match this list's sort order") from None


def keyset_select(
    statement: Select[Any],
    *,
    page: PageRequest,
    order_by: Sequence[Any],
    descending: bool = False,
) -> Select[Any]:
    """``statement`` ordered by ``order_by``, after the cursor's position, limited to ``limit + 1``.

    ``order_by`` are NOT NULL columns (or column expressions) ending with a unique one (the id).
    """
    columns = list(order_by)
    if not columns:
        raise ValueError("keyset_select needs at least one sort column")
    statement = statement.order_by(*(c.desc() if descending else c.asc() for c in columns))
    if page.after is not None:
        if len(page.after) != len(columns):
            raise invalid_cursor("cursor does not match this list's sort order")
        values = tuple(_coerce(c, v) for c, v in zip(columns, page.after, strict=True))
        position = tuple_(*columns)
        statement = statement.where(position < values if descending else position > values)
    return statement.limit(page.limit + 1)


def build_page(
    rows: Sequence[R],
    *,
    page: PageRequest,
    key: Callable[[R], Sequence[Any]],
    item: Callable[[R], T] | None = None,
) -> Page[T]:
    """A :class:`Page` from up to ``limit + 1`` rows fetched with :func:`keyset_select`."""
    has_more = len(rows) > page.limit
    kept = list(rows[: page.limit])
    next_cursor = encode_cursor(key(kept[-1])) if has_more and kept else None
    items: list[Any] = [item(r) for r in kept] if item is not None else kept
    return Page[Any](items=items, next_cursor=next_cursor)
