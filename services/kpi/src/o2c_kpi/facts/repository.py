"""Writes of the read models: the facts of a consumer batch are gathered in the unit of work's
:class:`FactBatch` (``tx.batch(FactBatch)``) and written with one multi-row statement per table when the batch
is flushed, instead of one INSERT per event: just before the unit of work commits (the consumer's fast path),
or at the end of each record's savepoint (its record-by-record path), so a failing handler's facts roll back
with its savepoint."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from o2c_common.db.jsonrows import Columns, json_rows, rows_of
from o2c_common.tx import Tx

ADVISORY_CLASS = 0x6B7069  # "kpi": per-invoice locks of the AR rollup, apart from other advisory locks

CountKey = tuple[str, str, str, str, str, date, str]  # metric, entity, currency, customer, team, day, dimension
MILESTONES = ("approved_at", "submitted_at", "accepted_at", "paid_at")
Statement = tuple[TextClause, dict[str, Any]]


class Dims(NamedTuple):
    """Where a fact counts; None where the event does not say (stored as '')."""

    legal_entity: str | None
    currency: str | None
    customer_id: str | None
    owning_team: str | None


@dataclass
class FactBatch:
    invoices: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)  # the first of each invoice's rows
    movements: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[CountKey, list[Any]] = field(default_factory=dict)
    open_items: list[dict[str, Any]] = field(default_factory=list)
    milestones: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    prepared: list[Statement] | None = None

    def count(self, metric: str, dims: Dims, day: date, *, dimension: str | None = None,
              value: Decimal = Decimal(0), n: int = 1) -> None:
        key = (metric, dims.legal_entity or "", dims.currency or "", dims.customer_id or "", dims.owning_team or "",
               day, dimension or "")
        slot = self.counts.setdefault(key, [0, Decimal(0)])
        slot[0] += n
        slot[1] += value

    def milestone(self, invoice_id: uuid.UUID, *, legal_entity: str, customer_id: str, owning_team: str | None,
                  **instants: datetime) -> None:
        row = self.milestones.setdefault(invoice_id, {
            "invoice_id": invoice_id, "legal_entity": legal_entity, "customer_id": customer_id,
            "owning_team": owning_team or "", **dict.fromkeys(MILESTONES)})
        if owning_team and not row["owning_team"]:
            row["owning_team"] = owning_team
        for name, instant in instants.items():
            row[name] = instant if row[name] is None else min(row[name], instant)

    def __bool__(self) -> bool:
        return bool(self.invoices or self.movements or self.counts or self.open_items or self.milestones)

    def prepare(self) -> None:
        """The statements of the facts gathered so far, built now (a consumer does it ahead of the transaction);
        nothing is gathered into this batch afterwards."""
        self.prepared = statements(self)

    async def flush(self, tx: Tx) -> None:
        """Writes the gathered facts (called by the unit of work, which then forgets this batch)."""
        if self:
            await tx.session.run_sync(execute, self.prepared if self.prepared is not None else statements(self))


READ_MODELS = ("receivable_movements", "kpi_ar_invoices", "kpi_ar_daily_total", "kpi_ar_daily", "kpi_daily_counts",
               "kpi_open_item_movements", "kpi_invoice_milestones")


async def clear_read_models(session: AsyncSession, *, group_id: str, tables: Sequence[str] = READ_MODELS) -> None:
    """Empties the read models ``tables`` and forgets which events the consumer ``group_id`` took into them."""
    await session.execute(text(f"TRUNCATE {', '.join(tables)}"))
    await session.execute(text("DELETE FROM inbox WHERE consumer = :group"), {"group": group_id})


async def hand_over_inbox(session: AsyncSession, *, reader: str, group_id: str) -> None:
    """The events consumer ``reader`` took count as taken by ``group_id`` (which then skips them)."""
    await session.execute(text("UPDATE inbox SET consumer = :group WHERE consumer = :reader"),
                          {"group": group_id, "reader": reader})


def _insert(table: str, columns: Columns, rows: Sequence[Sequence[Any]],
            conflict: str = "ON CONFLICT DO NOTHING") -> list[Statement]:
    """One INSERT of every row (its values in the order of ``columns``), passed as one JSON parameter
    (``o2c_common.db.jsonrows``): one statement whose text, and so prepared statement, is the same for any number of
    rows; nothing for no rows."""
    return [(_insert_statement(table, columns, conflict), {"rows": json_rows(rows)})] if rows else []


@cache
def _insert_statement(table: str, columns: Columns, conflict: str) -> TextClause:
    names = ", ".join(name for name, _ in columns)
    return text(f"INSERT INTO {table} AS t ({names}) SELECT * FROM {rows_of('rows', columns)} AS x {conflict}")  # noqa: S608 - names of this module


def _values(columns: Columns, rows: Iterable[dict[str, Any]]) -> list[Sequence[Any]]:
    """Each row's values in the order of ``columns``."""
    get = itemgetter(*(name for name, _ in columns))
    return [get(row) for row in rows]


