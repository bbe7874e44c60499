from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CTE, Select, Table, Text, bindparam, case, func, insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from o2c_common.db.bulk import insert_rows, update_rows
from o2c_common.entities import keyset_page, where_equal
from o2c_common.http import Page, PageRequest
from o2c_common.outbox.writer import Fill
from o2c_invoicing.invoices.draft_statement import draft_parameters, draft_statement
from o2c_invoicing.invoices.models import (
    Invoice,
    InvoiceAttachment,
    InvoiceNumberSequence,
    InvoiceStatusChange,
    SubmissionFailure,
)
from o2c_invoicing.invoices.schemas import InvoiceRead
from o2c_invoicing.invoices.states import InvoiceStatus
from o2c_invoicing.profiles.models import BillingProfile


async def next_number(session: AsyncSession, *, series: str, year: int) -> int:
    """Gapless: the counter row is locked until the caller's transaction ends, so numbers are taken in turn
    and a rolled-back transaction gives its number back."""
    return int((await session.execute(_next_number_statement(), {"series": series, "year": year})).scalar_one())


@lru_cache(maxsize=1)
def _next_number_statement() -> Any:
    """Built once, values bound at execution: building it for every issue was a fifth of the issue's own CPU."""
    table = cast(Table, InvoiceNumberSequence.__table__)  # Core, not the ORM entity: no per-call ORM DML handling
    return _counted(pg_insert(table).values(legal_entity=bindparam("series"), year=bindparam("year"), last_number=1),
                    table).returning(table.c.last_number)


def _counted(first: Any, sequences: Table) -> Any:
    """``first``, the insert of a series' first number, taking the series' next number instead where its counter row
    exists: the row stays locked until the transaction ends."""
    return first.on_conflict_do_update(index_elements=[sequences.c.legal_entity, sequences.c.year],
                                       set_={"last_number": sequences.c.last_number + 1})


def invoice_number_fill(*, invoice_id: uuid.UUID, version: int, series: str, year: int,
                        changes: Mapping[str, Any] | None = None) -> Fill:
    """The live series' next number written on the invoice, with ``changes`` to its row and its version bumped, by
    the statement that records the issue (``tx.audit_and_emit_filled``): gapless like :func:`next_number` (the
    counter row stays locked until the transaction ends), and taken by the issue's last statement, so the lock is
    held by that statement and the commit only. Guarded: only while the invoice is still approved at ``version``
    in ``series`` (locked by the statement); otherwise no number is taken and the statement writes nothing. The
    fill's row: ``value`` (the number), ``last_number`` (its sequence) and the invoice's new ``version``."""
    changes = changes or {}
    return Fill(_invoice_number_cte(tuple(sorted(changes))),
                _number_params(invoice_id, version, series, year) | {f"set_{c}": v for c, v in changes.items()})


async def number_invoice(session: AsyncSession, *, invoice_id: uuid.UUID, version: int, series: str,
                         year: int) -> tuple[int, str, int]:
    """:func:`invoice_number_fill`'s number taken by a statement of its own; returns the sequence, the number and
    the invoice's new version."""
    row = (await session.execute(_number_invoice_statement(), _number_params(invoice_id, version, series, year))).one()
    return int(row.last_number), str(row.value), int(row.version)


def _number_params(invoice_id: uuid.UUID, version: int, series: str, year: int) -> dict[str, Any]:
    return {"series": series, "year": year, "number_invoice_id": invoice_id, "number_version": version,
            "number_prefix": f"{series}-{year}-"}


