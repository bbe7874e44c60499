from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from o2c_common.audit import record_audit
from o2c_common.auth import Principal, ensure_team_access
from o2c_common.errors import NotFound
from o2c_common.http import Page, PageRequest, build_page, keyset_select, make_etag
from o2c_invoicing.deps import Precondition
from o2c_invoicing.profiles import repository
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.profiles.schemas import ProfileRead, ProfileWrite


def etag(profile: BillingProfile) -> str:
    return make_etag(entity_id=profile.customer_id, version=profile.version)


async def put(session: AsyncSession, *, customer_id: str, data: ProfileWrite, principal: Principal,
              precondition: Precondition) -> tuple[BillingProfile, bool]:
    """Create the profile, or replace it (then If-Match is required). Returns (profile, created)."""
    ensure_team_access(principal, owning_team=data.owning_team)
    values = data.model_dump(mode="json")
    profile = await repository.get(session, customer_id=customer_id, for_update=True)
    if profile is None:
        profile = await repository.add(session, BillingProfile(customer_id=customer_id, updated_by=principal.subject,
                                                               **values))
        await record_audit(session, actor=principal, action="billing_profile.created", entity_type="billing_profile",
                           entity_id=customer_id, after=values)
        return profile, True
    ensure_team_access(principal, owning_team=profile.owning_team)
    precondition(etag(profile))
    before = ProfileWrite.model_validate(profile, from_attributes=True).model_dump(mode="json")
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_by = principal.subject
    await session.flush()
    await session.refresh(profile)
    await record_audit(session, actor=principal, action="billing_profile.updated", entity_type="billing_profile",
                       entity_id=customer_id, before=before, after=values)
    return profile, False


async def get(session: AsyncSession, *, customer_id: str, principal: Principal) -> BillingProfile:
    profile = await repository.get(session, customer_id=customer_id)
    if profile is None:
        raise NotFound(f"customer {customer_id} has no billing profile", type="billing-profile-not-found",
                       title="Billing profile not found")
    ensure_team_access(principal, owning_team=profile.owning_team)
    return profile


async def list_page(session: AsyncSession, *, page: PageRequest, team: str | None) -> Page[ProfileRead]:
    stmt = keyset_select(repository.list_query(team=team), page=page, order_by=(BillingProfile.customer_id,))
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page=page, key=lambda p: (p.customer_id,), item=ProfileRead.model_validate)
