"""The settlement of every issued invoice as invoicing mirrors it, for the cross-service reconciliation (kpi
compares it per invoice with collections' ledger and its own AR)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from o2c_common.errors import problem_responses
from o2c_common.money import round_money
from o2c_common.uow import TxDep
from o2c_invoicing.permissions import Reconciler
from o2c_invoicing.settlements import repository
from o2c_invoicing.settlements.schemas import SettlementPage, SettlementRead

router = APIRouter(prefix="/settlements", tags=["settlements"])

MONEY = ("total_amount", "cash_applied_amount", "credited_amount", "ledger_credited_amount", "written_off_amount")


@router.get("", response_model=SettlementPage, responses=problem_responses(401, 403, 422))
async def settlements(tx: TxDep, principal: Reconciler, after: uuid.UUID | None = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> SettlementPage:
    """Every issued invoice's settlement as mirrored from the AR ledger, ascending by invoice id (keyset: pass
    the last page's `next_after` as `after`). Amounts are decimal strings in the currency's minor units;
    `ledger_open_amount` is null until the first ledger entry is mirrored. Integration or AR supervisor."""
    rows = await repository.page(tx.session, after=after, limit=limit + 1)
    items = []
    for row in rows[:limit]:
        values = dict(row._mapping)
        for name in MONEY:
            values[name] = round_money(values[name], row.currency)
        if values["ledger_open_amount"] is not None:
            values["ledger_open_amount"] = round_money(values["ledger_open_amount"], row.currency)
        items.append(SettlementRead.model_validate(values))
    return SettlementPage(items=items, next_after=items[-1].invoice_id if len(rows) > limit else None)