@lru_cache(maxsize=8)
def _invoice_number_cte(columns: tuple[str, ...] = ()) -> CTE:
    """``numbering.live_number`` in SQL (six digits at least; the caller checks the two agree), taken only for the
    invoice still approved at the given version: the guard locks its row first, and a counter row is written only
    through it."""
    invoices = cast(Table, Invoice.__table__)
    sequences = cast(Table, InvoiceNumberSequence.__table__)
    issuable = (select(invoices.c.legal_entity)
                .where(invoices.c.id == bindparam("number_invoice_id"),
                       invoices.c.legal_entity == bindparam("series"),
                       invoices.c.version == bindparam("number_version"),
                       invoices.c.status == literal_column(f"'{InvoiceStatus.APPROVED.value}'"))
                .with_for_update().cte("issuable"))
    first = pg_insert(sequences).from_select(["legal_entity", "year", "last_number"], select(
        issuable.c.legal_entity, bindparam("year", type_=sequences.c.year.type), literal_column("1")))
    taken = _counted(first, sequences).returning(sequences.c.legal_entity, sequences.c.last_number).cte("number_taken")
    digits = taken.c.last_number.cast(Text)
    six_digits = func.lpad(digits, literal_column("6"), literal_column("'0'"))
    number = bindparam("number_prefix", type_=Text) + case(
        (taken.c.last_number < literal_column("1000000"), six_digits), else_=digits)
    changes = {c: bindparam(f"set_{c}", type_=invoices.c[c].type) for c in columns}
    return (update(invoices).where(invoices.c.id == bindparam("number_invoice_id"),
                                   invoices.c.legal_entity == taken.c.legal_entity)
            .values(number=number, version=invoices.c.version + 1, **changes)
            .returning(invoices.c.number.label("value"), taken.c.last_number, invoices.c.version)
            .cte("numbered"))


@lru_cache(maxsize=1)
def _number_invoice_statement() -> Any:
    numbered = _invoice_number_cte()
    return select(numbered.c.value, numbered.c.last_number, numbered.c.version)


async def insert_draft(session: AsyncSession, *, invoice: dict[str, Any], lines: list[dict[str, Any]],
                       history: dict[str, Any], audit: dict[str, Any], team_from_profile: bool) -> str | None:
    """The invoice, its lines, its first status row and its audit entry in ONE statement (see
    draft_statement). With ``team_from_profile`` the owning team is the customer's billing profile's when there
    is one, else the invoice's own, resolved in the same statement. Returns the owning team stored."""
    stmt = draft_statement(tuple(invoice), tuple(lines[0]), tuple(history), tuple(audit), team_from_profile)
    params = draft_parameters(invoice=invoice, lines=lines, history=history, audit=audit)
    team: str | None = (await session.execute(stmt, params)).scalar_one()
    return team


async def add(session: AsyncSession, invoice: Invoice) -> Invoice:
    session.add(invoice)
    await session.flush()
    return invoice


HISTORY = cast(Table, InvoiceStatusChange.__table__)
_ADD_HISTORY = insert(HISTORY)  # built once, values bound at execution


async def add_history(session: AsyncSession, **values: Any) -> None:
    """One status row, inserted on the Core table (the ORM's bulk-insert bookkeeping is not needed here); the
    statement is built once and the values bound at execution (no per-call coercion and cache key)."""
    await session.execute(_ADD_HISTORY, values)


async def add_histories(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Many status rows (:func:`add_history`'s values each, the same keys in each) by one COPY."""
    await insert_rows(session, HISTORY, rows)


_TABLE = cast(Table, Invoice.__table__)
SETTLEMENT_READ = ("id", "status", "ledger_sequence", "settlement_status", "legal_entity", "customer_id",
                   "owning_team", "currency", "total_amount", "version")
SETTLEMENT_WRITTEN = ("ledger_sequence", "ledger_open_amount", "paid_amount", "ledger_credited_amount",
                      "written_off_amount", "ledger_updated_at", "settlement_status", "settled_on")
_LOCK_SETTLEMENTS = (select(*(_TABLE.c[name] for name in SETTLEMENT_READ))
                     .where(_TABLE.c.id == func.any(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))))
                     .order_by(_TABLE.c.id).with_for_update())


async def lock_settlements(session: AsyncSession, *, invoice_ids: Sequence[uuid.UUID]) -> list[Any]:
    """The settlement figures (:data:`SETTLEMENT_READ`) of the stored ones of ``invoice_ids``, locked in id order
    (two transactions never deadlock on them), in one statement."""
    if not invoice_ids:
        return []
    return list((await session.execute(_LOCK_SETTLEMENTS, {"ids": sorted(set(invoice_ids))})).all())


