"""Who is calling: the authenticated principal and the role names of the platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    ADMIN = "admin"
    BILLING_SPECIALIST = "billing_specialist"
    BILLING_APPROVER = "billing_approver"
    AR_SUPERVISOR = "ar_supervisor"
    COLLECTOR = "collector"
    VENDOR_AGENT = "vendor_agent"
    SERVICE_DELIVERY_LEAD = "service_delivery_lead"
    REQUESTER = "requester"
    INTEGRATION = "integration"
    VIEWER = "viewer"
    BANK_FILE_IMPORTER = "bank_file_importer"
    """Uploads bank files (camt.053/054, BAI2, CSV) whose payments are booked across every team."""


ALL_ROLES: frozenset[str] = frozenset(r.value for r in Role)
# Roles restricted to the objects (accounts, queues, cases) of their own team.
TEAM_SCOPED_ROLES: frozenset[str] = frozenset({Role.VENDOR_AGENT.value})
# Roles that see every team's objects whatever other roles they hold.
TEAM_BYPASS_ROLES: frozenset[str] = frozenset(
    {Role.ADMIN.value, Role.AR_SUPERVISOR.value, Role.SERVICE_DELIVERY_LEAD.value}
)

PrincipalKind = Literal["user", "service"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, from the token's ``sub``, ``roles``, ``team`` (and ``kind``) claims."""

    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    team: str | None = None
    kind: PrincipalKind = "user"

    def has_role(self, *roles: str) -> bool:
        """True when the principal holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN.value in self.roles

    @property
    def sees_all_teams(self) -> bool:
        """Holds a role that bypasses the team rule, or only internal (not team-scoped) roles. A token with no
        known role sees no team at all (and passes no permission)."""
        if self.has_role(*TEAM_BYPASS_ROLES):
            return True
        known = self.roles & ALL_ROLES
        return bool(known) and not self.has_role(*TEAM_SCOPED_ROLES)