DIMS = (("legal_entity", "text"), ("currency", "text"), ("customer_id", "text"), ("owning_team", "text"))
INVOICES = (("invoice_id", "uuid"), *DIMS, ("issue_date", "date"), ("due_date", "date"), ("amount", "numeric"))
MOVEMENTS = (("event_id", "uuid"), ("line", "int"), ("invoice_id", "uuid"), ("customer_id", "text"),
             ("legal_entity", "text"), ("currency", "text"), ("kind", "text"), ("amount", "numeric"),
             ("effective_date", "date"))
COUNTS = (("metric", "text"), *DIMS, ("day", "date"), ("dimension", "text"), ("count", "bigint"), ("value", "numeric"))
OPEN_ITEMS = (("event_id", "uuid"), ("line", "int"), ("kind", "text"), ("item_id", "text"), *DIMS, ("agent", "text"),
              ("day", "date"), ("opened_date", "date"), ("amount", "numeric"), ("count", "int"))
MILESTONE_COLUMNS = (("invoice_id", "uuid"), ("legal_entity", "text"), ("customer_id", "text"), ("owning_team", "text"),
                     *((name, "timestamptz") for name in MILESTONES))


def statements(batch: FactBatch) -> list[Statement]:
    """The statements that write ``batch``, one per table; the AR rollups take each movement exactly once."""
    out: list[Statement] = []
    invoice_ids = list({*batch.invoices, *(row["invoice_id"] for row in batch.movements)})  # locked in SQL order
    if invoice_ids:
        # Every statement below reads by key. A fresh or rebuilt read model has stale row estimates, with which the
        # planner read whole tables for each batch (the cost grew with the table); for this transaction it may not.
        out.append((_statement(LOCK_INVOICES), {"cls": ADVISORY_CLASS, "ids": invoice_ids}))
    out += _insert("kpi_ar_invoices", INVOICES, _values(INVOICES, batch.invoices.values()))
    if batch.movements:
        out.append((_statement(ROLL_UP), {"movements": json_rows(_values(MOVEMENTS, batch.movements)),
                                          "new_invoices": list(batch.invoices)}))
    counts = [(*key, n, value) for key, (n, value) in sorted(batch.counts.items())]  # the order of COUNTS
    out += _insert("kpi_daily_counts", COUNTS, counts, conflict=(
        "ON CONFLICT (metric, legal_entity, currency, customer_id, owning_team, day, dimension) "
        "DO UPDATE SET count = t.count + excluded.count, value = t.value + excluded.value"))
    out += _insert("kpi_open_item_movements", OPEN_ITEMS, _values(OPEN_ITEMS, batch.open_items))
    out += _insert("kpi_invoice_milestones", MILESTONE_COLUMNS,
                   _values(MILESTONE_COLUMNS, (batch.milestones[k] for k in sorted(batch.milestones))),
                   conflict="ON CONFLICT (invoice_id) DO UPDATE SET " + ", ".join(
                       f"{name} = least(t.{name}, excluded.{name})" for name in MILESTONES))
    return out


