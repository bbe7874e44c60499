from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from o2c_collections.permissions import ArReader, Reconciler
from o2c_collections.receivables import service
from o2c_collections.receivables.schemas import (
    Balance,
    LedgerEntryRead,
    OpenAmountList,
    OpenAmountLookup,
    OpenAmountPage,
    OpenItemRead,
)
from o2c_common.auth import visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import TxDep

router = APIRouter(prefix="/receivables", tags=["receivables"])
balances_router = APIRouter(prefix="/balances", tags=["receivables"])


@router.get("", response_model=Page[OpenItemRead], responses=problem_responses(401, 403, 422))
async def list_receivables(tx: TxDep, _principal: ArReader, page: PageParams,
                           customer_id: str | None = None) -> Page[OpenItemRead]:
    """Open items by due date; vendor agents see only their team's accounts."""
    return await service.list_page(tx, page=page, customer_id=customer_id, team=visible_team(tx.actor))


@router.get("/open-amounts", response_model=OpenAmountPage, responses=problem_responses(401, 403, 422))
async def open_amounts(tx: TxDep, _principal: Reconciler, after: uuid.UUID | None = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> OpenAmountPage:
    """Every invoice's receivable as the ledger has it, ascending by invoice id (keyset: pass the last page's
    `next_after` as `after`): open, original, cash applied, credited and written-off amounts as decimal strings,
    and `entries`, the last `receivable.changed` sequence. Integration or AR supervisor (the reconciliation)."""
    return await service.open_amounts(tx, after=after, limit=limit)


@router.post("/open-amounts/lookup", response_model=OpenAmountList, responses=problem_responses(401, 403, 422))
async def look_up_open_amounts(body: OpenAmountLookup, tx: TxDep, _principal: Reconciler) -> OpenAmountList:
    """The receivables of up to 1,000 invoices as the ledger has them (what `GET /receivables/open-amounts` gives of
    each), ascending by invoice id; an invoice collections has not opened is left out. For an importer waiting for
    its invoices' receivables without reading the whole ledger again. Integration or AR supervisor."""
    return await service.open_amounts_of(tx, invoice_ids=body.invoice_ids)


@router.get("/{invoice_id}", response_model=OpenItemRead, responses=problem_responses(401, 403, 404))
async def get_receivable(invoice_id: uuid.UUID, tx: TxDep, _principal: ArReader) -> OpenItemRead:
    """The open item of an issued invoice (opened when `invoice.issued` arrives)."""
    return OpenItemRead.model_validate(await service.get(tx, invoice_id=invoice_id))


@router.get("/{invoice_id}/ledger", response_model=list[LedgerEntryRead], responses=problem_responses(401, 403, 404))
async def receivable_ledger(invoice_id: uuid.UUID, tx: TxDep, _principal: ArReader) -> list[LedgerEntryRead]:
    """Every movement of the invoice's receivable, oldest first."""
    return await service.movements(tx, invoice_id=invoice_id)


@balances_router.get("", response_model=Page[Balance], responses=problem_responses(401, 403, 422))
async def balances(tx: TxDep, _principal: ArReader, page: PageParams, as_of: date | None = None,
                   by: Literal["invoice", "customer", "entity", "currency", "team"] = "customer",
                   customer_id: str | None = None) -> Page[Balance]:
    """Open AR as of a date (default: today, UTC) per invoice, customer, entity, currency or team (from the kept
    movements), by key and currency, a page at a time (`limit`, `next_cursor`)."""
    return await service.balances(tx, by=by, as_of=as_of or tx.now().date(), team=visible_team(tx.actor),
                                  customer_id=customer_id, page=page)
