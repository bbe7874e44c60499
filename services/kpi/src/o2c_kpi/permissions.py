"""Who may do what in the kpi service: every role set, defined once. Reading needs any authenticated caller
(``CurrentPrincipal``); vendor agents are narrowed to their own team by the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Principal, Role, require_roles, visible_team
from o2c_common.errors import Forbidden

SlaWriter = Annotated[Principal, Depends(require_roles(Role.AR_SUPERVISOR))]
"""Defines, changes and deletes SLA definitions (``admin`` always passes)."""
Reconciler = Annotated[Principal, Depends(require_roles(Role.INTEGRATION, Role.AR_SUPERVISOR))]
"""Reads every invoice's open amount (the cross-service reconciliation)."""


def team_in_view(principal: Principal, team: str | None, *, what: str) -> str | None:
    """The team a read is narrowed to: a vendor agent's own (asking for another team's ``what`` is a 403),
    anyone else's choice (``None``: every team)."""
    own = visible_team(principal)
    if own is not None and team not in (None, own):
        raise Forbidden(f"vendor agents see their own team's {what} only", type="team-access-denied",
                        title="Team access denied")
    return own or team
