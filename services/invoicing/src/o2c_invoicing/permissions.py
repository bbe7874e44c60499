"""Who may do what in invoicing: every permission of the service, defined once with the ``Role`` enum, and the
permission of every route (``ROUTES``: the route matrix test and ``tools/permissions_doc.py`` read it).

Vendor agents are further confined to their own team's invoices and profiles by the services (``load_visible``,
``visible_team``, :func:`scoped_team`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from o2c_common.auth import Permission, Principal, Role, RouteTable, public
from o2c_common.errors import Forbidden

PREPARE = Permission("prepare", Role.BILLING_SPECIALIST, Role.VENDOR_AGENT, Role.INTEGRATION,
                     summary="prepares drafts, asks for their approval, asks for amendments and rebills")
IMPORT = Permission("import", Role.INTEGRATION, summary="loads invoices issued elsewhere (history import)")
APPROVE = Permission("approve", Role.BILLING_APPROVER, Role.AR_SUPERVISOR,
                     summary="approves (maker-checker) or returns to draft; decides amendments and rebills")
ISSUE = Permission("issue", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.INTEGRATION, Role.VENDOR_AGENT,
                   summary="issues approved invoices and submits or resubmits them to their channel")
CANCEL = Permission("cancel", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.AR_SUPERVISOR,
                    summary="cancels an invoice before issue")
CREDIT = Permission("credit", Role.BILLING_APPROVER, Role.AR_SUPERVISOR, Role.INTEGRATION,
                    summary="issues credit notes")
SEND_CREDIT_NOTE = Permission("send-credit-note", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER,
                              Role.AR_SUPERVISOR, Role.INTEGRATION,
                              summary="sends an issued credit note to the customer's channel")
READ = Permission("read-invoices", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.AR_SUPERVISOR,
                  Role.COLLECTOR, Role.VENDOR_AGENT, Role.INTEGRATION, Role.VIEWER,
                  summary="reads invoices, their history, submissions, credit notes, amendments and rebills "
                          "(vendor agents: their team's)")
READ_REPORTS = Permission("read-billing-reports", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.AR_SUPERVISOR,
                          Role.VENDOR_AGENT, Role.INTEGRATION, Role.VIEWER,
                          summary="reads the invoicing cadence report (vendor agents: their team's)")
WORK_QUEUES = Permission("work-queues", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.AR_SUPERVISOR,
                         Role.VENDOR_AGENT, Role.VIEWER,
                         summary="reads the work queues (vendor agents: their team's)")
MAINTAIN_PROFILES = Permission("maintain-profiles", Role.BILLING_SPECIALIST, Role.AR_SUPERVISOR, Role.INTEGRATION,
                               Role.VENDOR_AGENT,
                               summary="creates and replaces billing profiles (vendor agents: their team's "
                                       "customers, never an unknown one)")
READ_PROFILES = Permission("read-profiles", Role.BILLING_SPECIALIST, Role.BILLING_APPROVER, Role.AR_SUPERVISOR,
                           Role.COLLECTOR, Role.VENDOR_AGENT, Role.INTEGRATION,
                           summary="reads billing profiles: contacts and tax ids, so not viewers "
                                   "(vendor agents: their team's)")
RECONCILE = Permission("reconcile", Role.INTEGRATION, Role.AR_SUPERVISOR,
                       summary="reads every invoice's settlement (the cross-service reconciliation)")
PORTAL = public("portal", summary="portals' callbacks and status messages: no bearer token, each request is "
                                  "authenticated by its HMAC signature (or the portal's message credentials)")

Preparer = Annotated[Principal, Depends(PREPARE.guard)]
Importer = Annotated[Principal, Depends(IMPORT.guard)]
Approver = Annotated[Principal, Depends(APPROVE.guard)]
Issuer = Annotated[Principal, Depends(ISSUE.guard)]
Canceller = Annotated[Principal, Depends(CANCEL.guard)]
Crediter = Annotated[Principal, Depends(CREDIT.guard)]
CreditNoteSender = Annotated[Principal, Depends(SEND_CREDIT_NOTE.guard)]
Reader = Annotated[Principal, Depends(READ.guard)]
ReportReader = Annotated[Principal, Depends(READ_REPORTS.guard)]
QueueWorker = Annotated[Principal, Depends(WORK_QUEUES.guard)]
ProfileMaintainer = Annotated[Principal, Depends(MAINTAIN_PROFILES.guard)]
ProfileReader = Annotated[Principal, Depends(READ_PROFILES.guard)]
Reconciler = Annotated[Principal, Depends(RECONCILE.guard)]

INVOICE = "/invoices/{invoice_id}"
ROUTES = RouteTable({
    "POST /invoices": PREPARE,
    "POST /invoices/historical": IMPORT,
    "POST /invoices/historical/batch": IMPORT,
    "GET /invoices": READ,
    f"GET {INVOICE}": READ,
    f"GET {INVOICE}/history": READ,
    f"POST {INVOICE}/request-approval": PREPARE,
    f"POST {INVOICE}/approve": APPROVE,
    f"POST {INVOICE}/return-to-draft": APPROVE,
    f"POST {INVOICE}/issue": ISSUE,
    f"POST {INVOICE}/cancel": CANCEL,
    f"POST {INVOICE}/submit": ISSUE,
    f"POST {INVOICE}/resubmit": ISSUE,
    f"GET {INVOICE}/submissions": READ,
    "POST /portal/callbacks": PORTAL,
    "POST /portal/messages": PORTAL,
    f"POST {INVOICE}/credit-notes": CREDIT,
    f"GET {INVOICE}/credit-notes": READ,
    f"POST {INVOICE}/credit-notes/{{credit_note_id}}/send": SEND_CREDIT_NOTE,
    "PUT /billing-profiles/{customer_id}": MAINTAIN_PROFILES,
    "GET /billing-profiles/{customer_id}": READ_PROFILES,
    "GET /billing-profiles": READ_PROFILES,
    "GET /work-queues": WORK_QUEUES,
    "GET /work-queues/{queue}": WORK_QUEUES,
    "GET /reports/invoicing-cadence": READ_REPORTS,
    "GET /settlements": RECONCILE,
    f"POST {INVOICE}/amendments": PREPARE,
    f"GET {INVOICE}/amendments": READ,
    f"POST {INVOICE}/amendments/{{amendment_id}}/decision": APPROVE,
    f"POST {INVOICE}/rebill": PREPARE,
    f"GET {INVOICE}/rebill": READ,
    f"POST {INVOICE}/rebill/{{rebill_id}}/decision": APPROVE,
})


def scoped_team(principal: Principal, team: str | None) -> str | None:
    """The team a queue or report may show: vendor agents are confined to their own (asking for another is a
    403); others may filter by any."""
    if principal.sees_all_teams:
        return team
    if principal.team is None or (team is not None and team != principal.team):
        raise Forbidden("vendor agents see only their own team's queues", type="team-access-denied",
                        title="Team access denied")
    return principal.team
