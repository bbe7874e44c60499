from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal
from o2c_common.http import Page, PageRequest, build_page, keyset_select
from o2c_escalation.cases.service import get
from o2c_escalation.comments import repository
from o2c_escalation.comments.models import Comment
from o2c_escalation.comments.schemas import CommentCreate, CommentRead


async def add(session: AsyncSession, *, case_id: uuid.UUID, data: CommentCreate, principal: Principal) -> Comment:
    """Anyone who may see the case may comment on it (the requester answers this way too)."""
    case = await get(session, case_id=case_id, principal=principal)
    comment = await repository.add(session, Comment(id=uuid.uuid4(), case_id=case.id, author=principal.subject,
                                                    body=data.body))
    await record_audit(session, actor=principal, action="case.commented", entity_type="case", entity_id=case.id,
                       after={"comment_id": comment.id})
    return comment


async def list_page(session: AsyncSession, *, case_id: uuid.UUID, principal: Principal,
                    page: PageRequest) -> Page[CommentRead]:
    case = await get(session, case_id=case_id, principal=principal)
    stmt = keyset_select(repository.of_case(case.id), page=page, order_by=(Comment.created_at, Comment.id))
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda c: (c.created_at, c.id), item=CommentRead.model_validate)
