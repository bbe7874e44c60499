"""Lists of one aggregate in cursor pages, newest first, filtered by equality (team, status, customer …)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest

R = TypeVar("R")


async def newest_first(session: AsyncSession, model: type[Any], *, page: PageRequest,
                       at: InstrumentedAttribute[Any], filters: Mapping[InstrumentedAttribute[Any], Any],
                       item: Callable[[Any], R]) -> Page[R]:
    """A page of ``model`` rows whose columns equal the ``filters`` given (``None``: any), latest ``at`` first
    (ties broken by id)."""
    return await keyset_page(session, where_equal(select(model), filters), page=page, order_by=(at, model.id),
                             item=item, descending=True)
