"""Who may do what in invoicing: every role set of the service, defined once (routers import these names)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Principal, Role, require_roles
from o2c_common.errors import Forbidden

Preparer = Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST, Role.VENDOR_AGENT, Role.INTEGRATION))]
"""Prepares drafts and asks for their approval."""
Importer = Annotated[Principal, Depends(require_roles(Role.INTEGRATION))]
"""Loads invoices issued elsewhere."""
Approver = Annotated[Principal, Depends(require_roles(Role.BILLING_APPROVER, Role.AR_SUPERVISOR))]
"""Approves (maker-checker) or returns to draft."""
Issuer = Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.INTEGRATION,
                                                   Role.VENDOR_AGENT))]
"""Issues approved invoices and submits or resubmits them to their channel."""
Canceller = Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST, Role.BILLING_APPROVER,
                                                      Role.AR_SUPERVISOR))]
"""Cancels before issue."""
Crediter = Annotated[Principal, Depends(require_roles(Role.BILLING_APPROVER, Role.AR_SUPERVISOR, Role.INTEGRATION))]
"""Issues credit notes."""
CreditNoteSender = Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST, Role.BILLING_APPROVER,
                                                             Role.AR_SUPERVISOR, Role.INTEGRATION))]
"""Sends an issued credit note to the customer's channel."""
Reader = Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST, Role.BILLING_APPROVER,
                                                   Role.AR_SUPERVISOR, Role.VENDOR_AGENT, Role.INTEGRATION,
                                                   Role.VIEWER))]
"""Reads submissions and reports."""
QueueWorker = Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST, Role.BILLING_APPROVER,
                                                        Role.AR_SUPERVISOR, Role.VENDOR_AGENT, Role.VIEWER))]
"""Reads the work queues."""
ProfileMaintainer = Annotated[Principal, Depends(require_roles(Role.BILLING_SPECIALIST, Role.AR_SUPERVISOR,
                                                              Role.INTEGRATION, Role.VENDOR_AGENT))]
"""Creates and replaces billing profiles."""

Reconciler = Annotated[Principal, Depends(require_roles(Role.INTEGRATION, Role.AR_SUPERVISOR))]
"""Reads every invoice's settlement for the cross-service reconciliation."""


def scoped_team(principal: Principal, team: str | None) -> str | None:
    """The team a queue or report may show: vendor agents are confined to their own (asking for another is a
    403); others may filter by any."""
    if principal.sees_all_teams:
        return team
    if principal.team is None or (team is not None and team != principal.team):
        raise Forbidden("vendor agents see only their own team's queues", type="team-access-denied",
                        title="Team access denied")
    return principal.team
