from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from o2c_common.errors import problem_responses
from o2c_common.http import IdempotencyDep, Page, PageParams
from o2c_common.uow import TxDep
from o2c_escalation.comments import service
from o2c_escalation.comments.schemas import CommentCreate, CommentRead
from o2c_escalation.permissions import CaseParticipant

router = APIRouter(prefix="/cases/{case_id}/comments", tags=["comments"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CommentRead,
             responses=problem_responses(401, 404, 409, 422))
async def add_comment(case_id: uuid.UUID, data: CommentCreate, tx: TxDep, _principal: CaseParticipant,
                      idem: IdempotencyDep) -> Response:
    comment = await service.add(tx, case_id=case_id, data=data)
    return await idem.respond(tx.session, status_code=201, content=CommentRead.model_validate(comment))


@router.get("", response_model=Page[CommentRead], responses=problem_responses(401, 404, 422))
async def list_comments(case_id: uuid.UUID, tx: TxDep, _principal: CaseParticipant,
                        page: PageParams) -> Page[CommentRead]:
    """Comments oldest first."""
    return await service.list_page(tx, case_id=case_id, page=page)