def execute(session: Session, batch: Sequence[Statement]) -> None:
    for statement, parameters in batch:
        session.execute(statement, parameters)


LOCK_INVOICES = (
    "SELECT set_config('enable_seqscan', 'off', true), count(pg_advisory_xact_lock(:cls, k)) "
    "FROM (SELECT DISTINCT hashtext(CAST(x AS text)) AS k FROM unnest(CAST(:ids AS uuid[])) AS x ORDER BY k) AS keys")


@cache
def _statement(sql: str) -> TextClause:
    """The statement of ``sql``, built once (``text()`` parses the SQL for its parameters)."""
    return text(sql)


# AR movements: inserted (already resolved when their invoice is known), movements that waited for an invoice
# of this batch resolved, and every resolved one added to both rollups, exactly once. The waiting movements are read
# by their partial index, the batch's invoices by key: with the invoices' array on both sides, stale estimates drove
# the update from the invoices and probed the waiting index once an invoice, each probe with the whole array
# (0.17 ms a probe, 170 ms of a 200 ms statement in the history run; docs/performance.md).
_MOVEMENT_NAMES = ", ".join(name for name, _ in MOVEMENTS)
ROLL_UP = f"""
WITH x AS (
    SELECT DISTINCT ON (x.event_id, x.line) x.*, i.invoice_id IS NOT NULL AS known, i.legal_entity AS i_entity,
           i.currency AS i_currency, i.owning_team AS i_team, i.due_date AS i_due
    FROM {rows_of("movements", MOVEMENTS)} AS x
    LEFT JOIN LATERAL (SELECT * FROM kpi_ar_invoices AS i WHERE i.invoice_id = x.invoice_id LIMIT 1) AS i ON true
), ins AS (
    INSERT INTO receivable_movements AS m ({_MOVEMENT_NAMES}, resolved)
    SELECT {_MOVEMENT_NAMES}, known FROM x
    ON CONFLICT DO NOTHING
    RETURNING m.event_id, m.line
), waited AS (
    UPDATE receivable_movements AS m SET resolved = true
    FROM kpi_ar_invoices AS i
    WHERE NOT m.resolved AND m.invoice_id = ANY(CAST(:new_invoices AS uuid[])) AND i.invoice_id = m.invoice_id
    RETURNING i.legal_entity, i.currency, i.owning_team, m.effective_date, i.due_date, m.kind, m.amount
), r AS (
    SELECT x.i_entity AS legal_entity, x.i_currency AS currency, x.i_team AS owning_team, x.effective_date AS day,
           x.i_due AS due_date, x.kind, x.amount
    FROM x JOIN ins ON ins.event_id = x.event_id AND ins.line = x.line WHERE x.known
    UNION ALL
    SELECT legal_entity, currency, owning_team, effective_date, due_date, kind, amount FROM waited
), totals AS (
    INSERT INTO kpi_ar_daily_total AS t (legal_entity, currency, owning_team, day, kind, amount, due_weight)
    SELECT legal_entity, currency, owning_team, day, kind, sum(amount),
           sum(amount * (due_date - DATE '2000-01-01')) FROM r
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (legal_entity, currency, owning_team, day, kind)
    DO UPDATE SET amount = t.amount + excluded.amount, due_weight = t.due_weight + excluded.due_weight
    RETURNING 1
)
INSERT INTO kpi_ar_daily AS d (legal_entity, currency, owning_team, day, due_date, kind, amount)
SELECT legal_entity, currency, owning_team, day, due_date, kind, sum(amount) FROM r
GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (legal_entity, currency, owning_team, day, due_date, kind)
DO UPDATE SET amount = d.amount + excluded.amount
"""  # noqa: S608 - column names of this module
