"""Every query of the operations read models: the rows of a unit of work's events written in one statement per
table at commit (:class:`OpsBatch`), and the grouped reads of a review period (a handful of statements per
period, whatever the number of rows)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from o2c_common.tx import Tx
from o2c_kpi.facts.models import ArInvoice
from o2c_kpi.operations.models import (
    OpsAction,
    OpsCapacityOutlook,
    OpsCase,
    OpsDispute,
    OpsQualityReview,
    OpsRejection,
    OpsTeam,
    OpsVendor,
)

TOP = 5
READ_MODELS = tuple(model.__tablename__ for model in (OpsVendor, OpsTeam, OpsQualityReview, OpsRejection, OpsDispute,
                                                      OpsCase, OpsAction, OpsCapacityOutlook))
"""Every table of this group: all built from events only, so a rebuild empties and replays them."""


Key = tuple[type[Any], tuple[str, ...], str | None]
CHUNK = 1000


@dataclass
class OpsBatch:
    """The read-model rows of one unit of work's events, written when it commits: one multi-row statement per
    table and kind (rows with the same key folded first: the latest, or the newer by ``only_if_newer``), then the
    updates of rows an earlier event created, in event order."""

    new: dict[Key, dict[tuple[Any, ...], dict[str, Any]]] = field(default_factory=dict)
    upserts: dict[Key, dict[tuple[Any, ...], dict[str, Any]]] = field(default_factory=dict)
    updates: list[tuple[InstrumentedAttribute[Any], Any, dict[str, Any]]] = field(default_factory=list)

    def upsert(self, model: type[Any], values: dict[str, Any], *, keys: Sequence[str],
               only_if_newer: str | None = None) -> None:
        """Insert ``values`` or overwrite the row with the same ``keys``; with ``only_if_newer``, only when that
        column of ``values`` is later than the stored one (an older event heard late changes nothing)."""
        rows = self.upserts.setdefault((model, tuple(keys), only_if_newer), {})
        key, held = tuple(values[k] for k in keys), rows.get(tuple(values[k] for k in keys))
        if held is None or only_if_newer is None or held[only_if_newer] <= values[only_if_newer]:
            rows[key] = values

    def insert_new(self, model: type[Any], values: dict[str, Any], *, keys: Sequence[str]) -> None:
        """Insert ``values`` unless a row with the same ``keys`` exists (a later fact of it came first)."""
        self.new.setdefault((model, tuple(keys), None), {}).setdefault(tuple(values[k] for k in keys), values)

    def update(self, column: InstrumentedAttribute[Any], key: Any, values: dict[str, Any]) -> None:
        """Change the row whose ``column`` is ``key`` (a later fact of an aggregate the read model has)."""
        self.updates.append((column, key, values))

    async def flush(self, tx: Tx) -> None:
        for (model, keys, _), rows in self.new.items():
            for part in _chunks(list(rows.values())):
                await tx.session.execute(insert(model).values(part).on_conflict_do_nothing(index_elements=keys))
        for (model, keys, newer), rows in self.upserts.items():
            for part in _chunks(list(rows.values())):
                stmt = insert(model).values(part)
                where = getattr(model, newer) <= stmt.excluded[newer] if newer is not None else None
                await tx.session.execute(stmt.on_conflict_do_update(
                    index_elements=keys, where=where, set_={k: stmt.excluded[k] for k in part[0] if k not in keys}))
        for column, key, values in self.updates:
            await tx.session.execute(update(column.class_).where(column == key).values(**values))


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


# --- quality -----------------------------------------------------------------------------------------------------

def _in(column: Any, since: datetime, until: datetime) -> Any:
    return and_(column >= since, column < until)


def _team(column: Any, team: str | None) -> Any:
    return column == team if team is not None else true()


async def teams_and_vendors(session: AsyncSession) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each team's vendor code and each vendor's name."""
    teams = {r.team: r.vendor_code for r in (await session.execute(select(OpsTeam.team, OpsTeam.vendor_code)))}
    vendors = {r.code: r.name for r in (await session.execute(select(OpsVendor.code, OpsVendor.name)))}
    return teams, vendors


async def quality_per_team(session: AsyncSession, *, since: datetime, until: datetime,
                           team: str | None) -> Sequence[Any]:
    """(team, reviewed, sum of scores) of the reviews in [since, until)."""
    q = OpsQualityReview
    stmt = (select(q.team, func.count().label("reviewed"), func.sum(q.score).label("score_sum"))
            .where(_in(q.reviewed_at, since, until), _team(q.team, team)).group_by(q.team))
    return (await session.execute(stmt)).all()


