from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.cashapp.models import Payment
from o2c_collections.cashapp.schemas import PaymentRead
from o2c_collections.pages import newest_first
from o2c_collections.payments.models import ImportStatus, PaymentImport, PaymentImportLine
from o2c_common.db import bulk
from o2c_common.entities import keyset_page, where_equal
from o2c_common.errors.database import constraint_of
from o2c_common.http import Page, PageRequest

DEDUPE_KEY = "uq_payments_dedupe_key"


async def insert_payment(session: AsyncSession, values: dict[str, Any]) -> Payment | None:
    """The new payment, or None when its dedupe key (bank reference or line fingerprint) was booked before."""
    stmt = insert(Payment).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Payment)
    return (await session.scalars(stmt)).one_or_none()  # the ORM object from RETURNING: no second read


async def add_all(session: AsyncSession, rows: Sequence[object]) -> None:
    session.add_all(rows)
    await session.flush()


async def by_dedupe_key(session: AsyncSession, *, key: str, for_update: bool = False) -> Payment | None:
    stmt = select(Payment).where(Payment.dedupe_key == key)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).one_or_none()


async def import_by_hash(session: AsyncSession, *, sha256: str) -> PaymentImport | None:
    return (await session.scalars(select(PaymentImport).where(PaymentImport.content_sha256 == sha256))).one_or_none()


async def get_import(session: AsyncSession, *, import_id: uuid.UUID) -> PaymentImport | None:
    return await session.get(PaymentImport, import_id)


async def insert_import_lines(session: AsyncSession, rows: list[dict[str, Any]], *, per_statement: int = 5_000) -> None:
    for start in range(0, len(rows), per_statement):
        await bulk.insert_rows(session, cast(Table, PaymentImportLine.__table__), rows[start:start + per_statement])


async def claim_import(session: AsyncSession, *, import_id: uuid.UUID | None = None) -> PaymentImport | None:
    """The oldest import with lines left (or ``import_id``), locked; one another replica holds is skipped."""
    stmt = select(PaymentImport).where(PaymentImport.status.in_((ImportStatus.QUEUED, ImportStatus.PROCESSING)))
    if import_id is not None:
        stmt = stmt.where(PaymentImport.id == import_id)
    stmt = stmt.order_by(PaymentImport.created_at, PaymentImport.id).limit(1).with_for_update(skip_locked=True)
    return (await session.scalars(stmt)).one_or_none()


async def import_lines(session: AsyncSession, *, import_id: uuid.UUID, start: int,
                       limit: int) -> list[PaymentImportLine]:
    stmt = (select(PaymentImportLine).where(PaymentImportLine.import_id == import_id,
                                            PaymentImportLine.position >= start)
            .order_by(PaymentImportLine.position).limit(limit))
    return list((await session.scalars(stmt)).all())


async def delete_import_lines(session: AsyncSession, *, import_id: uuid.UUID) -> None:
    await session.execute(delete(PaymentImportLine).where(PaymentImportLine.import_id == import_id))


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None, status: str | None,
                    customer_id: str | None) -> Page[PaymentRead]:
    return await newest_first(session, Payment, page=page, at=Payment.received_at, item=PaymentRead.model_validate,
                              filters={Payment.owning_team: team, Payment.status: status,
                                       Payment.customer_id: customer_id})


async def unapplied_page(session: AsyncSession, *, page: PageRequest, team: str | None,
                         customer_id: str | None) -> Page[PaymentRead]:
    """Payments with cash left to apply (unapplied, and the remainders of partly applied ones: over-payments), oldest
    value date first."""
    stmt = where_equal(select(Payment).where(Payment.unapplied_amount > 0),
                       {Payment.owning_team: team, Payment.customer_id: customer_id})
    return await keyset_page(session, stmt, page=page, order_by=(Payment.value_date, Payment.id),
                             item=PaymentRead.model_validate)


async def booked_keys(session: AsyncSession, *, keys: Sequence[str]) -> dict[str, tuple[uuid.UUID, str | None]]:
    """Which of ``keys`` were booked before, with their payment's id and owning team (one statement a chunk)."""
    if not keys:
        return {}
    stmt = select(Payment.dedupe_key, Payment.id, Payment.owning_team).where(Payment.dedupe_key.in_(list(keys)))
    return {key: (payment_id, team) for key, payment_id, team in (await session.execute(stmt)).all()}


async def insert_payments(session: AsyncSession, rows: list[dict[str, Any]]) -> bool:
    """The payments in one copy; False when another writer booked one of their dedupe keys meanwhile (nothing
    written: the transaction is to be rolled back)."""
    try:
        await bulk.insert_rows(session, cast(Table, Payment.__table__), rows)
    except IntegrityError as exc:
        if constraint_of(exc) == DEDUPE_KEY:
            return False
        raise
    return True


async def insert_rows(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Rows of ``model``'s table in one statement."""
    await bulk.insert_rows(session, cast(Table, model.__table__), rows)
