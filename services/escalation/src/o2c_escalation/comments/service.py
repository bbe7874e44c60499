from __future__ import annotations

import uuid

from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_escalation.cases.service import get
from o2c_escalation.comments import repository
from o2c_escalation.comments.models import Comment
from o2c_escalation.comments.schemas import CommentCreate, CommentRead


async def add(tx: Tx, *, case_id: uuid.UUID, data: CommentCreate) -> Comment:
    """Anyone who may see the case may comment on it (the requester answers this way too)."""
    case = await get(tx, case_id=case_id)
    comment = await repository.add(tx.session, Comment(id=uuid.uuid4(), case_id=case.id, author=tx.actor.subject,
                                                       body=data.body))
    await tx.audit("case.commented", entity_type="case", entity_id=case.id, after={"comment_id": comment.id})
    return comment


async def list_page(tx: Tx, *, case_id: uuid.UUID, page: PageRequest) -> Page[CommentRead]:
    case = await get(tx, case_id=case_id)
    return await repository.page_of_case(tx.session, case_id=case.id, page=page)
