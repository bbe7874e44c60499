"""Every query of the reconciliation: the drift rows, the runs, and kpi's own open amount per invoice (the third
stream, read through ``ar.repository``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest
from o2c_kpi.ar.repository import open_by_invoice
from o2c_kpi.reconciliation.compare import Row
from o2c_kpi.reconciliation.models import ReconDrift, ReconRun

RUN_LOCK = 0x4B50_5243  # one run at a time across replicas ("KPRC")


async def lock_runs(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK})


async def kpi_rows(session: AsyncSession, *, size: int) -> AsyncIterator[Row]:
    """kpi's AR per invoice (``ar.repository.open_by_invoice``), page by page, as the third stream."""
    after: uuid.UUID | None = None
    while True:
        rows = await open_by_invoice(session, after=after, limit=size)
        for r in rows:
            yield Row(invoice_id=r.invoice_id, currency=r.currency, open=r.open_amount)
        if len(rows) < size:
            return
        after = rows[-1].invoice_id


async def open_drifts(session: AsyncSession) -> dict[uuid.UUID, ReconDrift]:
    rows = await session.scalars(select(ReconDrift).where(ReconDrift.cleared_at.is_(None)).with_for_update())
    return {row.invoice_id: row for row in rows}


async def drift(session: AsyncSession, invoice_id: uuid.UUID) -> ReconDrift | None:
    return await session.get(ReconDrift, invoice_id, with_for_update=True)


async def add(session: AsyncSession, row: ReconDrift | ReconRun) -> None:
    session.add(row)
    await session.flush()


async def latest_run(session: AsyncSession) -> ReconRun | None:
    stmt = select(ReconRun).order_by(ReconRun.started_at.desc(), ReconRun.id.desc()).limit(1)
    return (await session.scalars(stmt)).first()


def open_drifts_query(*, currency: str | None, team: str | None) -> Select[Any]:
    return where_equal(select(ReconDrift).where(ReconDrift.cleared_at.is_(None)),
                       {ReconDrift.currency: currency, ReconDrift.owning_team: team})


async def drift_page(session: AsyncSession, *, page: PageRequest, currency: str | None, team: str | None,
                     item: Any) -> Page[Any]:
    return await keyset_page(session, open_drifts_query(currency=currency, team=team), page=page,
                             order_by=(ReconDrift.invoice_id,), item=item)
