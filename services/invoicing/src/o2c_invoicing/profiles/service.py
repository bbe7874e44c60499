"""Billing profiles: how each customer is billed, created or replaced by its team."""

from __future__ import annotations

from o2c_common.auth import ensure_team_access, visible_team
from o2c_common.errors import NotFound
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_invoicing.profiles import repository
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.profiles.schemas import ProfileRead, ProfileWrite


async def lock(tx: Tx, customer_id: str, data: ProfileWrite) -> BillingProfile | None:
    """The profile to replace, locked (403 when the caller may not write ``data``'s team or the stored
    profile's), or None when there is none yet. The router checks If-Match on a stored one."""
    ensure_team_access(tx.actor, owning_team=data.owning_team)
    profile = await repository.get(tx.session, customer_id=customer_id, for_update=True)
    if profile is not None:
        ensure_team_access(tx.actor, owning_team=profile.owning_team)
    return profile


async def put(tx: Tx, customer_id: str, data: ProfileWrite, *, stored: BillingProfile | None) -> BillingProfile:
    """Create the profile (``stored`` None) or replace the locked ``stored`` one."""
    values = data.model_dump(mode="json")
    if stored is None:
        profile = await repository.add(tx.session, BillingProfile(customer_id=customer_id,
                                                                  updated_by=tx.actor.subject, **values))
        await tx.audit("billing_profile.created", entity_type="billing_profile", entity_id=customer_id,
                       after=values)
        return profile
    before = ProfileWrite.model_validate(stored, from_attributes=True).model_dump(mode="json")
    for name, value in values.items():
        setattr(stored, name, value)
    stored.updated_by = tx.actor.subject
    await repository.save(tx.session, stored)
    await tx.audit("billing_profile.updated", entity_type="billing_profile", entity_id=customer_id, before=before,
                   after=values)
    return stored


async def get(tx: Tx, customer_id: str) -> BillingProfile:
    profile = await repository.get(tx.session, customer_id=customer_id)
    if profile is None:
        raise NotFound(f"customer {customer_id} has no billing profile", type="billing-profile-not-found",
                       title="Billing profile not found")
    ensure_team_access(tx.actor, owning_team=profile.owning_team)
    return profile


async def list_page(tx: Tx, *, page: PageRequest) -> Page[ProfileRead]:
    """By customer id; vendor agents see only their team's customers."""
    return await repository.list_page(tx.session, page=page, team=visible_team(tx.actor))
