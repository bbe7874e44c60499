"""Queries of the link revocations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_kpi.signin.models import ReviewLinkRevocation


async def add(session: AsyncSession, values: dict[str, Any]) -> tuple[ReviewLinkRevocation, bool]:
    """The revocation of a link (True if new; a second revocation keeps the first), forgetting revocations of links
    that have expired since (they open nothing anyway)."""
    await session.execute(delete(ReviewLinkRevocation).where(ReviewLinkRevocation.expires_at <= values["revoked_at"]))
    inserted = await session.execute(insert(ReviewLinkRevocation).values(**values).on_conflict_do_nothing()
                                     .returning(ReviewLinkRevocation.signature_sha256))
    row = (await session.execute(select(ReviewLinkRevocation).where(
        ReviewLinkRevocation.signature_sha256 == values["signature_sha256"]))).scalar_one()
    return row, inserted.first() is not None


async def revoked_at(session: AsyncSession, signature_sha256: str) -> datetime | None:
    return (await session.execute(select(ReviewLinkRevocation.revoked_at).where(
        ReviewLinkRevocation.signature_sha256 == signature_sha256))).scalar_one_or_none()
