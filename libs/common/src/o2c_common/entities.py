"""The scaffolding every aggregate's repository shares: load by id (optionally locked), load what the caller's
team may see, filter by equality, a keyset page of a query, and the ETag of a versioned row.

    async def get(tx: Tx, deduction_id: uuid.UUID, *, for_update: bool = False) -> Deduction:
        return await load_visible(tx, Deduction, deduction_id, for_update=for_update)

    def list_query(*, team: str | None, status: DeductionStatus | None) -> Select[tuple[Deduction]]:
        return where_equal(select(Deduction), {Deduction.owning_team: team, Deduction.status: status})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from o2c_common.auth.dependencies import ensure_team_access
from o2c_common.errors.problems import NotFound
from o2c_common.http.etag import make_etag
from o2c_common.http.pagination import Page, PageRequest, build_page, keyset_select
from o2c_common.tx import Tx

M = TypeVar("M")
R = TypeVar("R")
S = TypeVar("S", bound=Select)  # a select of any row shape


class Versioned(Protocol):
    id: Any
    version: int


async def load(session: AsyncSession, model: type[M], entity_id: Any, *, for_update: bool = False) -> M | None:
    """The row of ``model`` with primary key ``entity_id`` (locked ``FOR UPDATE`` if asked), or ``None``."""
    stmt = select(model).where(model.id == entity_id)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def load_visible(tx: Tx, model: type[M], entity_id: Any, *, for_update: bool = False,
                       label: str | None = None) -> M:
    """Like :func:`load`, but 404 when it does not exist and 403 when it is another team's (``owning_team``)."""
    row = await load(tx.session, model, entity_id, for_update=for_update)
    if row is None:
        name = label or model.__name__.lower()
        raise NotFound(f"{name} {entity_id} does not exist")
    ensure_team_access(tx.actor, owning_team=getattr(row, "owning_team", None))
    return row


def where_equal(stmt: S, filters: Mapping[InstrumentedAttribute[Any], Any]) -> S:
    """``stmt`` restricted to rows whose column equals the value, for every value that is not ``None``."""
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


async def keyset_page(session: AsyncSession, stmt: Select[Any], *, page: PageRequest,
                      order_by: Sequence[InstrumentedAttribute[Any]], item: Callable[[Any], R],
                      descending: bool = False) -> Page[R]:
    """One cursor page of ``stmt`` ordered by ``order_by`` (NOT NULL columns, a unique one last)."""
    rows = (await session.scalars(keyset_select(stmt, page=page, order_by=tuple(order_by),
                                                descending=descending))).all()
    keys = [column.key for column in order_by]
    return build_page(rows, page=page, key=lambda row: tuple(getattr(row, k) for k in keys), item=item)


def version_etag(entity: Versioned) -> str:
    """``"<id>:<version>"`` of a row with a version counter."""
    return make_etag(entity_id=entity.id, version=entity.version)
