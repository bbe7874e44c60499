from __future__ import annotations

import uuid

from fastapi import APIRouter

from o2c_collections.receivables import service
from o2c_collections.receivables.schemas import OpenItemRead
from o2c_common.auth import CurrentPrincipal, visible_team
from o2c_common.errors import problem_responses
from o2c_common.http import Page, PageParams
from o2c_common.uow import SessionDep

router = APIRouter(prefix="/receivables", tags=["receivables"])


@router.get("", response_model=Page[OpenItemRead], responses=problem_responses(401, 403, 422))
async def list_receivables(session: SessionDep, principal: CurrentPrincipal, page: PageParams,
                           customer_id: str | None = None) -> Page[OpenItemRead]:
    """Open items by due date; vendor agents see only their team's accounts."""
    return await service.list_page(session, page=page, customer_id=customer_id, team=visible_team(principal))


@router.get("/{invoice_id}", response_model=OpenItemRead, responses=problem_responses(401, 403, 404))
async def get_receivable(invoice_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> OpenItemRead:
    """The open item of an issued invoice (opened when `invoice.issued` arrives)."""
    return OpenItemRead.model_validate(await service.get(session, invoice_id=invoice_id, principal=principal))
