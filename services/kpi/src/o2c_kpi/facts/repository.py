"""Writes of the read models: the facts of a consumer batch are gathered in the session and written with one
multi-row statement per table just before the unit of work commits (``before_commit``), instead of one
INSERT per event. Under a savepoint (the consumer's record-by-record path) they are written at once, so a
failing handler's facts roll back with its savepoint."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import event, func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from o2c_kpi.ar.models import ReceivableMovement
from o2c_kpi.facts.models import ArInvoice, DailyCount, InvoiceMilestone, OpenItemMovement

BATCH_KEY = "o2c_kpi.facts"
CHUNK_ROWS = 2000
ADVISORY_CLASS = 0x6B7069  # "kpi": per-invoice locks of the AR rollup, apart from other advisory locks

CountKey = tuple[str, str, str, str, str, date, str]  # metric, entity, currency, customer, team, day, dimension
MILESTONES = ("approved_at", "submitted_at", "accepted_at", "paid_at")


class Dims(NamedTuple):
    """Where a fact counts; None where the event does not say (stored as '')."""

    legal_entity: str | None
    currency: str | None
    customer_id: str | None
    owning_team: str | None


@dataclass
class FactBatch:
    invoices: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[CountKey, list[Any]] = field(default_factory=dict)
    open_items: list[dict[str, Any]] = field(default_factory=list)
    milestones: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)

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


def batch_for(session: AsyncSession) -> FactBatch:
    """The facts gathered in this unit of work, written when it commits."""
    batch = session.info.get(BATCH_KEY)
    if batch is None:
        batch = session.info[BATCH_KEY] = FactBatch()
        event.listen(session.sync_session, "before_commit", _write_on_commit)
    assert isinstance(batch, FactBatch)
    return batch


async def write_now_if_nested(session: AsyncSession) -> None:
    """Under a savepoint, write the gathered facts at once (they belong to the savepoint)."""
    if session.in_nested_transaction():
        batch = session.info.get(BATCH_KEY)
        if batch:
            session.info[BATCH_KEY] = FactBatch()
            await session.run_sync(write, batch)


def _write_on_commit(sync_session: Session) -> None:
    batch = sync_session.info.get(BATCH_KEY)
    if batch:
        sync_session.info[BATCH_KEY] = FactBatch()
        write(sync_session, batch)


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), CHUNK_ROWS):
        yield rows[i:i + CHUNK_ROWS]


def write(session: Session, batch: FactBatch) -> None:
    """Write ``batch`` in one statement per table; the AR rollups take each movement exactly once."""
    invoice_ids = sorted({row["invoice_id"] for row in (*batch.invoices, *batch.movements)})
    if invoice_ids:
        session.execute(text(
            "SELECT count(pg_advisory_xact_lock(:cls, k)) FROM (SELECT DISTINCT hashtext(CAST(x AS text)) AS k "
            "FROM unnest(CAST(:ids AS uuid[])) AS x ORDER BY k) AS keys"), {"cls": ADVISORY_CLASS, "ids": invoice_ids})
    for rows in _chunks(batch.invoices):
        session.execute(insert(ArInvoice).values(list(rows)).on_conflict_do_nothing())
    for rows in _chunks(batch.movements):
        session.execute(insert(ReceivableMovement).values(list(rows)).on_conflict_do_nothing())
    if invoice_ids:
        session.execute(text(ROLL_UP), {"ids": invoice_ids})
    counts = [
        {"metric": k[0], "legal_entity": k[1], "currency": k[2], "customer_id": k[3], "owning_team": k[4],
         "day": k[5], "dimension": k[6], "count": v[0], "value": v[1]}
        for k, v in sorted(batch.counts.items())
    ]
    for rows in _chunks(counts):
        stmt = insert(DailyCount).values(list(rows))
        session.execute(stmt.on_conflict_do_update(
            index_elements=[c.name for c in DailyCount.__table__.primary_key],
            set_={"count": DailyCount.count + stmt.excluded["count"],
                  "value": DailyCount.value + stmt.excluded["value"]}))
    for rows in _chunks(batch.open_items):
        session.execute(insert(OpenItemMovement).values(list(rows)).on_conflict_do_nothing())
    milestones = [batch.milestones[k] for k in sorted(batch.milestones)]
    for rows in _chunks(milestones):
        stmt = insert(InvoiceMilestone).values(list(rows))
        session.execute(stmt.on_conflict_do_update(
            index_elements=["invoice_id"],
            set_={name: func.least(getattr(InvoiceMilestone, name), stmt.excluded[name]) for name in MILESTONES}))


# Movements whose invoice is known and that no rollup holds yet: mark them and add them to both rollups.
ROLL_UP = """
WITH r AS (
    UPDATE receivable_movements AS m SET resolved = true
    FROM kpi_ar_invoices AS i
    WHERE m.invoice_id = i.invoice_id AND NOT m.resolved AND m.invoice_id = ANY(CAST(:ids AS uuid[]))
    RETURNING i.legal_entity, i.currency, i.customer_id, i.owning_team, m.effective_date AS day, i.due_date,
              m.kind, m.amount
), totals AS (
    INSERT INTO kpi_ar_daily_total AS t (legal_entity, currency, owning_team, day, kind, amount, due_weight)
    SELECT legal_entity, currency, owning_team, day, kind, sum(amount),
           sum(amount * (due_date - DATE '2000-01-01')) FROM r
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (legal_entity, currency, owning_team, day, kind)
    DO UPDATE SET amount = t.amount + excluded.amount, due_weight = t.due_weight + excluded.due_weight
    RETURNING 1
), by_team AS (
    INSERT INTO kpi_ar_daily AS d (legal_entity, currency, owning_team, day, due_date, kind, amount)
    SELECT legal_entity, currency, owning_team, day, due_date, kind, sum(amount) FROM r
    GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (legal_entity, currency, owning_team, day, due_date, kind)
    DO UPDATE SET amount = d.amount + excluded.amount
    RETURNING 1
)
INSERT INTO kpi_ar_daily_customer AS c (legal_entity, currency, customer_id, owning_team, day, due_date, kind, amount)
SELECT legal_entity, currency, customer_id, owning_team, day, due_date, kind, sum(amount) FROM r
GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
ON CONFLICT (legal_entity, currency, customer_id, owning_team, day, due_date, kind)
DO UPDATE SET amount = c.amount + excluded.amount
"""