async def defects_per_team(session: AsyncSession, *, since: datetime, until: datetime,
                           team: str | None) -> Sequence[Any]:
    """(team, code, category, label, count) of the defects found in the reviews of [since, until)."""
    q = OpsQualityReview
    d = func.jsonb_array_elements(q.defects).table_valued("value").alias("d")
    code, category, label = (d.c.value.op("->>")(k) for k in ("code", "category", "label"))
    stmt = (select(q.team, code.label("code"), category.label("category"), label.label("label"),
                   func.count().label("n"))
            .select_from(q).join(d, true())
            .where(_in(q.reviewed_at, since, until), _team(q.team, team))
            .group_by(q.team, code, category, label))
    return (await session.execute(stmt)).all()


# --- Pareto ------------------------------------------------------------------------------------------------------

async def rejections_per_reason(session: AsyncSession, *, since: datetime, until: datetime,
                                team: str | None) -> Sequence[Any]:
    """(reason, currency, count, amount) of the portal rejections of [since, until), with the rejected invoice's
    amount from the AR read model (currency None: the invoice was not heard of)."""
    r = OpsRejection
    stmt = (select(r.reason, ArInvoice.currency, func.count().label("n"), func.sum(ArInvoice.amount).label("amount"))
            .select_from(r).outerjoin(ArInvoice, ArInvoice.invoice_id == r.invoice_id)
            .where(_in(r.rejected_at, since, until), _team(r.owning_team, team))
            .group_by(r.reason, ArInvoice.currency))
    return (await session.execute(stmt)).all()


async def rejection_texts(session: AsyncSession, *, since: datetime, until: datetime,
                          team: str | None) -> Sequence[Any]:
    """(reason, portal code, text, count) of the portal rejections of [since, until), most frequent first."""
    r = OpsRejection
    stmt = (select(r.reason, r.portal_reason_code, r.reason_text, func.count().label("n"))
            .where(_in(r.rejected_at, since, until), _team(r.owning_team, team))
            .group_by(r.reason, r.portal_reason_code, r.reason_text)
            .order_by(func.count().desc(), r.portal_reason_code))
    return (await session.execute(stmt)).all()


async def disputes_per_root_cause(session: AsyncSession, *, since: datetime, until: datetime,
                                  team: str | None) -> Sequence[Any]:
    """(root cause, currency, count, amount) of the disputes resolved in [since, until)."""
    d = OpsDispute
    stmt = (select(d.root_cause, d.currency, func.count().label("n"), func.sum(d.amount).label("amount"))
            .where(d.resolved_at.is_not(None), d.root_cause.is_not(None), _in(d.resolved_at, since, until),
                   _team(d.owning_team, team))
            .group_by(d.root_cause, d.currency))
    return (await session.execute(stmt)).all()


# --- open work ---------------------------------------------------------------------------------------------------

def _open_at(opened: Any, closed: Any, at: datetime) -> Any:
    return and_(opened < at, or_(closed.is_(None), closed >= at))


async def open_counts(session: AsyncSession, model: type[OpsCase] | type[OpsAction], *, at: datetime,
                      team: str | None) -> Sequence[Any]:
    """(team, open count, oldest opening) of the cases or actions open at ``at``."""
    opened, closed = _open_columns(model)
    stmt = (select(model.owning_team, func.count().label("n"), func.min(opened).label("oldest"))
            .where(_open_at(opened, closed, at), _team(model.owning_team, team)).group_by(model.owning_team))
    return (await session.execute(stmt)).all()


async def oldest_open(session: AsyncSession, model: type[OpsCase] | type[OpsAction], *, at: datetime,
                      team: str | None) -> Sequence[Any]:
    """The ``TOP`` oldest cases or actions of each team open at ``at``, oldest first."""
    opened, closed = _open_columns(model)
    key = model.case_id if model is OpsCase else model.action_id  # type: ignore[union-attr]
    rank = func.row_number().over(partition_by=model.owning_team, order_by=(opened, key)).label("rank")
    ranked = (select(key.label("key"), rank).where(_open_at(opened, closed, at), _team(model.owning_team, team))
              .subquery())
    stmt = (select(model).join(ranked, ranked.c.key == key).where(ranked.c.rank <= TOP)
            .order_by(model.owning_team, opened, key))
    return list((await session.scalars(stmt)).all())


def _open_columns(model: type[OpsCase] | type[OpsAction]) -> tuple[Any, Any]:
    if model is OpsCase:
        return OpsCase.opened_at, OpsCase.resolved_at
    return OpsAction.created_at, OpsAction.closed_at


# --- capacity ----------------------------------------------------------------------------------------------------

async def outlooks(session: AsyncSession, *, team: str | None) -> list[OpsCapacityOutlook]:
    """The latest outlook of each queue (a team's only, when narrowed), by process and team."""
    stmt = select(OpsCapacityOutlook).order_by(OpsCapacityOutlook.process, OpsCapacityOutlook.team)
    if team is not None:
        stmt = stmt.where(OpsCapacityOutlook.team == team)
    return list((await session.scalars(stmt)).all())
