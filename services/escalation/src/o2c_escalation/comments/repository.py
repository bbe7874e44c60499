from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_escalation.comments.models import Comment


async def add(session: AsyncSession, comment: Comment) -> Comment:
    session.add(comment)
    await session.flush()
    await session.refresh(comment, ["created_at"])
    return comment


def of_case(case_id: uuid.UUID) -> Select[Comment]:
    return select(Comment).where(Comment.case_id == case_id)
