"""Who may do what in the escalation desk: every role set of the service, defined once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Principal, Role, require_roles

CASE_MANAGER_ROLES = frozenset({Role.ADMIN, Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD})
"""See and work every team's cases and move a case to another team's queue."""

Manager = Annotated[Principal, Depends(require_roles(Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD))]
"""Changes the desk's set-up: calendars, routing rules, SLA policies."""

Integrator = Annotated[Principal, Depends(require_roles(Role.INTEGRATION, Role.SERVICE_DELIVERY_LEAD))]
"""Manages webhook subscriptions and their deliveries."""


def manages_cases(principal: Principal) -> bool:
    return principal.has_role(*CASE_MANAGER_ROLES)
