from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.entities import keyset_page
from o2c_common.http import Page, PageRequest
from o2c_escalation.comments.models import Comment
from o2c_escalation.comments.schemas import CommentRead


async def add(session: AsyncSession, comment: Comment) -> Comment:
    session.add(comment)
    await session.flush()
    await session.refresh(comment, ["created_at"])
    return comment


async def page_of_case(session: AsyncSession, *, case_id: uuid.UUID, page: PageRequest) -> Page[CommentRead]:
    """The case's comments, oldest first."""
    return await keyset_page(session, select(Comment).where(Comment.case_id == case_id), page=page,
                             order_by=(Comment.created_at, Comment.id), item=CommentRead.model_validate)
