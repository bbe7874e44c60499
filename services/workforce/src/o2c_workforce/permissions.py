"""Who may do what in the workforce service: every role set of the service, defined once.

Reads are open to every authenticated role, but a vendor agent sees only its own team (agents, training,
samples, productivity, scorecards). Changes are made by the AR supervisor and the service delivery lead."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Principal, Role, require_roles

Manager = Annotated[Principal, Depends(require_roles(Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD))]
"""Sets up vendors, teams, agents, SOPs, plans, sampling rules, checklists and queues."""

Reviewer = Annotated[Principal, Depends(require_roles(Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD))]
"""Scores sampled work on its checklist (quality review)."""

Trainee = Annotated[Principal, Depends(require_roles(Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD,
                                                     Role.VENDOR_AGENT))]
"""Records a training completion: a manager, or the vendor agent for its own assignment."""

MANAGER_ROLES = frozenset({Role.ADMIN, Role.AR_SUPERVISOR, Role.SERVICE_DELIVERY_LEAD})


def manages(principal: Principal) -> bool:
    return principal.has_role(*MANAGER_ROLES)
