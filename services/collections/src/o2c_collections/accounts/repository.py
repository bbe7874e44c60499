from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from o2c_collections.accounts.models import Account


async def get(session: AsyncSession, *, customer_id: str, for_update: bool = False) -> Account | None:
    stmt = select(Account).where(Account.customer_id == customer_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def teams_of(session: AsyncSession, *, customer_ids: Sequence[str]) -> dict[str, str]:
    """The owning team of each of ``customer_ids`` whose account names one, in one statement."""
    if not customer_ids:
        return {}
    stmt = select(Account.customer_id, Account.owning_team).where(
        Account.customer_id.in_(sorted(set(customer_ids))), Account.owning_team.is_not(None))
    return {customer: team for customer, team in (await session.execute(stmt)).all() if team is not None}


async def lock_or_create(session: AsyncSession, *, customer_id: str) -> Account:
    """The account locked ``FOR UPDATE``; a customer known only from its invoices gets its row (version 0)."""
    await session.execute(insert(Account).values(customer_id=customer_id, version=0)
                          .on_conflict_do_nothing(index_elements=["customer_id"]))
    found = await get(session, customer_id=customer_id, for_update=True)
    assert found is not None
    return found


async def add(session: AsyncSession, account: Account) -> Account:
    session.add(account)
    await session.flush()
    return account


async def group_members(session: AsyncSession, *, customer_id: str) -> list[str]:
    """The other customers of ``customer_id``'s group: its parent, its children and its siblings."""
    return (await with_group(session, customer_id=customer_id))[1]


async def with_group(session: AsyncSession, *, customer_id: str) -> tuple[Account | None, list[str]]:
    """The customer's account (None: it has none) and :func:`group_members`, in one statement: the accounts that
    are the customer, its children, its parent or the parent's children; the group is picked from them here."""
    parent = select(Account.parent_customer_id).where(Account.customer_id == customer_id).scalar_subquery()
    stmt = select(Account).where(or_(Account.customer_id == customer_id, Account.parent_customer_id == customer_id,
                                     Account.customer_id == parent, Account.parent_customer_id == parent))
    rows = (await session.scalars(stmt)).all()
    account = next((a for a in rows if a.customer_id == customer_id), None)
    root = account.parent_customer_id if account and account.parent_customer_id else customer_id
    members = {a.customer_id for a in rows if root in (a.customer_id, a.parent_customer_id)} | {root}
    members.discard(customer_id)
    return account, sorted(members)


async def groups_of(session: AsyncSession, *, customer_ids: Sequence[str]) -> list[Account]:
    """Every account :func:`with_group` would read for any of ``customer_ids``, in two statements for all of them:
    the customers and their children, then their parents and the parents' children."""
    if not customer_ids:
        return []
    ids = list(customer_ids)
    first = list((await session.scalars(select(Account).where(or_(
        Account.customer_id.in_(ids), Account.parent_customer_id.in_(ids))))).all())
    parents = sorted({a.parent_customer_id for a in first if a.parent_customer_id and a.customer_id in ids})
    if not parents:
        return first
    second = (await session.scalars(select(Account).where(or_(
        Account.customer_id.in_(parents), Account.parent_customer_id.in_(parents))))).all()
    return list({a.customer_id: a for a in [*first, *second]}.values())
