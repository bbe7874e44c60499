"""Billing profiles: how each customer is billed, created or replaced by its team."""

from __future__ import annotations

from o2c_common.auth import ensure_team_access, visible_team
from o2c_common.errors import Forbidden, NotFound, UnprocessableEntity
from o2c_common.http import Page, PageRequest
from o2c_common.tx import Tx
from o2c_invoicing.config import InvoicingSettings
from o2c_invoicing.profiles import repository
from o2c_invoicing.profiles.models import BillingProfile
from o2c_invoicing.profiles.schemas import ProfileRead, ProfileWrite


class PortalUrlNotAllowed(UnprocessableEntity):
    type = "portal-url-not-allowed"
    title = "Portal URL not allowed"


def check_portal_url(data: ProfileWrite, settings: InvoicingSettings) -> None:
    """A portal URL this service may not call (a host not in ``INVOICING_PORTAL_ALLOWED_HOSTS``, a non-public
    address of a host not listed as private) is refused before anything is stored (SSRF guard)."""
    why = None if data.portal_url is None else settings.portal_policy().url_refusal(data.portal_url)
    if why is not None:
        raise PortalUrlNotAllowed(f"portal_url {data.portal_url} may not be called: {why}",
                                  extensions={"errors": [{"pointer": "#/portal_url", "detail": why}]})


async def lock(tx: Tx, customer_id: str, data: ProfileWrite) -> BillingProfile | None:
    """The profile to replace, locked, or None when there is none yet; the router checks If-Match on a stored
    one. A team-scoped caller (vendor agent) may only replace its own team's profile, without changing the
    team, and may not create one: a customer belongs to a team when an AR supervisor assigns the account in
    collections' account master, never by a vendor claiming it."""
    profile = await repository.get(tx.session, customer_id=customer_id, for_update=True)
    if tx.actor.sees_all_teams:
        return profile
    if profile is None:
        raise Forbidden(f"customer {customer_id} belongs to no team yet: ask an AR supervisor to assign the account "
                        "in collections (account master)", type="team-access-denied", title="Team access denied")
    ensure_team_access(tx.actor, owning_team=profile.owning_team)
    if data.owning_team is not None and data.owning_team != profile.owning_team:
        raise Forbidden("the owning team is set by the account master in collections",
                        type="team-access-denied", title="Team access denied")
    return profile


async def put(tx: Tx, customer_id: str, data: ProfileWrite, *, stored: BillingProfile | None) -> BillingProfile:
    """Create the profile (``stored`` None) or replace the locked ``stored`` one."""
    values = data.model_dump(mode="json")
    if stored is not None and not tx.actor.sees_all_teams:
        values["owning_team"] = stored.owning_team
    if stored is None:
        profile = await repository.add(tx.session, BillingProfile(customer_id=customer_id,
                                                                  updated_by=tx.actor.subject, **values))
        await tx.audit("billing_profile.created", entity_type="billing_profile", entity_id=customer_id,
                       after=values)
        return profile
    before = ProfileRead.model_validate(stored).model_dump(mode="json", include=set(ProfileWrite.model_fields))
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