async def write_settlements(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Each invoice's new settlement figures (``id``, the columns of :data:`SETTLEMENT_WRITTEN` and ``version``: the
    locked one plus one, as an ORM flush would bump it; one row per invoice) in one statement."""
    await update_rows(session, _TABLE, rows, key="id")


@lru_cache(maxsize=2)
def _get_statement(for_update: bool) -> Select[Invoice]:
    """Built once (every transition loads its invoice: rebuilding the loader options and their cache key per
    request cost more CPU than the queries)."""
    stmt = select(Invoice).where(Invoice.id == bindparam("invoice_id")).options(
        joinedload(Invoice.lines), joinedload(Invoice.approvals))  # one query: an invoice has few of each
    if for_update:
        stmt = stmt.with_for_update(of=Invoice).execution_options(populate_existing=True)
    return stmt


@lru_cache(maxsize=2)
def _with_profile_statement(lock: bool) -> Select[Invoice, BillingProfile]:
    """The invoice (locked with ``lock``), its lines and approvals, and its customer's billing profile (not locked):
    every rule a transition checks in one round trip. Built once, like :func:`_get_statement`."""
    stmt = (select(Invoice, BillingProfile)
            .outerjoin(BillingProfile, BillingProfile.customer_id == Invoice.customer_id)
            .where(Invoice.id == bindparam("invoice_id"))
            .options(joinedload(Invoice.lines), joinedload(Invoice.approvals)))
    return stmt.with_for_update(of=Invoice).execution_options(populate_existing=True) if lock else stmt


async def with_profile(session: AsyncSession, *, invoice_id: uuid.UUID,
                       lock: bool = False) -> tuple[Invoice, BillingProfile | None] | None:
    """The invoice (``FOR UPDATE`` with ``lock``) and its customer's billing profile (None without one); None without
    the invoice."""
    row = (await session.execute(_with_profile_statement(lock), {"invoice_id": invoice_id})).unique().one_or_none()
    return None if row is None else (row[0], row[1])


async def get(session: AsyncSession, *, invoice_id: uuid.UUID, for_update: bool = False) -> Invoice | None:
    result = await session.execute(_get_statement(for_update), {"invoice_id": invoice_id})
    return result.unique().scalar_one_or_none()


async def history(session: AsyncSession, *, invoice_id: uuid.UUID) -> list[InvoiceStatusChange]:
    stmt = select(InvoiceStatusChange).where(InvoiceStatusChange.invoice_id == invoice_id)\
        .order_by(InvoiceStatusChange.id)
    return list((await session.scalars(stmt)).all())


async def number_taken(session: AsyncSession, *, legal_entity: str, number: str) -> bool:
    stmt = select(Invoice.id).where(Invoice.legal_entity == legal_entity, Invoice.number == number)
    return (await session.execute(stmt)).first() is not None


async def same_id_or_number(session: AsyncSession, *, invoice_id: uuid.UUID | None, legal_entity: str,
                            number: str) -> list[tuple[uuid.UUID, str, str | None]]:
    """(id, legal entity, number) of the invoices holding this id or this entity's number (at most two)."""
    clause = (Invoice.legal_entity == legal_entity) & (Invoice.number == number)
    if invoice_id is not None:
        clause = clause | (Invoice.id == invoice_id)
    rows = await session.execute(select(Invoice.id, Invoice.legal_entity, Invoice.number).where(clause))
    return [(r[0], r[1], r[2]) for r in rows]


def list_query(*, customer_id: str | None, team: str | None, status: str | None = None,
               issued_from: date | None = None) -> Select[Invoice]:
    stmt = where_equal(select(Invoice).options(selectinload(Invoice.lines), selectinload(Invoice.approvals)),
                       {Invoice.customer_id: customer_id, Invoice.owning_team: team, Invoice.status: status})
    if issued_from is not None:
        stmt = stmt.where(Invoice.issue_date >= issued_from)
    return stmt


async def list_page(session: AsyncSession, *, page: PageRequest, customer_id: str | None, team: str | None,
                    status: str | None = None) -> Page[InvoiceRead]:
    """Newest first."""
    return await keyset_page(session, list_query(customer_id=customer_id, team=team, status=status), page=page,
                             order_by=(Invoice.created_at, Invoice.id), item=InvoiceRead.model_validate,
                             descending=True)


async def attachment_count(session: AsyncSession, *, invoice_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(InvoiceAttachment).where(InvoiceAttachment.invoice_id == invoice_id)
    return int((await session.execute(stmt)).scalar_one())


async def add_failure(session: AsyncSession, failure: SubmissionFailure) -> None:
    session.add(failure)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    """Writes pending changes of the invoice (bumps its version)."""
    await session.flush()
