"""Who may do what in collections: every role set, defined once. Routers import these names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Principal, Role, require_roles

SUPERVISOR_ROLES = (Role.AR_SUPERVISOR,)
WORKER_ROLES = (Role.AR_SUPERVISOR, Role.COLLECTOR, Role.VENDOR_AGENT)
WORKER_OR_INTEGRATION_ROLES = (*WORKER_ROLES, Role.INTEGRATION)
COLLECTOR_ROLES = (Role.AR_SUPERVISOR, Role.COLLECTOR)
INTERNAL_READER_ROLES = (Role.AR_SUPERVISOR, Role.COLLECTOR, Role.INTEGRATION)
RECONCILER_ROLES = (Role.INTEGRATION, Role.AR_SUPERVISOR)
SUPERVISOR_OR_INTEGRATION_ROLES = (Role.AR_SUPERVISOR, Role.INTEGRATION)
ACCOUNT_EDITOR_ROLES = (*WORKER_ROLES, Role.INTEGRATION)

# an ar_supervisor: policies, rules, runs, write-off approvals
Supervisor = Annotated[Principal, Depends(require_roles(*SUPERVISOR_ROLES))]
# the people who work accounts (vendor agents within their team): disputes, deductions, promises, worklists
Worker = Annotated[Principal, Depends(require_roles(*WORKER_ROLES))]
# the workers and integrations: payments, bank files, credit profiles
WorkerOrIntegration = Annotated[Principal, Depends(require_roles(*WORKER_OR_INTEGRATION_ROLES))]
# in-house collectors (no vendor agents): credit limits and holds
Collector = Annotated[Principal, Depends(require_roles(*COLLECTOR_ROLES))]
# in-house readers (no vendor agents): overdue escalation rules and breaches
InternalReader = Annotated[Principal, Depends(require_roles(*INTERNAL_READER_ROLES))]

# the cross-service reconciliation (a service token of role integration) and AR supervisors: every invoice's figures
Reconciler = Annotated[Principal, Depends(require_roles(*RECONCILER_ROLES))]
# the account master: ar_supervisors and integrations (an MDM feed) write accounts
SupervisorOrIntegration = Annotated[Principal, Depends(require_roles(*SUPERVISOR_OR_INTEGRATION_ROLES))]

# who may write an account: supervisors and integrations everything, collectors and vendor agents the contacts
AccountEditor = Annotated[Principal, Depends(require_roles(*ACCOUNT_EDITOR_ROLES))]


def service_principal(subject: str) -> Principal:
    """An automated actor acting with an ar_supervisor's rights (the history importer, the credit hold rules)."""
    return Principal(subject=subject, roles=frozenset({Role.AR_SUPERVISOR.value}), kind="service")
