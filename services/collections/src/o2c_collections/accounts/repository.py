from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts.models import Account


async def get(session: AsyncSession, *, customer_id: str, for_update: bool = False) -> Account | None:
    stmt = select(Account).where(Account.customer_id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def add(session: AsyncSession, account: Account) -> Account:
    session.add(account)
    await session.flush()
    return account


async def group_members(session: AsyncSession, *, customer_id: str) -> list[str]:
    """The other customers of ``customer_id``'s group: its parent, its children and its siblings."""
    return await group_of(session, customer_id=customer_id, account=await get(session, customer_id=customer_id))


async def group_of(session: AsyncSession, *, customer_id: str, account: Account | None) -> list[str]:
    """:func:`group_members` with the customer's account (or None: it has none) already read."""
    root = account.parent_customer_id if account and account.parent_customer_id else customer_id
    stmt = select(Account.customer_id).where(or_(Account.customer_id == root, Account.parent_customer_id == root))
    members = set((await session.scalars(stmt)).all()) | {root}
    members.discard(customer_id)
    return sorted(members)
