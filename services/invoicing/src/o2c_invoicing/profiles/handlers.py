"""Inbound events acting on billing profiles: the account master in collections owns the customer's team."""

from __future__ import annotations

from o2c_common.events import Event
from o2c_common.events.contracts.collections import AccountUpdated
from o2c_common.tx import Tx
from o2c_invoicing.profiles import repository


async def on_account_updated_set_profile_team(tx: Tx, event: Event[AccountUpdated]) -> None:
    """Copy the account's owning team onto the customer's billing profile (newer account versions only; a
    customer without a profile here has nothing to copy to: its profile takes the team when it is created)."""
    fact = event.data
    profile = await repository.get(tx.session, customer_id=fact.customer_id, for_update=True)
    if profile is None or (profile.account_version or 0) >= fact.account_version:
        return
    before = profile.owning_team
    profile.owning_team, profile.account_version = fact.owning_team, fact.account_version
    profile.updated_by = f"system:account-master:{fact.updated_by}"[:200]
    await repository.save(tx.session, profile)
    if before != fact.owning_team:
        await tx.acting_as("system:collections").audit(
            "billing_profile.team_from_account", entity_type="billing_profile", entity_id=fact.customer_id,
            before={"owning_team": before}, after={"owning_team": fact.owning_team,
                                                   "account_version": fact.account_version})
